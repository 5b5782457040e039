"""Claiming a review task: a reviewer claims before deciding, and a claimed task is theirs."""

from decimal import Decimal

import pytest

from approvals import group_review, lead_review
from tests.factories import (
    CHECKS_FAILED,
    CHECKS_PASSED,
    FundingApplicationFactory,
    make_user,
    resolve_at_meeting,
    score_by_experts,
)
from workflows import assignments
from workflows.errors import NotAllowed, TransitionConflict
from workflows.selectors import queue_for

from .cases import Snapshot, holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted():
    return FundingApplicationFactory(state="submitted")


@pytest.fixture
def colleague(submitted):
    """A second officer of the same lead department."""
    return make_user("lead_officer", department=submitted.special_project.lead_department)


def _formal_check(decision, **extra):
    items = CHECKS_PASSED if decision == "accept" else CHECKS_FAILED
    return lambda pk, user: lead_review.record_formal_check(
        application_id=pk, actor=user, decision=decision, items=items, **extra
    )


def _group_decision(decision, **extra):
    return lambda pk, user: group_review.record_group_recommendation(
        application_id=pk, actor=user, decision=decision, **extra
    )


def _claimed_by_lead_officer(application):
    assignments.claim_task(application_id=application.pk, actor=application.people.lead_officer)
    application.refresh_from_db()
    return application


def test_claiming_at_tier_1_receives_the_request_into_lead_review(submitted):
    _claimed_by_lead_officer(submitted)

    assert submitted.status == "lead_review"


def test_claiming_at_tier_1_is_audited_as_the_lead_department_receiving_it(submitted):
    _claimed_by_lead_officer(submitted)

    entry = submitted.audit_entries.last()
    assert (entry.transition, entry.source, entry.target, entry.tier) == (
        "receive",
        "submitted",
        "lead_review",
        "lead",
    )


def test_the_claimed_task_belongs_to_the_claiming_officer(submitted):
    _claimed_by_lead_officer(submitted)

    assert holder(submitted, "lead_review") == submitted.people.lead_officer


@pytest.mark.parametrize(
    ("state", "task"), [("group_review", "assign_experts"), ("meeting_review", "meeting_review")]
)
def test_claiming_at_tiers_2_and_3_changes_no_status_and_writes_no_audit_entry(state, task):
    application = FundingApplicationFactory(state=state)
    before = Snapshot.of(application)
    reviewer = application.people.at_tier(application.current_tier)

    assignments.claim_task(application_id=application.pk, actor=reviewer)

    after = Snapshot.of(application)
    assert (after.status, after.audit_entries) == (before.status, before.audit_entries)
    assert holder(application, task) == reviewer


@pytest.mark.parametrize(
    "decide",
    [
        _group_decision("recommend", amount=Decimal("6000000.00")),
        _group_decision("return", reason="补充"),
        _group_decision("reject", reason="不符"),
    ],
    ids=["recommend", "return", "reject"],
)
def test_a_reviewer_must_claim_before_deciding(decide):
    application = FundingApplicationFactory(state="group_review")
    score_by_experts(application, application.people)
    before = Snapshot.of(application)

    with pytest.raises(NotAllowed):
        decide(application.pk, application.people.group_chair)

    assert Snapshot.of(application) == before


def test_the_meeting_claims_and_approves_in_one_step():
    application = FundingApplicationFactory(state="meeting_review")
    secretary = application.people.secretary

    resolve_at_meeting(application, application.people, "approve", amount=Decimal("1000000"))

    application.refresh_from_db()
    assert application.status == "approved"
    assert application.audit_entries.get(transition="approve").actor == secretary


def test_claiming_in_the_same_step_never_takes_a_task_another_secretary_holds():
    application = FundingApplicationFactory(state="meeting_review")
    other = make_user("meeting_secretary")
    assignments.claim_task(application_id=application.pk, actor=other)
    before = Snapshot.of(application)

    with pytest.raises(TransitionConflict):
        resolve_at_meeting(application, application.people, "approve", amount=Decimal("1000000"))

    assert Snapshot.of(application) == before


def test_a_released_lead_task_must_be_claimed_again_before_deciding(submitted):
    _claimed_by_lead_officer(submitted)
    officer = submitted.people.lead_officer
    assignments.release_task(application_id=submitted.pk, actor=officer)

    with pytest.raises(NotAllowed):
        _formal_check("accept")(submitted.pk, officer)


