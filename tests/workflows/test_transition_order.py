"""Transitions called out of order, and decisions whose input is refused, change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import FundingApplicationFactory, FundingCallFactory, actor, claim_open_task
from workflows import services
from workflows.errors import InvalidInput, NotFound, TransitionConflict
from workflows.models import ApplicationRevision, FundingApplication

from .cases import ACTIONS, Snapshot, application_at

pytestmark = pytest.mark.django_db

# The factory states an application can be in, and the actions legal in each (for the role
# whose job the action is).
LEGAL = {
    "draft": {"submit"},
    "submitted": {"claim", "withdraw"},
    "lead_review": {"claim", "accept", "return", "reject", "withdraw", "release"},
    "group_review": {"claim", "recommend", "return", "reject", "withdraw"},
    "meeting_review": {"claim", "approve", "defer", "return", "reject", "withdraw"},
    "deferred": {"claim", "approve", "defer", "return", "reject", "withdraw"},
    "returned_by_lead": {"resubmit", "withdraw"},
    "approved": set(),
    "rejected_by_lead": set(),
    "withdrawn": set(),
}
# Whose job each action is, for the application's own people. Return and reject are the
# lead officer's at tier 1 (and refused as NotAllowed, not as conflicts, at the other tiers).
ACTOR_FOR = {
    "submit": "applicant",
    "claim": "lead_officer",
    "release": "lead_officer",
    "accept": "lead_officer",
    "recommend": "group_chair",
    "approve": "meeting_secretary",
    "defer": "meeting_secretary",
    "return": "lead_officer",
    "reject": "lead_officer",
    "resubmit": "applicant",
    "withdraw": "applicant",
}
# Return and reject by the lead officer are legal but not his at tiers 2 and 3; claiming
# there is somebody else's job too: those are refusals of rights, tested elsewhere.
NOT_HIS_TIER = {
    ("group_review", "return"),
    ("group_review", "reject"),
    ("group_review", "claim"),
    ("meeting_review", "return"),
    ("meeting_review", "reject"),
    ("meeting_review", "claim"),
    ("deferred", "return"),
    ("deferred", "reject"),
    ("deferred", "claim"),
}
OUT_OF_ORDER = [
    pytest.param(state, action, id=f"{action}-when-{state}")
    for state, legal in LEGAL.items()
    for action in ACTIONS
    if action not in legal and (state, action) not in NOT_HIS_TIER
]


@pytest.mark.parametrize(("state", "action"), OUT_OF_ORDER)
def test_an_action_out_of_order_is_refused_as_a_conflict(state, action):
    application = application_at(state)
    before = Snapshot.of(application)

    with pytest.raises(TransitionConflict):
        ACTIONS[action](application.pk, actor(ACTOR_FOR[action], application))

    assert Snapshot.of(application) == before


def test_approving_while_the_lead_department_reviews_leaves_status_and_audit_trail_unchanged():
    application = FundingApplicationFactory(state="lead_review")
    trail = list(application.audit_entries.values_list("entry_hash", flat=True))

    with pytest.raises(TransitionConflict):
        services.approve_application(
            application_id=application.pk,
            actor=application.people.secretary,
            amount=Decimal("1000000"),
        )

    application.refresh_from_db()
    assert application.status == "lead_review"
    assert list(application.audit_entries.values_list("entry_hash", flat=True)) == trail


def test_a_decision_on_an_application_that_does_not_exist_is_refused_as_not_found():
    application = FundingApplicationFactory(state="lead_review")

    with pytest.raises(NotFound):
        services.accept_for_review(
            application_id=application.pk + 1000, actor=application.people.lead_officer
        )


# --- reasons ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n\t"], ids=["empty", "blank"])
@pytest.mark.parametrize(
    "decide", [services.return_application, services.reject_application], ids=["return", "reject"]
)
@pytest.mark.parametrize("state", ["lead_review", "group_review", "meeting_review"])
def test_a_return_or_rejection_without_a_reason_is_refused(decide, reason, state):
    application = application_at(state)
    if state != "lead_review":
        application = claim_open_task(application)
    before = Snapshot.of(application)
    reviewer = application.people.at_tier(application.current_tier)

    with pytest.raises(InvalidInput):
        decide(application_id=application.pk, actor=reviewer, reason=reason)

    assert Snapshot.of(application) == before


def test_the_reason_is_recorded_without_surrounding_whitespace():
    application = FundingApplicationFactory(state="lead_review")

    services.return_application(
        application_id=application.pk,
        actor=application.people.lead_officer,
        reason="  请补充预算书\n",
    )

    assert application.audit_entries.last().reason == "请补充预算书"


# --- amounts ----------------------------------------------------------------------------------


@pytest.fixture
def at_meeting():
    return claim_open_task(FundingApplicationFactory(state="meeting_review"))


@pytest.mark.parametrize(
    "amount",
    ["8000000.01", "80000000", "0", "0.00", "-1", "-5000000"],
    ids=[
        "a_cent_above_the_request",
        "ten_times_the_request",
        "zero",
        "zero_cents",
        "minus_one",
        "negative",
    ],
)
def test_an_approval_amount_above_the_request_or_not_positive_is_refused(at_meeting, amount):
    before = Snapshot.of(at_meeting)

    with pytest.raises(InvalidInput):
        services.approve_application(
            application_id=at_meeting.pk, actor=at_meeting.people.secretary, amount=Decimal(amount)
        )

    assert Snapshot.of(at_meeting) == before


@pytest.mark.parametrize("amount", ["abc", None, "NaN"])
def test_an_approval_amount_that_is_not_a_number_is_refused(at_meeting, amount):
    before = Snapshot.of(at_meeting)

    with pytest.raises(InvalidInput):
        services.approve_application(
            application_id=at_meeting.pk, actor=at_meeting.people.secretary, amount=amount
        )

    assert Snapshot.of(at_meeting) == before


def test_an_approval_of_exactly_the_requested_amount_is_accepted(at_meeting):
    services.approve_application(
        application_id=at_meeting.pk,
        actor=at_meeting.people.secretary,
        amount=at_meeting.requested_amount,
    )

    at_meeting.refresh_from_db()
    assert at_meeting.approved_amount == at_meeting.requested_amount


def test_an_approval_records_the_amount_rounded_to_the_cent(at_meeting):
    services.approve_application(
        application_id=at_meeting.pk, actor=at_meeting.people.secretary, amount="1234567.891"
    )

    at_meeting.refresh_from_db()
    assert at_meeting.approved_amount == Decimal("1234567.89")


@pytest.mark.parametrize("amount", ["8000000.01", "0", "-1", "NaN"])
def test_a_recommended_amount_above_the_request_not_positive_or_not_a_number_is_refused(amount):
    application = claim_open_task(FundingApplicationFactory(state="group_review"))
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        services.recommend_application(
            application_id=application.pk,
            actor=application.people.group_chair,
            amount=Decimal(amount),
        )

    assert Snapshot.of(application) == before


# --- the call's window ------------------------------------------------------------------------


def _draft_in_call(**window) -> FundingApplication:
    return FundingApplicationFactory(call=FundingCallFactory(**window))


@pytest.mark.parametrize(
    "window",
    [
        {
            "opens_at": timezone.now() + datetime.timedelta(days=1),
            "closes_at": timezone.now() + datetime.timedelta(days=30),
        },
        {
            "opens_at": timezone.now() - datetime.timedelta(days=30),
            "closes_at": timezone.now() - datetime.timedelta(seconds=1),
        },
    ],
    ids=["before_the_call_opens", "after_the_call_closes"],
)
def test_submission_outside_the_calls_window_is_refused(window):
    application = _draft_in_call(**window)
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        services.submit_application(
            application_id=application.pk, actor=application.people.applicant
        )

    assert Snapshot.of(application) == before
    assert not ApplicationRevision.objects.filter(application=application).exists()
    assert FundingApplication.objects.get(pk=application.pk).review_process_id is None


def test_submission_inside_the_calls_window_starts_the_review():
    application = _draft_in_call()

    services.submit_application(application_id=application.pk, actor=application.people.applicant)

    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.submitted_at is not None
    assert application.review_process_id is not None
