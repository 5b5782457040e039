"""The public notice: opening it, objections lodged and resolved, and the final approval."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone

from approvals import meetings
from awards import notice
from awards.calendar import add_working_days
from awards.models import Holiday, Objection
from documents.models import Document
from tests import files
from tests.factories import make_user
from workflows.errors import InvalidInput, NotAllowed, NotFound, TransitionConflict
from workflows.models import AuditEntry, FundingApplication
from workflows.selectors import open_tasks

from .helpers import after_notice, approved, in_notice, lodge

pytestmark = pytest.mark.django_db


def _status(application) -> str:
    return FundingApplication.objects.get(pk=application.pk).status


# --- the calendar -----------------------------------------------------------------------------


def test_working_days_skip_the_weekend():
    friday = datetime.date(2026, 11, 27)

    assert add_working_days(friday, 1) == datetime.date(2026, 11, 30)


def test_working_days_skip_a_public_holiday_and_count_a_weekend_worked_in_its_place():
    Holiday.objects.create(day=datetime.date(2026, 10, 1), name="国庆节")
    Holiday.objects.create(day=datetime.date(2026, 10, 10), name="调休", working=True)
    wednesday = datetime.date(2026, 9, 30)

    assert add_working_days(wednesday, 1) == datetime.date(2026, 10, 2)
    assert add_working_days(datetime.date(2026, 10, 9), 1) == datetime.date(2026, 10, 10)


# --- opening ----------------------------------------------------------------------------------


def test_the_secretariat_opens_the_notice_for_the_calls_number_of_working_days():
    application = approved(call__notice_working_days=7)

    period = notice.open_notice(application_id=application.pk, actor=application.people.secretary)

    assert _status(application) == "in_notice"
    assert period.ends_on == add_working_days(timezone.localdate(), 7)
    assert period.amount == application.approved_amount


def test_opening_the_notice_issues_the_notice_document():
    application = in_notice()

    assert application.documents.filter(kind="notice_opening").count() == 1


def test_only_the_secretariat_opens_a_notice():
    application = approved()

    with pytest.raises(NotAllowed):
        notice.open_notice(application_id=application.pk, actor=application.people.lead_officer)
    assert _status(application) == "approved"


def test_a_notice_is_opened_only_for_an_approved_request():
    application = in_notice()

    with pytest.raises(TransitionConflict):
        notice.open_notice(application_id=application.pk, actor=application.people.secretary)


# --- objections -------------------------------------------------------------------------------


def test_anybody_lodges_an_objection_and_gets_a_receipt_number():
    application = in_notice()

    objection = lodge(application)

    assert objection.receipt_number.startswith("YY")
    assert Objection.objects.get(receipt_number=objection.receipt_number).status == "received"


def test_an_objection_issues_its_receipt_and_is_on_the_audit_trail_without_the_objectors_name():
    application = in_notice()

    objection = lodge(application)

    entry = AuditEntry.objects.get(application=application, transition="lodge_objection")
    assert entry.details == {"receipt_number": objection.receipt_number}
    assert application.documents.filter(kind="objection_receipt").count() == 1


def test_an_objection_needs_a_name_a_contact_and_grounds():
    application = in_notice()

    with pytest.raises(InvalidInput):
        lodge(application, grounds="  ")


def test_an_objection_takes_a_pdf_as_its_evidence():
    from django.core.files.uploadedfile import SimpleUploadedFile

    application = in_notice()

    objection = lodge(
        application,
        attachment=SimpleUploadedFile("evidence.pdf", files.PDF, content_type="application/pdf"),
    )

    assert objection.attachment_type == "application/pdf"


def test_an_objection_refuses_a_file_that_is_not_an_allowed_attachment():
    from django.core.files.uploadedfile import SimpleUploadedFile

    application = in_notice()

    with pytest.raises(InvalidInput):
        lodge(application, attachment=SimpleUploadedFile("x.pdf", b"<html>", content_type="x"))
    assert not Objection.objects.exists()


def test_no_objection_is_taken_for_a_request_not_in_notice():
    application = approved()

    with pytest.raises(NotFound):
        lodge(application)


def test_no_objection_is_taken_after_the_notice_ended():
    application = in_notice()
    after_notice(application)

    with pytest.raises(TransitionConflict):
        lodge(application)


def test_taking_up_the_objections_pauses_the_notice():
    application = in_notice()
    lodge(application)

    notice.review_objection(application_id=application.pk, actor=application.people.secretary)

    assert _status(application) == "objection_review"
    assert Objection.objects.get().status == "under_review"


def test_taking_up_objections_is_refused_when_none_was_received():
    application = in_notice()

    with pytest.raises(TransitionConflict):
        notice.review_objection(application_id=application.pk, actor=application.people.secretary)


def _reviewed(application):
    objection = lodge(application)
    notice.review_objection(application_id=application.pk, actor=application.people.secretary)
    return objection


def test_a_dismissed_objection_lets_the_notice_continue():
    application = in_notice()
    objection = _reviewed(application)

    notice.resolve_objection(
        objection_id=objection.pk,
        actor=application.people.secretary,
        upheld=False,
        resolution="经核查，申报数据属实。",
    )

    assert _status(application) == "in_notice"
    assert Objection.objects.get().status == "dismissed"
    assert application.documents.filter(kind="objection_resolution").count() == 1


def test_the_notice_stays_paused_while_another_objection_is_open():
    application = in_notice()
    first = _reviewed(application)
    lodge(application, name="李四")

    notice.resolve_objection(
        objection_id=first.pk, actor=application.people.secretary, upheld=False, resolution="不成立"
    )

    assert _status(application) == "objection_review"


def test_resolving_an_objection_needs_its_grounds():
    application = in_notice()
    objection = _reviewed(application)

    with pytest.raises(InvalidInput):
        notice.resolve_objection(
            objection_id=objection.pk,
            actor=application.people.secretary,
            upheld=False,
            resolution="",
        )


def test_an_objection_is_resolved_only_once():
    application = in_notice()
    objection = _reviewed(application)
    lodge(application, name="李四")
    secretary = application.people.secretary
    notice.resolve_objection(
        objection_id=objection.pk, actor=secretary, upheld=False, resolution="不成立"
    )

    with pytest.raises(TransitionConflict):
        notice.resolve_objection(
            objection_id=objection.pk, actor=secretary, upheld=True, resolution="成立"
        )


def test_only_the_secretariat_resolves_an_objection():
    application = in_notice()
    objection = _reviewed(application)

    with pytest.raises(NotAllowed):
        notice.resolve_objection(
            objection_id=objection.pk,
            actor=make_user("auditor"),
            upheld=False,
            resolution="不成立",
        )


def test_an_upheld_objection_sends_the_request_back_to_the_joint_meeting():
    application = in_notice()
    objection = _reviewed(application)

    notice.resolve_objection(
        objection_id=objection.pk,
        actor=application.people.secretary,
        upheld=True,
        resolution="申报数据不实。",
    )

    fresh = FundingApplication.objects.get(pk=application.pk)
    assert fresh.status == "meeting_review"
    assert fresh.approved_amount is None
    assert [t.flow_task.name for t in open_tasks(fresh)] == ["meeting_review"]


def test_the_joint_meeting_decides_again_after_an_upheld_objection():
    application = in_notice()
    objection = _reviewed(application)
    secretary = application.people.secretary
    notice.resolve_objection(
        objection_id=objection.pk, actor=secretary, upheld=True, resolution="申报数据不实。"
    )
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=application.call_id,
        held_on=timezone.localdate(),
        place="市政府会议室",
        chair="主管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[application.pk])

    meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[meetings.Resolution(application.pk, "approve", 3000000, "核减后支持")],
    )

    fresh = FundingApplication.objects.get(pk=application.pk)
    assert (fresh.status, fresh.approved_amount) == ("approved", 3000000)


# --- the end of the notice --------------------------------------------------------------------


def test_the_approval_becomes_final_after_an_unopposed_notice():
    application = in_notice()
    after_notice(application)

    notice.finalise(application_id=application.pk, actor=application.people.secretary)

    assert _status(application) == "final"
    kinds = set(Document.objects.filter(application=application).values_list("kind", flat=True))
    assert {"notice_closing", "final_approval"} <= kinds


def test_the_approval_is_not_final_before_the_notice_ends():
    application = in_notice()

    with pytest.raises(TransitionConflict, match="公示期至"):
        notice.finalise(application_id=application.pk, actor=application.people.secretary)


def test_an_objection_received_holds_up_the_final_approval():
    application = in_notice()
    lodge(application)
    after_notice(application)

    with pytest.raises(TransitionConflict, match="异议"):
        notice.finalise(application_id=application.pk, actor=application.people.secretary)
    assert _status(application) == "in_notice"


def test_a_notice_cleared_of_its_objections_ends_in_the_final_approval():
    application = in_notice()
    objection = _reviewed(application)
    secretary = application.people.secretary
    notice.resolve_objection(
        objection_id=objection.pk, actor=secretary, upheld=False, resolution="不成立"
    )
    after_notice(application)

    notice.finalise(application_id=application.pk, actor=secretary)

    assert _status(application) == "final"


def test_the_holidays_command_sets_a_day_off_that_the_notice_skips():
    from django.core.management import call_command

    call_command("holidays", "2026-10-01", "国庆节", stdout=io.StringIO())

    assert add_working_days(datetime.date(2026, 9, 30), 1) == datetime.date(2026, 10, 2)


def test_the_holidays_command_refuses_a_day_that_is_not_a_date_in_one_line():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("holidays", "1 October", "国庆节", stdout=io.StringIO())


def test_the_applicant_and_the_lead_department_hear_of_the_final_approval(
    django_capture_on_commit_callbacks, mailoutbox
):
    application = in_notice()
    after_notice(application)

    with django_capture_on_commit_callbacks(execute=True):
        notice.finalise(application_id=application.pk, actor=application.people.secretary)

    recipients = {address for message in mailoutbox for address in message.to}
    assert application.people.applicant.email in recipients
    assert application.people.lead_officer.email in recipients
