"""Whole paths through the review: approval, returns and resubmission, rejection, withdrawal."""

from decimal import Decimal

import pytest
from viewflow.workflow.status import PROCESS

from tests.factories import (
    PATHS,
    FundingApplicationFactory,
    claim_open_task,
    formal_check,
    perform,
    resolve_at_meeting,
)
from workflows import drafts, submission
from workflows.audit import verify_chain
from workflows.errors import InvalidInput
from workflows.models import ApplicationRevision, FundingApplication

from .cases import STATE_CHANGES, Snapshot, holder, open_task_names

pytestmark = pytest.mark.django_db


def _fresh(application):
    fresh = FundingApplication.objects.select_related("review_process").get(pk=application.pk)
    fresh.people = application.people
    return fresh


def _transitions(application):
    """The state changes on the application's trail (without the events that keep the status,
    such as experts assigned or scores given)."""
    entries = application.audit_entries.filter(transition__in=STATE_CHANGES).order_by("seq")
    return list(entries.values_list("transition", "target"))


# --- approval -------------------------------------------------------------------------------


def test_the_happy_path_goes_through_every_tier_to_approval():
    application = FundingApplicationFactory(state="approved")

    assert _transitions(application) == [
        ("submit", "submitted"),
        ("receive", "lead_review"),
        ("accept_for_review", "group_review"),
        ("recommend", "meeting_review"),
        ("approve", "approved"),
    ]


def test_an_approved_request_records_the_amount_and_the_decision_time():
    application = FundingApplicationFactory(state="approved")

    assert application.approved_amount == Decimal("5000000.00")
    assert application.decided_at is not None
    assert application.submitted_at <= application.decided_at


def test_an_approved_request_has_no_open_task_and_its_review_process_is_done():
    application = _fresh(FundingApplicationFactory(state="approved"))

    assert open_task_names(application) == []
    assert application.review_process.status == PROCESS.DONE


def test_the_audit_chain_is_intact_after_the_happy_path():
    FundingApplicationFactory(state="approved")

    assert verify_chain().intact


def test_a_deferred_request_comes_back_to_the_meeting_and_is_approved():
    application = claim_open_task(FundingApplicationFactory(state="deferred"))

    resolve_at_meeting(application, application.people, "approve", amount=Decimal("6000000"))

    application = _fresh(application)
    assert application.status == "approved"
    assert _transitions(application)[-2:] == [("defer", "deferred"), ("approve", "approved")]
    assert application.review_process.status == PROCESS.DONE


def test_a_deferred_request_waits_in_the_meetings_queue_unclaimed():
    application = FundingApplicationFactory(state="deferred")

    assert open_task_names(application) == ["meeting_review"]
    assert holder(application, "meeting_review") is None


def test_a_request_may_be_deferred_more_than_once():
    application = claim_open_task(FundingApplicationFactory(state="deferred"))

    resolve_at_meeting(application, application.people, "defer")

    application = _fresh(application)
    assert application.status == "deferred"
    assert open_task_names(application) == ["meeting_review"]


# --- returns and resubmission ---------------------------------------------------------------

RETURNS = [
    pytest.param("returned_by_lead", "lead", "lead_review", "lead_review", id="lead"),
    pytest.param("returned_by_group", "group", "group_review", "assign_experts", id="group"),
    pytest.param(
        "returned_by_meeting", "meeting", "meeting_review", "meeting_review", id="meeting"
    ),
]


@pytest.mark.parametrize(("state", "tier", "status_after", "task_after"), RETURNS)
def test_a_returned_request_remembers_the_tier_that_returned_it(
    state, tier, status_after, task_after
):
    application = FundingApplicationFactory(state=state)

    assert application.status == "returned"
    assert application.returned_from_tier == tier
    assert open_task_names(application) == ["revision"]


@pytest.mark.parametrize(("state", "tier", "status_after", "task_after"), RETURNS)
def test_a_resubmission_goes_back_to_the_tier_that_returned_it(
    state, tier, status_after, task_after
):
    application = FundingApplicationFactory(state=state)

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    application = _fresh(application)
    assert application.status == status_after
    assert application.returned_from_tier == ""
    assert open_task_names(application) == [task_after]


@pytest.mark.parametrize(("state", "tier", "status_after", "task_after"), RETURNS)
def test_a_resubmission_increments_the_revision(state, tier, status_after, task_after):
    application = FundingApplicationFactory(state=state)

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    assert _fresh(application).revision == 2


@pytest.mark.parametrize(("state", "tier", "status_after", "task_after"), RETURNS)
def test_each_submission_leaves_a_snapshot_of_its_revision(state, tier, status_after, task_after):
    application = FundingApplicationFactory(state=state)

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    assert list(application.revisions.values_list("number", flat=True)) == [1, 2]


def test_a_resubmitted_task_waits_for_a_reviewer_to_claim_it_again():
    application = FundingApplicationFactory(state="returned_by_group")

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    assert open_task_names(application) == ["assign_experts"]
    assert holder(application, "assign_experts") is None


def test_the_snapshot_of_a_resubmission_holds_the_revised_content():
    application = FundingApplicationFactory(state="returned_by_lead")
    drafts.update_application(
        application_id=application.pk,
        actor=application.people.applicant,
        data={"title": "修改后的课题名称", "requested_amount": Decimal("7000000")},
    )

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    first, second = ApplicationRevision.objects.filter(application=application)
    assert first.content["title"] == "高端通用芯片研发与产业化"
    assert (second.content["title"], second.content["requested_amount"]) == (
        "修改后的课题名称",
        "7000000.00",
    )
    assert second.content["revision"] == 2


