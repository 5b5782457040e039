"""Stage 4: the half-yearly progress reports (进展报告). The applicant submits one per reporting
period with its typed measures; it is checked against the period's target and the shortfalls
are flagged to the lead department, which accepts the report or returns it with a reason."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.districts import district_labels
from workflows.errors import InvalidInput, TransitionConflict
from workflows.models import FundingApplication, Status
from workflows.money import parse_money
from workflows.review_path import Tier
from workflows.transitions import locked_application, refusals_recorded

from .measures import growth, shortfalls
from .models import Measure, OutcomeReport
from .notices import tell_applicant, tell_lead_department
from .steps import ensure_acts, record_step
from .targets import PeriodTarget, target_for

if TYPE_CHECKING:
    from workflows.actors import Actor

# The statuses in which reports are due and reviewed.
REPORTING = (Status.IN_EXECUTION, Status.ACCEPTANCE_REVIEW)
DECISIONS = {"accept": "accept_report", "return": "return_report"}


@dataclass(frozen=True)
class ReportFigures:
    """The measures as the applicant types them (amounts in yuan)."""

    sales_revenue: Decimal | str | int
    of_which_industrial: Decimal | str | int
    patents_filed: int
    patents_granted: int
    jobs: int
    district: str
    industrialised_in_beijing: bool
    narrative: str = ""


def _count(value: Any, label: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("%s须为不小于零的整数。") % label) from exc
    if number < 0 or number > 10_000_000:
        raise InvalidInput(_("%s须为不小于零的整数。") % label)
    return number


def _checked(figures: ReportFigures) -> dict[str, Any]:
    revenue = parse_money(figures.sales_revenue)
    industrial = parse_money(figures.of_which_industrial)
    if revenue < 0 or industrial < 0:
        raise InvalidInput(_("收入不能为负数。"))
    if industrial > revenue:
        raise InvalidInput(_("产业化项目收入不能超过新增销售收入。"))
    filed = _count(figures.patents_filed, str(Measure.PATENTS_FILED.label))
    granted = _count(figures.patents_granted, str(Measure.PATENTS_GRANTED.label))
    jobs = _count(figures.jobs, str(Measure.JOBS.label))
    if figures.district not in district_labels():
        raise InvalidInput(_("请选择成果落地的区或园区。"))
    return {
        "sales_revenue": revenue,
        "of_which_industrial": industrial,
        "patents_filed": filed,
        "patents_granted": granted,
        "jobs": jobs,
        "district": figures.district,
        "industrialised_in_beijing": bool(figures.industrialised_in_beijing),
        "narrative": (figures.narrative or "").strip()[:4000],
    }


def report_record(report: OutcomeReport) -> dict[str, Any]:
    """What the audit trail (and the report's notice) keeps of a report."""
    grown = growth(report)
    return {
        "period": report.period_index,
        "period_start": report.period_start,
        "period_end": report.period_end,
        **report.measures(),
        "district": report.district,
        "industrialised_in_beijing": report.industrialised_in_beijing,
        "target": report.target,
        "shortfalls": report.shortfalls,
        "growth": {
            "sales_revenue": None if grown.sales_revenue is None else str(grown.sales_revenue),
            "of_which_industrial": None
            if grown.of_which_industrial is None
            else str(grown.of_which_industrial),
        },
    }


def _shortfall_text(codes: list[str]) -> str:
    return "、".join(str(Measure(c).label) for c in codes)


def _period(application: FundingApplication, index: int, today: datetime.date) -> PeriodTarget:
    target = target_for(application, index)
    if target is None:
        raise InvalidInput(_("该项目没有第 %(n)d 个报告期。") % {"n": index})
    if target.end >= today:
        raise InvalidInput(_("该报告期尚未结束，不能提交报告。"))
    return target


@refusals_recorded
def submit_report(
    *, application_id: int, actor: Actor, period_index: int, figures: ReportFigures
) -> OutcomeReport:
    """The applicant reports one finished period: new sales revenue and the part of it from
    industrial-application projects (yuan), patents filed and granted, new jobs, the district
    or park where the result landed, whether it was industrialised in Beijing, and what
    happened. The report is checked against the period's target and each measure below it is
    flagged to the lead department. Refused before the project is in execution, for a period
    that has not ended or does not exist, for a report already submitted or accepted, and for
    figures that do not add up."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_acts(application, actor, None)
        if application.status not in REPORTING:
            raise TransitionConflict(_("只有执行中的项目才能报送进展报告。"))
        target = _period(application, int(period_index), timezone.localdate())
        values = _checked(figures)
        report = OutcomeReport.objects.filter(
            application=application, period_index=target.index
        ).first()
        if report is not None and report.state in (
            OutcomeReport.State.SUBMITTED,
            OutcomeReport.State.ACCEPTED,
        ):
            raise TransitionConflict(_("该期进展报告已经提交。"))
        report = report or OutcomeReport(application=application, period_index=target.index)
        for name, value in values.items():
            setattr(report, name, value)
        report.period_start, report.period_end = target.start, target.end
        report.target = target.as_record()
        report.shortfalls = shortfalls(report, target)
        report.state = OutcomeReport.State.SUBMITTED
        report.submitted_by = actor
        report.submitted_at = timezone.now()
        report.save()
        record_step(application, actor=actor, name="submit_report", details=report_record(report))
        tell_lead_department(
            "report_submitted", application, _("第 %(n)d 期。") % {"n": report.period_index}
        )
        if report.shortfalls:
            tell_lead_department(
                "report_shortfall", application, _shortfall_text(report.shortfalls), heads=True
            )
    return report


@refusals_recorded
def review_report(
    *, application_id: int, actor: Actor, period_index: int, decision: str, reason: str = ""
) -> OutcomeReport:
    """An officer of the lead department accepts a submitted report, or returns it to the
    applicant with a written reason; the applicant receives the notice either way. Refused for
    anybody else, for a report not awaiting review, and for a return without a reason."""
    name = DECISIONS.get(decision)
    if name is None:
        raise InvalidInput(_("未知的决定。"))
    reason = (reason or "").strip()
    if decision == "return" and not reason:
        raise InvalidInput(_("退回进展报告时必须填写理由。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_acts(application, actor, Tier.LEAD)
        report = OutcomeReport.objects.filter(
            application=application, period_index=int(period_index)
        ).first()
        if report is None or report.state != OutcomeReport.State.SUBMITTED:
            raise TransitionConflict(_("该期进展报告不在待确认状态。"))
        report.state = (
            OutcomeReport.State.ACCEPTED if decision == "accept" else OutcomeReport.State.RETURNED
        )
        report.reviewed_by = actor
        report.reviewed_at = timezone.now()
        report.review_reason = reason
        report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
        record_step(
            application,
            actor=actor,
            name=name,
            tier=Tier.LEAD,
            reason=reason,
            details=report_record(report),
        )
        tell_applicant(
            "report_reviewed",
            application,
            _("第 %(n)d 期报告%(what)s。")
            % {"n": report.period_index, "what": report.get_state_display()}
            + (f" {reason}" if reason else ""),
        )
    return report
