"""Overdue progress reports: reminded to the applicant, then escalated to the head of the lead
department, once each, as review tasks are (``workflows.deadlines``, into which this registers,
runs it from the same beat schedule and command)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.deadlines import DeadlineReport
from workflows.models import FundingApplication
from workflows.review_path import Tier

from .models import OutcomeReport, ReportNotice
from .notices import tell_applicant, tell_lead_department
from .reports import REPORTING
from .steps import record_step
from .targets import PeriodTarget, targets_for


def report_due_on(target: PeriodTarget) -> datetime.date:
    """A report is due ``OUTCOME_REPORT_DUE_DAYS`` days after its period ends."""
    return target.end + datetime.timedelta(
        days=int(getattr(settings, "OUTCOME_REPORT_DUE_DAYS", 30))
    )


def overdue_periods(application: FundingApplication, today: datetime.date) -> list[PeriodTarget]:
    """The periods past their due date without a report submitted (or accepted)."""
    done = set(
        OutcomeReport.objects.filter(
            application=application,
            state__in=(OutcomeReport.State.SUBMITTED, OutcomeReport.State.ACCEPTED),
        ).values_list("period_index", flat=True)
    )
    return [t for t in targets_for(application) if t.index not in done and report_due_on(t) < today]


def process_report_deadlines(now: datetime.datetime | None = None) -> DeadlineReport:
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = DeadlineReport()
    applications = FundingApplication.objects.filter(status__in=REPORTING).select_related(
        "call", "special_project"
    )
    for application in applications.iterator(chunk_size=200):
        for target in overdue_periods(application, today):
            due = report_due_on(target)
            if _notice(application, target, ReportNotice.Kind.REMINDER, due):
                report.reminded += 1
            escalate_on = due + datetime.timedelta(days=application.call.escalate_after_days)
            if escalate_on < today and _notice(
                application, target, ReportNotice.Kind.ESCALATION, due
            ):
                report.escalated += 1
    return report


def _notice(
    application: FundingApplication, target: PeriodTarget, kind: str, due: datetime.date
) -> bool:
    """Record and send one notice; False when it was sent before."""
    what = _("第 %(n)d 期报告应于 %(due)s 前报送。") % {"n": target.index, "due": due.isoformat()}
    try:
        with transaction.atomic():
            locked = FundingApplication.objects.select_for_update().get(pk=application.pk)
            ReportNotice.objects.create(application=locked, period_index=target.index, kind=kind)
            reminder = kind == ReportNotice.Kind.REMINDER
            record_step(
                locked,
                actor=None,
                name="remind_report" if reminder else "escalate_report",
                tier=None if reminder else Tier.LEAD,
                details={"period": target.index, "due": due},
            )
            if reminder:
                tell_applicant("report_overdue", locked, what)
            else:
                tell_lead_department("report_escalation", locked, what, heads=True)
    except IntegrityError:
        return False
    return True