def test_a_task_claimed_by_one_officer_cannot_be_claimed_by_another(submitted, colleague):
    _claimed_by_lead_officer(submitted)
    before = Snapshot.of(submitted)

    with pytest.raises(TransitionConflict):
        assignments.claim_task(application_id=submitted.pk, actor=colleague)

    assert Snapshot.of(submitted) == before


@pytest.mark.parametrize(
    "decide",
    [
        _formal_check("accept"),
        _formal_check("return", reason="补充"),
        _formal_check("reject", reason="不符"),
    ],
    ids=["accept", "return", "reject"],
)
def test_a_task_claimed_by_one_officer_cannot_be_decided_by_another(submitted, colleague, decide):
    _claimed_by_lead_officer(submitted)
    before = Snapshot.of(submitted)

    with pytest.raises(NotAllowed):
        decide(submitted.pk, colleague)

    assert Snapshot.of(submitted) == before


def test_claiming_a_task_one_already_holds_changes_nothing(submitted):
    _claimed_by_lead_officer(submitted)
    before = Snapshot.of(submitted)

    assignments.claim_task(application_id=submitted.pk, actor=submitted.people.lead_officer)

    assert Snapshot.of(submitted) == before


def test_releasing_a_task_gives_it_back_to_the_tiers_queue(submitted, colleague):
    _claimed_by_lead_officer(submitted)

    assignments.release_task(application_id=submitted.pk, actor=submitted.people.lead_officer)

    assert holder(submitted, "lead_review") is None
    assert [t.process_id for t in queue_for(colleague)] == [submitted.review_process_id]


def test_after_release_another_officer_of_the_department_claims_and_decides(submitted, colleague):
    _claimed_by_lead_officer(submitted)
    assignments.release_task(application_id=submitted.pk, actor=submitted.people.lead_officer)

    assignments.claim_task(application_id=submitted.pk, actor=colleague)
    _formal_check("accept")(submitted.pk, colleague)

    submitted.refresh_from_db()
    assert submitted.status == "group_review"
    assert submitted.audit_entries.last().actor == colleague


def test_releasing_keeps_the_status_and_writes_no_audit_entry(submitted):
    _claimed_by_lead_officer(submitted)
    before = Snapshot.of(submitted)

    assignments.release_task(application_id=submitted.pk, actor=submitted.people.lead_officer)

    after = Snapshot.of(submitted)
    assert (after.status, after.audit_entries) == (before.status, before.audit_entries)


def test_only_the_holder_may_release_a_task(submitted, colleague):
    _claimed_by_lead_officer(submitted)
    before = Snapshot.of(submitted)

    with pytest.raises(NotAllowed):
        assignments.release_task(application_id=submitted.pk, actor=colleague)

    assert Snapshot.of(submitted) == before


def test_releasing_a_task_nobody_holds_is_refused(submitted):
    with pytest.raises(TransitionConflict):
        assignments.release_task(application_id=submitted.pk, actor=submitted.people.lead_officer)


@pytest.mark.parametrize(
    "state", ["draft", "returned_by_lead", "approved", "rejected_by_lead", "withdrawn"]
)
def test_there_is_no_review_task_to_claim_outside_review(state):
    application = FundingApplicationFactory(state=state)
    before = Snapshot.of(application)

    with pytest.raises(TransitionConflict):
        assignments.claim_task(application_id=application.pk, actor=application.people.lead_officer)

    assert Snapshot.of(application) == before


def test_the_applicant_cannot_claim_the_revision_task_of_a_returned_request():
    application = FundingApplicationFactory(state="returned_by_lead")

    with pytest.raises(TransitionConflict):
        assignments.claim_task(application_id=application.pk, actor=application.people.applicant)


def test_a_lead_officers_queue_holds_only_their_departments_requests(submitted):
    other = FundingApplicationFactory(state="submitted")

    queue = queue_for(submitted.people.lead_officer)

    assert [t.process_id for t in queue] == [submitted.review_process_id]
    assert other.review_process_id not in [t.process_id for t in queue]


def test_a_claimed_task_leaves_the_queues_of_the_other_officers(submitted, colleague):
    _claimed_by_lead_officer(submitted)

    assert list(queue_for(colleague)) == []
    assert len(queue_for(submitted.people.lead_officer)) == 1
