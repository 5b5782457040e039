"""Transitions called out of order, and decisions whose input is refused, change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import group_review, lead_review
from tests.factories import (
    CHECKS_FAILED,
    CHECKS_PASSED,
    FundingApplicationFactory,
    FundingCallFactory,
    actor,
    claim_open_task,
    resolve_at_meeting,
)
from workflows import submission
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
# The joint meeting decides only on its agenda, and a request not waiting for the meeting is
# refused a place on it: its decisions out of order are refused as invalid input.
AT_THE_MEETING = {"approve", "defer"}


@pytest.mark.parametrize(
    ("state", "action"), [p for p in OUT_OF_ORDER if p.values[1] not in AT_THE_MEETING]
)
def test_an_action_out_of_order_is_refused_as_a_conflict(state, action):
    application = application_at(state)
    before = Snapshot.of(application)

    with pytest.raises(TransitionConflict):
        ACTIONS[action](application.pk, actor(ACTOR_FOR[action], application))

    assert Snapshot.of(application) == before


@pytest.mark.parametrize(
    ("state", "action"), [p for p in OUT_OF_ORDER if p.values[1] in AT_THE_MEETING]
)
def test_a_meeting_decision_out_of_order_is_refused_a_place_on_the_agenda(state, action):
    application = application_at(state)
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        ACTIONS[action](application.pk, actor(ACTOR_FOR[action], application))

    assert Snapshot.of(application) == before


def test_approving_while_the_lead_department_reviews_leaves_status_and_audit_trail_unchanged():
    application = FundingApplicationFactory(state="lead_review")
    trail = list(application.audit_entries.values_list("entry_hash", flat=True))

    with pytest.raises(InvalidInput):
        resolve_at_meeting(application, application.people, "approve", amount=Decimal("1000000"))

    application.refresh_from_db()
    assert application.status == "lead_review"
    assert list(application.audit_entries.values_list("entry_hash", flat=True)) == trail


def test_a_decision_on_an_application_that_does_not_exist_is_refused_as_not_found():
    application = FundingApplicationFactory(state="lead_review")

    with pytest.raises(NotFound):
        lead_review.record_formal_check(
            application_id=application.pk + 1000,
            actor=application.people.lead_officer,
            decision="accept",
            items=CHECKS_PASSED,
        )


# --- reasons ----------------------------------------------------------------------------------


def _decide(application, decision, reason):
    """Return or reject at the application's tier through its public service, with ``reason``
    (at tier 1 with every check item passed, so that no failed item supplies one)."""
    people = application.people
    if application.current_tier == "lead":
        return lead_review.record_formal_check(
            application_id=application.pk,
            actor=people.lead_officer,
            decision=decision,
            items=CHECKS_PASSED,
            reason=reason,
        )
    if application.current_tier == "group":
        return group_review.record_group_recommendation(
            application_id=application.pk,
            actor=people.group_chair,
            decision=decision,
            reason=reason,
        )
    return resolve_at_meeting(application, people, decision, reason=reason)


@pytest.mark.parametrize("reason", ["", "   \n\t"], ids=["empty", "blank"])
@pytest.mark.parametrize("decision", ["return", "reject"])
@pytest.mark.parametrize("state", ["lead_review", "group_review", "meeting_review"])
def test_a_return_or_rejection_without_a_reason_is_refused(decision, reason, state):
    application = application_at(state)
    if state != "lead_review":
        application = claim_open_task(application)
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        _decide(application, decision, reason)

    assert Snapshot.of(application) == before


def test_the_reason_is_recorded_without_surrounding_whitespace():
    application = FundingApplicationFactory(state="lead_review")

    lead_review.record_formal_check(
        application_id=application.pk,
        actor=application.people.lead_officer,
        decision="return",
        items=CHECKS_FAILED,
        reason="  请补充预算书\n",
    )

    assert application.audit_entries.last().reason == "请补充预算书"


# --- amounts ----------------------------------------------------------------------------------


@pytest.fixture
def at_meeting():
    return claim_open_task(FundingApplicationFactory(state="meeting_review"))


def _approve(application, amount):
    """The meeting approves ``amount``, with a reason (so that an amount above the group's
    recommendation is refused only for what else is wrong with it)."""
    return resolve_at_meeting(
        application, application.people, "approve", amount=amount, reason="市联席会议审议通过"
    )


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
        _approve(at_meeting, Decimal(amount))

    assert Snapshot.of(at_meeting) == before


@pytest.mark.parametrize("amount", ["abc", None, Decimal("NaN")], ids=["abc", "none", "nan"])
def test_an_approval_amount_that_is_not_a_number_is_refused(at_meeting, amount):
    before = Snapshot.of(at_meeting)

    with pytest.raises(InvalidInput):
        _approve(at_meeting, amount)

    assert Snapshot.of(at_meeting) == before


def test_an_approval_of_exactly_the_requested_amount_is_accepted(at_meeting):
    _approve(at_meeting, at_meeting.requested_amount)

    at_meeting.refresh_from_db()
    assert at_meeting.approved_amount == at_meeting.requested_amount


def test_an_approval_records_the_amount_rounded_to_the_cent(at_meeting):
    _approve(at_meeting, Decimal("1234567.891"))

    at_meeting.refresh_from_db()
    assert at_meeting.approved_amount == Decimal("1234567.89")


@pytest.mark.parametrize("amount", ["8000000.01", "0", "-1", "NaN"])
def test_a_recommended_amount_above_the_request_not_positive_or_not_a_number_is_refused(amount):
    application = claim_open_task(FundingApplicationFactory(state="group_review"))
    before = Snapshot.of(application)

    with pytest.raises(InvalidInput):
        group_review.record_group_recommendation(
            application_id=application.pk,
            actor=application.people.group_chair,
            decision="recommend",
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
        submission.submit_application(
            application_id=application.pk, actor=application.people.applicant
        )

    assert Snapshot.of(application) == before
    assert not ApplicationRevision.objects.filter(application=application).exists()
    assert FundingApplication.objects.get(pk=application.pk).review_process_id is None


def test_submission_inside_the_calls_window_starts_the_review():
    application = _draft_in_call()

    submission.submit_application(application_id=application.pk, actor=application.people.applicant)

    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.submitted_at is not None
    assert application.review_process_id is not None
