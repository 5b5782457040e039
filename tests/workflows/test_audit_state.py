"""State checked against history: an application's row changed behind the service layer (a
rejected request flipped to approved, an approved amount raised) is named by the verifier."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import FundingApplicationFactory
from workflows.audit import verify_chain
from workflows.drafts import update_application

pytestmark = pytest.mark.django_db


def _behind_the_services(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_rejected_request_flipped_to_approved_in_the_table_is_named(settings):
    rejected = FundingApplicationFactory(state="rejected_by_lead")
    untouched = FundingApplicationFactory(state="approved")

    _behind_the_services(
        "UPDATE workflows_fundingapplication SET status = 'approved', approved_amount = %s "
        "WHERE id = %s",
        [Decimal("1000000.00"), rejected.pk],
    )

    result = verify_chain()
    assert not result.intact
    assert result.altered_applications == (rejected.pk,)
    assert untouched.pk not in result.altered_applications


def test_a_raised_approved_amount_is_named():
    approved = FundingApplicationFactory(state="approved")

    _behind_the_services(
        "UPDATE workflows_fundingapplication SET approved_amount = approved_amount + 1 "
        "WHERE id = %s",
        [approved.pk],
    )

    assert verify_chain().altered_applications == (approved.pk,)


def test_a_status_changed_while_under_review_is_named():
    application = FundingApplicationFactory(state="group_review")

    _behind_the_services(
        "UPDATE workflows_fundingapplication SET status = 'meeting_review' WHERE id = %s",
        [application.pk],
    )

    assert verify_chain().altered_applications == (application.pk,)


def test_a_draft_given_a_status_without_history_is_named():
    draft = FundingApplicationFactory()

    _behind_the_services(
        "UPDATE workflows_fundingapplication SET status = 'approved' WHERE id = %s", [draft.pk]
    )

    assert verify_chain().altered_applications == (draft.pk,)


def test_an_applicant_editing_a_returned_request_is_not_reported():
    returned = FundingApplicationFactory(state="returned_by_lead")

    update_application(
        application_id=returned.pk,
        actor=returned.people.applicant,
        data={"title": "修改后的课题名称"},
    )

    assert verify_chain().intact


def test_verify_audit_names_the_application_changed_behind_the_services():
    approved = FundingApplicationFactory(state="approved")
    _behind_the_services(
        "UPDATE workflows_fundingapplication SET approved_amount = %s WHERE id = %s",
        [Decimal("4000000.00"), approved.pk],
    )

    with pytest.raises(CommandError, match=f"changed behind the service layer: {approved.pk} "):
        call_command("verify_audit")
