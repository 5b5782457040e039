"""Reads of the outcome stages: reports and what is due next, the acceptance panel, the
recovery order, and the rows the statistics read. Who may see a request is
``workflows.access``'s answer; these only read what belongs to a request already shown."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from workflows import access
from workflows.models import FundingApplication, Status
from workflows.review_path import Role

from .deadlines import report_due_on
from .measures import Growth, growth
from .models import AcceptanceRequest, AcceptanceReview, OutcomeReport, RecoveryOrder
from .targets import PeriodTarget, targets_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from workflows.actors import Actor


def has_accepted_report(application: FundingApplication) -> bool:
    """Whether the lead department has accepted at least one progress report of the request
    (a tranche's condition)."""
    return OutcomeReport.objects.filter(
        application=application, state=OutcomeReport.State.ACCEPTED
    ).exists()


@dataclass(frozen=True)
class PeriodLine:
    """One reporting period on the applicant's list: its target, its report, when it is due."""

    target: PeriodTarget
    report: OutcomeReport | None
    due_on: datetime.date
    open: bool  # the period has ended, so a report may be submitted
    overdue: bool

    @property
    def to_submit(self) -> bool:
        return self.open and (
            self.report is None
            or self.report.state in (OutcomeReport.State.DRAFT, OutcomeReport.State.RETURNED)
        )


def period_lines(application: FundingApplication) -> list[PeriodLine]:
    today = timezone.localdate()
    reports = {r.period_index: r for r in application.outcome_reports.all()}
    lines = []
    for target in targets_for(application):
        report = reports.get(target.index)
        due = report_due_on(target)
        missing = report is None or report.state in (
            OutcomeReport.State.DRAFT,
            OutcomeReport.State.RETURNED,
        )
        lines.append(PeriodLine(target, report, due, target.end < today, missing and due < today))
    return lines


def due_next(application: FundingApplication) -> PeriodLine | None:
    """The first period whose report is still to be submitted (or the next one to end)."""
    return next(
        (line for line in period_lines(application) if line.to_submit or not line.open), None
    )


def report_of(application: FundingApplication, index: int) -> OutcomeReport | None:
    return OutcomeReport.objects.filter(application=application, period_index=index).first()


def report_growth(report: OutcomeReport) -> Growth:
    return growth(report)


# --- the acceptance panel ---------------------------------------------------------------------


def acceptance_of(application: FundingApplication) -> AcceptanceRequest | None:
    return AcceptanceRequest.objects.filter(application=application).first()


def panel_of(acceptance: AcceptanceRequest) -> list[AcceptanceReview]:
    return list(acceptance.reviews.select_related("expert").order_by("id"))


def review_of(application: FundingApplication, user: Actor) -> AcceptanceReview | None:
    return AcceptanceReview.objects.filter(
        acceptance__application=application, expert_id=user.pk
    ).first()


_SEEN = (AcceptanceReview.State.DECLARED, AcceptanceReview.State.SCORED)


def acceptance_panel_applications(user: Actor) -> QuerySet[Any]:
    """Ids of the applications whose acceptance panel the expert sits on, having declared no
    conflict (registered with the access policy)."""
    return AcceptanceReview.objects.filter(expert_id=user.pk, state__in=_SEEN).values(
        "acceptance__application_id"
    )


def awaiting_acceptance_declaration(user: Actor, pk: int) -> FundingApplication | None:
    """The application whose acceptance panel the expert was asked onto and has not declared
    on yet: they see only the declaration (organisation and special project)."""
    review = (
        AcceptanceReview.objects.filter(
            acceptance__application_id=pk,
            expert_id=user.pk,
            state=AcceptanceReview.State.ASSIGNED,
        )
        .select_related("acceptance__application__organisation")
        .first()
    )
    return review.acceptance.application if review else None


def acceptance_candidates(application: FundingApplication, officer: Actor) -> list[User]:
    """Review-group members who may sit on the acceptance panel and are not on it yet."""
    from approvals.group_review import eligible_expert

    taken: set[int] = set()
    acceptance = acceptance_of(application)
    if acceptance is not None:
        taken = set(acceptance.reviews.values_list("expert_id", flat=True))
    members = (
        get_user_model()
        ._default_manager.filter(profile__role=Role.GROUP_MEMBER, is_active=True)
        .exclude(pk__in={officer.pk, *taken})
        .select_related("profile")
        .order_by("first_name", "username")
    )
    return [m for m in members if eligible_expert(application, m)]


def recovery_of(application: FundingApplication) -> RecoveryOrder | None:
    return (
        RecoveryOrder.objects.filter(application=application).prefetch_related("repayments").first()
    )


# --- for the statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    """One accepted report with what the statistics group and sum it by."""

    application_id: int
    special_project: str
    call: str
    year: int
    period_index: int
    period_start: datetime.date
    period_end: datetime.date
    sales_revenue: Decimal
    of_which_industrial: Decimal
    patents_filed: int
    patents_granted: int
    jobs: int
    district: str
    industrialised_in_beijing: bool


def outcome_rows(applications: QuerySet[FundingApplication]) -> list[OutcomeRow]:
    """Per accepted report of ``applications`` (already filtered by the access policy): the
    measures, the district, the industrialised flag, the special project, call and year. One
    query."""
    reports = (
        OutcomeReport.objects.filter(
            application__in=applications, state=OutcomeReport.State.ACCEPTED
        )
        .select_related("application__special_project", "application__call")
        .order_by("application_id", "period_index")
    )
    return [
        OutcomeRow(
            application_id=r.application_id,
            special_project=r.application.special_project.code,
            call=r.application.call.title,
            year=r.application.call.year,
            period_index=r.period_index,
            period_start=r.period_start,
            period_end=r.period_end,
            sales_revenue=r.sales_revenue,
            of_which_industrial=r.of_which_industrial,
            patents_filed=r.patents_filed,
            patents_granted=r.patents_granted,
            jobs=r.jobs,
            district=r.district,
            industrialised_in_beijing=r.industrialised_in_beijing,
        )
        for r in reports
    ]


# --- the queue: what the outcome stages wait for from this user --------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user: what (``task``), on which request, on which page."""

    task: str
    application: FundingApplication
    page: str  # the URL name of the page it is done on
    shows_application: bool = True


def _newest_first(applications: QuerySet[FundingApplication]) -> list[FundingApplication]:
    """The (few) requests in a stage, newest first, sorted here: ordered in the query, SQLite
    walks every request in the list's order to find them instead of looking up the stage."""
    found = list(applications.order_by())
    found.sort(key=lambda a: (a.created_at, a.pk), reverse=True)
    return found


def work_for(user: Actor) -> list[WorkItem]:
    """What the outcome stages wait for from the user, among the requests the access policy
    lets them see (an expert's acceptance panels before declaring: organisation only). A few
    queries, however many requests."""
    from django.utils.translation import gettext as _

    role = access.role_of(user)
    visible = access.applications_for(user).select_related("organisation")
    items: list[WorkItem] = []
    if role == Role.LEAD_OFFICER:
        submitted = OutcomeReport.objects.filter(state=OutcomeReport.State.SUBMITTED)
        waiting = visible.filter(pk__in=submitted.values("application_id"))
        items += [
            WorkItem(_("确认进展报告"), a, "outcomes:reports") for a in _newest_first(waiting)
        ]
        for application in _newest_first(visible.filter(status=Status.ACCEPTANCE_REVIEW)):
            items.append(WorkItem(_("组织验收或作出验收结论"), application, "outcomes:acceptance"))
        for application in _newest_first(visible.filter(status=Status.COMPLETED)):
            items.append(WorkItem(_("验收通过，待结项"), application, "outcomes:acceptance"))
        for application in _newest_first(
            visible.filter(status=Status.RECOVERY, recovery_order__amount__isnull=False)
        ):
            items.append(WorkItem(_("登记追回款或结项"), application, "outcomes:recovery"))
    elif role == Role.MEETING_SECRETARY:
        for application in _newest_first(
            visible.filter(
                Q(status=Status.FAILED)
                | Q(status=Status.RECOVERY, recovery_order__amount__isnull=True)
            )
        ):
            items.append(WorkItem(_("确定追回金额"), application, "outcomes:recovery"))
    elif role == Role.GROUP_MEMBER:
        reviews = AcceptanceReview.objects.filter(
            expert_id=user.pk,
            state__in=(AcceptanceReview.State.ASSIGNED, AcceptanceReview.State.DECLARED),
            acceptance__application__status=Status.ACCEPTANCE_REVIEW,
        ).select_related("acceptance__application__organisation")
        for review in reviews:
            declared = review.state == AcceptanceReview.State.DECLARED
            items.append(
                WorkItem(
                    _("验收评分") if declared else _("验收：请先声明利益冲突"),
                    review.acceptance.application,
                    "outcomes:acceptance",
                    shows_application=declared,
                )
            )
    return items
