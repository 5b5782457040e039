"""Reads of the stages after the approval, for pages and for the apps built on this one; every
read of a request goes through the access policy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from outcomes.targets import PeriodTarget, default_targets
from workflows import access
from workflows import permissions as rights
from workflows.models import FundingApplication, Status
from workflows.review_path import Role

from .agreements import Milestone, Target, Terms, TrancheTerms
from .models import (
    AgreementTarget,
    Amendment,
    EquityHolding,
    FundingAgreement,
    NoticePeriod,
    Objection,
    Tranche,
)

if TYPE_CHECKING:
    from workflows.actors import Actor, Viewer


def period_targets(application: FundingApplication) -> list[PeriodTarget]:
    """The targets the outcome reports are checked against: the agreement's, once drafted;
    before that the even spread of the application's expectations."""
    agreed = targets_for(application)
    if not agreed:
        return default_targets(application)
    return [
        PeriodTarget(
            index=t.period_index,
            start=t.start,
            end=t.end,
            sales_revenue=t.sales_revenue,
            of_which_industrial=t.of_which_industrial,
            patents_filed=t.patents_filed,
            patents_granted=t.patents_granted,
            jobs=t.jobs,
        )
        for t in agreed
    ]


def targets_for(application: FundingApplication) -> list[AgreementTarget]:
    """The outcome targets the agreement set, one per reporting period, in order (empty before
    an agreement is drafted)."""
    return list(
        AgreementTarget.objects.filter(agreement__application=application).order_by("period_index")
    )


# --- the public notice ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicNotice:
    """What anybody reads of a request in notice, and nothing more."""

    pk: int
    title: str
    organisation: str
    amount: Decimal
    opened_on: datetime.date
    ends_on: datetime.date


def public_notices() -> list[PublicNotice]:
    periods = (
        NoticePeriod.objects.filter(
            application__in=access.publicly_noticed(), closed_at__isnull=True
        )
        .select_related("application__organisation")
        .order_by("ends_on", "id")
    )
    return [
        PublicNotice(
            p.application_id,
            p.application.title,
            p.application.organisation.name,
            p.amount,
            timezone.localdate(p.opened_at),
            p.ends_on,
        )
        for p in periods
    ]


def public_notice(pk: int) -> PublicNotice | None:
    return next((n for n in public_notices() if n.pk == pk), None)


# --- the secretariat's reads ------------------------------------------------------------------


def notice_periods(application: FundingApplication) -> QuerySet[NoticePeriod]:
    return application.notice_periods.prefetch_related("objections").order_by("-opened_at")


def objection(user: Viewer, pk: int) -> Objection | None:
    if not access.may_read_objections(user):
        return None
    return (
        Objection.objects.filter(pk=pk, notice__application__in=access.applications_for(user))
        .select_related("notice__application")
        .first()
    )


# --- the agreement ----------------------------------------------------------------------------


def agreement_of(application: FundingApplication) -> FundingAgreement | None:
    return (
        FundingAgreement.objects.filter(application=application)
        .prefetch_related("milestones", "targets", "tranches", "amendments")
        .first()
    )


def terms_of(agreement: FundingAgreement) -> Terms:
    return Terms(
        amount=agreement.amount,
        equity_amount=agreement.equity_amount,
        milestones=tuple(Milestone(m.title, m.due_on) for m in agreement.milestones.all()),
        targets=tuple(
            Target(
                t.start,
                t.end,
                t.sales_revenue,
                t.of_which_industrial,
                t.patents_filed,
                t.patents_granted,
                t.jobs,
            )
            for t in agreement.targets.all()
        ),
        tranches=tuple(TrancheTerms(t.share, t.condition) for t in agreement.tranches.all()),
    )


def may_edit_agreement(user: Viewer, application: FundingApplication) -> bool:
    return application.status == Status.FINAL and rights.is_lead_officer_for(application, user)


def amendment(user: Viewer, pk: int) -> Amendment | None:
    return (
        Amendment.objects.filter(pk=pk, agreement__application__in=access.applications_for(user))
        .select_related("agreement")
        .first()
    )


def tranche(user: Viewer, pk: int) -> Tranche | None:
    return (
        Tranche.objects.filter(pk=pk, agreement__application__in=access.applications_for(user))
        .select_related("agreement")
        .first()
    )


def holding_of(application: FundingApplication) -> EquityHolding | None:
    return EquityHolding.objects.filter(application=application).first()


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    application: FundingApplication
    what: str
    due: datetime.date | None = None


def work_for(user: Actor) -> list[WorkItem]:
    """What waits for this user after the approval: the secretariat's notices to open, close
    or clear; the lead department's agreements to draft or sign and tranches to release; the
    applicant's agreements to confirm."""
    role = access.role_of(user)
    visible = access.applications_for(user).select_related("organisation")
    items: list[WorkItem] = []
    if role == Role.MEETING_SECRETARY:
        items.extend(WorkItem(a, _("开始公示")) for a in visible.filter(status=Status.APPROVED))
        for period in NoticePeriod.objects.filter(
            application__in=visible.filter(status__in=access.IN_PUBLIC_NOTICE),
            closed_at__isnull=True,
        ).select_related("application__organisation"):
            open_count = period.objections.filter(
                status__in=(Objection.Outcome.RECEIVED, Objection.Outcome.UNDER_REVIEW)
            ).count()
            if open_count:
                items.append(
                    WorkItem(
                        period.application, _("核查异议（%d 件）") % open_count, period.ends_on
                    )
                )
            elif period.ends_on < timezone.localdate():
                items.append(WorkItem(period.application, _("公示期满，正式批复"), period.ends_on))
        items.extend(
            WorkItem(proposed.agreement.application, _("批准协议变更"))
            for proposed in Amendment.objects.filter(
                state=Amendment.State.PROPOSED, agreement__application__in=visible
            ).select_related("agreement__application__organisation")
        )
    elif role == Role.LEAD_OFFICER:
        for a in visible.filter(status=Status.FINAL).select_related("funding_agreement"):
            agreement = getattr(a, "funding_agreement", None)
            if agreement is None:
                items.append(WorkItem(a, _("起草资金协议")))
            elif agreement.applicant_confirmed_at is not None:
                items.append(WorkItem(a, _("签订资金协议")))
        waiting = Tranche.objects.filter(
            released_at__isnull=True,
            agreement__signed_at__isnull=False,
            agreement__application__in=visible,
        ).select_related("agreement__application__organisation")
        first_waiting: dict[int, Tranche] = {}
        for t in waiting.order_by("position"):
            first_waiting.setdefault(t.agreement_id, t)
        items.extend(
            WorkItem(t.agreement.application, _("拨付第 %d 批资金") % t.position)
            for t in first_waiting.values()
        )
    elif role == Role.APPLICANT:
        items.extend(
            WorkItem(agreement.application, _("确认资金协议"))
            for agreement in FundingAgreement.objects.filter(
                application__in=visible.filter(status=Status.FINAL),
                applicant_confirmed_at__isnull=True,
            ).select_related("application__organisation")
        )
    return items