def test_a_request_returned_twice_reaches_its_third_revision_and_third_snapshot():
    application = FundingApplicationFactory(state="returned_by_lead")
    people = application.people
    for step in ["resubmit", "claim_lead", "return_lead", "resubmit"]:
        if step == "resubmit":
            submission.resubmit_application(application_id=application.pk, actor=people.applicant)
        else:
            perform(step, application, people)

    application = _fresh(application)
    assert (application.status, application.revision) == ("lead_review", 3)
    assert list(application.revisions.values_list("number", flat=True)) == [1, 2, 3]


def test_a_resubmitted_request_continues_to_approval():
    application = FundingApplicationFactory(state="returned_by_meeting")
    people = application.people
    submission.resubmit_application(application_id=application.pk, actor=people.applicant)
    for step in ["claim_meeting", "approve"]:
        perform(step, application, people)

    application = _fresh(application)
    assert application.status == "approved"
    assert open_task_names(application) == []
    assert verify_chain().intact


def test_a_resubmission_with_data_made_invalid_meanwhile_is_refused():
    application = FundingApplicationFactory(state="returned_by_lead")
    # The national funding was cut below the request behind the service's back.
    FundingApplication.objects.filter(pk=application.pk).update(national_funding=Decimal("1"))
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        submission.resubmit_application(
            application_id=application.pk, actor=application.people.applicant
        )

    assert Snapshot.of(application) == before


# --- rejection ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["rejected_by_lead", "rejected_by_group", "rejected_by_meeting"])
def test_a_rejection_at_any_tier_ends_the_review(state):
    application = _fresh(FundingApplicationFactory(state=state))

    assert application.status == "rejected"
    assert application.decided_at is not None
    assert open_task_names(application) == []
    assert application.review_process.status == PROCESS.DONE


@pytest.mark.parametrize(
    ("state", "tier"),
    [
        ("rejected_by_lead", "lead"),
        ("rejected_by_group", "group"),
        ("rejected_by_meeting", "meeting"),
    ],
)
def test_a_rejection_records_the_tier_that_decided_it(state, tier):
    application = FundingApplicationFactory(state=state)

    entry = application.audit_entries.last()
    assert (entry.transition, entry.tier) == ("reject", tier)


def test_a_deferred_request_may_be_rejected():
    application = claim_open_task(FundingApplicationFactory(state="deferred"))

    resolve_at_meeting(application, application.people, "reject", reason="资金不足")

    application = _fresh(application)
    assert application.status == "rejected"
    assert open_task_names(application) == []


# --- withdrawal -----------------------------------------------------------------------------

WITHDRAWABLE = [
    "submitted",
    "lead_review",
    "group_review",
    "meeting_review",
    "deferred",
    "returned_by_lead",
    "returned_by_meeting",
]


@pytest.mark.parametrize("state", WITHDRAWABLE)
def test_withdrawal_closes_every_open_task_and_the_process(state):
    application = FundingApplicationFactory(state=state)

    submission.withdraw_application(
        application_id=application.pk, actor=application.people.applicant, reason="项目调整"
    )

    application = _fresh(application)
    assert application.status == "withdrawn"
    assert open_task_names(application) == []
    assert application.review_process.status == PROCESS.CANCELED


def test_withdrawal_of_a_claimed_task_closes_it_too():
    application = claim_open_task(FundingApplicationFactory(state="group_review"))

    submission.withdraw_application(
        application_id=application.pk, actor=application.people.applicant, reason="项目调整"
    )

    assert open_task_names(application) == []


def test_withdrawal_records_the_time_and_the_reason():
    application = FundingApplicationFactory(state="lead_review")

    submission.withdraw_application(
        application_id=application.pk, actor=application.people.applicant, reason="项目调整"
    )

    application = _fresh(application)
    entry = application.audit_entries.last()
    assert application.decided_at is not None
    assert (entry.transition, entry.reason, entry.tier) == ("withdraw", "项目调整", "")


def test_withdrawal_without_a_reason_is_refused_and_the_request_stays_under_review():
    application = FundingApplicationFactory(state="lead_review")

    with pytest.raises(InvalidInput):
        submission.withdraw_application(
            application_id=application.pk, actor=application.people.applicant, reason="  "
        )

    assert _fresh(application).status == "lead_review"


@pytest.mark.parametrize("state", list(PATHS))
def test_every_factory_state_leaves_an_intact_audit_chain(state):
    FundingApplicationFactory(state=state)

    assert verify_chain().intact


# --- cost -----------------------------------------------------------------------------------


def test_a_tier_decision_with_its_check_list_audit_entry_document_and_next_task_takes_21_queries(
    django_assert_max_num_queries,
):
    application = FundingApplicationFactory(state="lead_review")

    # The row lock, the open task, the reviewer's past involvement, the status; three for the
    # audit chain; five for the numbered document (three more for the year's first number);
    # three for the flow's tasks; the formal check list; and the savepoint around them all.
    with django_assert_max_num_queries(21):
        formal_check(application, application.people, "accept")

    assert _fresh(application).status == "group_review"
