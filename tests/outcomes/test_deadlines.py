"""Overdue progress reports are reminded to the applicant, then escalated to the head of the
lead department, once each, from the review tasks' own deadline run."""

import pytest
from django.core import mail

from outcomes import reports
from outcomes.models import ReportNotice
from workflows.deadlines import process_deadlines
from workflows.models import Profile

from .conftest import executing, figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue():
    """Two half-years over: the first report was due half a year ago and is missing; the second
    is not due yet (30 days after its period ended)."""
    return executing(days_ago=390)


def test_an_overdue_report_is_reminded_to_the_applicant_once(
    overdue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = process_deadlines()
        second = process_deadlines()

    assert first.reminded == 1
    assert second.reminded == 0
    assert any(m.to == [overdue.people.applicant.email] for m in mail.outbox)


def test_a_report_still_missing_after_the_reminder_escalates_to_the_head(
    overdue, django_capture_on_commit_callbacks
):
    Profile.objects.filter(user=overdue.people.lead_officer).update(is_head=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = process_deadlines()

    assert (report.reminded, report.escalated) == (1, 1)
    assert ReportNotice.objects.filter(application=overdue, kind="escalation").count() == 1
    assert any(
        "升级" in m.subject and m.to == [overdue.people.lead_officer.email] for m in mail.outbox
    )


def test_a_submitted_report_is_not_reminded(overdue):
    reports.submit_report(
        application_id=overdue.pk,
        actor=overdue.people.applicant,
        period_index=1,
        figures=figures(),
    )

    assert process_deadlines().reminded == 0
