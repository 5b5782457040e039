"""The joint meeting: its agenda, and its resolutions recorded in one all-or-nothing batch."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import group_review, meetings
from approvals.meetings import Resolution
from approvals.models import Meeting
from documents.models import Document
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    make_user,
    score_by_experts,
)
from workflows import assignments
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import AuditEntry, FundingApplication
from workflows.selectors import open_tasks

pytestmark = pytest.mark.django_db

RECOMMENDED = Decimal("6000000.00")  # requested: 8,000,000.00 (the factory's default)
# Measured: about 22 queries per item (claim and transition in one step, audit entry, flow
# tasks, decision document). The bound leaves room, and is the same per item at 10 and at 50
# items, so a batch grows linearly.
QUERIES_PER_ITEM = 30


@pytest.fixture
def secretary():
    return make_user("meeting_secretary")


@pytest.fixture
def call():
    return FundingCallFactory(total_budget=Decimal("500000000.00"))


def _awaiting_meeting(call, *, score=80, recommended=RECOMMENDED):
    """A request the review group recommended with ``recommended`` after every expert gave
    ``score`` on every criterion (so its group score is ``score``)."""
    application = FundingApplicationFactory(state="group_review", call=call)
    people = application.people
    score_by_experts(application, people, value=score)
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.record_group_recommendation(
        application_id=application.pk,
        actor=people.group_chair,
        decision="recommend",
        amount=recommended,
        reason="建议支持",
    )
    return FundingApplication.objects.get(pk=application.pk)


def _meeting(call, secretary, *, day=1):
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=timezone.localdate() - datetime.timedelta(days=31 - day),
        place="市政府第一会议室",
        chair="分管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    return meeting


def _agenda(meeting):
    return [item.application_id for item in meeting.items.order_by("position")]


def _record(meeting, secretary, resolutions):
    return meetings.record_resolutions(
        meeting_id=meeting.pk, actor=secretary, resolutions=resolutions
    )


def _approve(application, amount=Decimal("5000000.00"), reason="审议通过"):
    return Resolution(application.pk, "approve", amount, reason)


def _status(application):
    return FundingApplication.objects.get(pk=application.pk).status


# --- the agenda -----------------------------------------------------------------------------


def test_the_agenda_ranks_requests_by_group_score_then_by_submission_time(call, secretary):
    low = _awaiting_meeting(call, score=70)
    high_later = _awaiting_meeting(call, score=90)
    high_earlier = _awaiting_meeting(call, score=90)
    # Submitted before ``high_later`` although created after it: the order is by submission.
    FundingApplication.objects.filter(pk=high_earlier.pk).update(
        submitted_at=high_later.submitted_at - datetime.timedelta(hours=1)
    )

    meeting = _meeting(call, secretary)

    assert _agenda(meeting) == [high_earlier.pk, high_later.pk, low.pk]


def test_the_agenda_holds_only_the_calls_requests_awaiting_the_meeting(call, secretary):
    awaiting = _awaiting_meeting(call)
    FundingApplicationFactory(state="group_review", call=call)
    FundingApplicationFactory(state="approved", call=call)
    _awaiting_meeting(FundingCallFactory())

    assert _agenda(_meeting(call, secretary)) == [awaiting.pk]


def test_the_agenda_item_keeps_the_groups_score_and_recommended_amount(call, secretary):
    _awaiting_meeting(call, score=85, recommended=Decimal("4500000.00"))

    item = _meeting(call, secretary).items.get()

    assert (item.weighted_score, item.recommended_amount, item.requested_amount) == (
        Decimal("85.00"),
        Decimal("4500000.00"),
        Decimal("8000000.00"),
    )


def test_a_request_on_a_planned_meetings_agenda_is_not_put_on_another(call, secretary):
    _awaiting_meeting(call)
    _meeting(call, secretary)

    assert _agenda(_meeting(call, secretary, day=2)) == []


def test_a_deferred_request_is_on_the_next_meetings_agenda(call, secretary):
    approved, deferred = _awaiting_meeting(call, score=90), _awaiting_meeting(call, score=80)
    first = _meeting(call, secretary)
    _record(
        first,
        secretary,
        [_approve(approved), Resolution(deferred.pk, "defer", reason="待补充落地材料")],
    )

    assert _agenda(_meeting(call, secretary, day=15)) == [deferred.pk]


def test_a_deferred_request_can_be_approved_at_the_next_meeting(call, secretary):
    deferred = _awaiting_meeting(call)
    _record(
        _meeting(call, secretary), secretary, [Resolution(deferred.pk, "defer", reason="待补充")]
    )

    _record(_meeting(call, secretary, day=15), secretary, [_approve(deferred)])

    assert _status(deferred) == "approved"


def test_the_agenda_shows_the_running_total_against_the_remaining_budget(secretary):
    call = FundingCallFactory(total_budget=Decimal("20000000.00"))
    _awaiting_meeting(call, score=90, recommended=Decimal("6000000.00"))
    _awaiting_meeting(call, score=80, recommended=Decimal("5000000.00"))

    lines = meetings.meeting_agenda(_meeting(call, secretary))

    assert [(line.running_total, line.remaining_after) for line in lines] == [
        (Decimal("6000000.00"), Decimal("14000000.00")),
        (Decimal("11000000.00"), Decimal("9000000.00")),
    ]


# --- recording a batch of resolutions -------------------------------------------------------


def _mixed(applications):
    """Approve three in five, reject one, defer one."""
    kinds = ["approve", "approve", "approve", "reject", "defer"]
    return [
        Resolution(a.pk, kinds[i % 5], Decimal("2000000.00") if i % 5 < 3 else None, "会议意见")
        for i, a in enumerate(applications)
    ]


TARGET = {"approve": "approved", "reject": "rejected", "defer": "deferred"}


@pytest.fixture
def five(call, secretary):
    applications = [_awaiting_meeting(call) for _ in range(5)]
    return applications, _meeting(call, secretary)


@pytest.fixture
def fifty(call, secretary):
    applications = [_awaiting_meeting(call) for _ in range(50)]
    return applications, _meeting(call, secretary)


def test_a_fifty_item_batch_records_every_resolution_each_with_its_own_audit_entry(
    fifty, secretary
):
    applications, meeting = fifty
    resolutions = _mixed(applications)

    _record(meeting, secretary, resolutions)

    recorded = AuditEntry.objects.filter(application__in=applications, tier="meeting")
    assert sorted(recorded.values_list("application_id", "transition", "target")) == sorted(
        (r.application_id, r.decision, TARGET[r.decision]) for r in resolutions
    )
    assert [_status(a) for a in applications] == [TARGET[r.decision] for r in resolutions]


def test_a_recorded_batch_resolves_the_meeting_and_its_items(five, secretary):
    applications, meeting = five
    resolutions = _mixed(applications)

    _record(meeting, secretary, resolutions)

    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.RESOLVED
    assert [(i.resolution, i.approved_amount) for i in meeting.items.order_by("position")] == [
        (r.decision, r.amount) for r in resolutions
    ]


@pytest.mark.parametrize("size", [10, 50])
def test_a_batch_takes_a_bounded_number_of_queries_per_item(
    call, secretary, size, django_assert_max_num_queries
):
    applications = [_awaiting_meeting(call) for _ in range(size)]
    meeting = _meeting(call, secretary)

    with django_assert_max_num_queries(QUERIES_PER_ITEM * size):
        _record(meeting, secretary, _mixed(applications))


# --- an invalid batch records nothing -------------------------------------------------------


def _state_of(meeting, applications):
    """Everything a batch could change."""
    meeting.refresh_from_db()
    return (
        meeting.state,
        [(i.resolution, i.approved_amount) for i in meeting.items.order_by("position")],
        [_status(a) for a in applications],
        [t.owner_id for a in applications for t in open_tasks(a)],
        AuditEntry.objects.count(),
        Document.objects.count(),
    )


INVALID_LAST_ITEM = {
    "amount_above_the_request": lambda a: _approve(a, Decimal("9000000.00"), "特殊情况"),
    "unknown_decision": lambda a: Resolution(a.pk, "postpone", None, "下次再议"),
    "approval_without_an_amount": lambda a: Resolution(a.pk, "approve", None, "审议通过"),
    "negative_amount": lambda a: _approve(a, Decimal("-1.00")),
    "rejection_without_a_reason": lambda a: Resolution(a.pk, "reject", None, ""),
}


@pytest.mark.parametrize("invalid", list(INVALID_LAST_ITEM))
def test_a_batch_with_one_invalid_item_records_nothing(five, secretary, invalid):
    applications, meeting = five
    before = _state_of(meeting, applications)
    resolutions = [
        *(_approve(a) for a in applications[:4]),
        INVALID_LAST_ITEM[invalid](applications[4]),
    ]

    with pytest.raises(InvalidInput):
        _record(meeting, secretary, resolutions)

    assert _state_of(meeting, applications) == before


def test_an_invalid_item_is_named_in_the_refusal(five, secretary):
    applications, meeting = five
    resolutions = [
        *(_approve(a) for a in applications[:4]),
        _approve(applications[4], Decimal("9000000.00"), "特殊情况"),
    ]

    with pytest.raises(InvalidInput, match=f"第5项（{applications[4].pk}）"):
        _record(meeting, secretary, resolutions)


def test_a_batch_missing_an_agenda_item_records_nothing(five, secretary):
    applications, meeting = five
    before = _state_of(meeting, applications)

    with pytest.raises(InvalidInput, match=str(applications[2].pk)):
        _record(meeting, secretary, [_approve(a) for i, a in enumerate(applications) if i != 2])

    assert _state_of(meeting, applications) == before


def test_a_batch_naming_a_request_twice_records_nothing(five, secretary):
    applications, meeting = five
    before = _state_of(meeting, applications)

    with pytest.raises(InvalidInput):
        _record(
            meeting, secretary, [*(_approve(a) for a in applications), _approve(applications[0])]
        )

    assert _state_of(meeting, applications) == before


# --- budget and amounts ---------------------------------------------------------------------


def test_approvals_beyond_the_remaining_budget_are_refused_naming_the_overrun(secretary):
    call = FundingCallFactory(total_budget=Decimal("10000000.00"))
    first, second = _awaiting_meeting(call), _awaiting_meeting(call)
    meeting = _meeting(call, secretary)
    before = _state_of(meeting, [first, second])

    with pytest.raises(InvalidInput, match=r"超出 2,000,000\.00 元"):
        _record(meeting, secretary, [_approve(first, RECOMMENDED), _approve(second, RECOMMENDED)])

    assert _state_of(meeting, [first, second]) == before


def test_the_remaining_budget_counts_what_earlier_meetings_approved(secretary):
    call = FundingCallFactory(total_budget=Decimal("10000000.00"))
    earlier = _awaiting_meeting(call)
    _record(_meeting(call, secretary), secretary, [_approve(earlier, RECOMMENDED)])
    later = _awaiting_meeting(call)

    with pytest.raises(InvalidInput, match=r"超出 1,000,000\.00 元"):
        _record(
            _meeting(call, secretary, day=15), secretary, [_approve(later, Decimal("5000000.00"))]
        )

    assert _status(later) == "meeting_review"


def test_approving_more_than_the_group_recommended_without_a_reason_is_refused(call, secretary):
    application = _awaiting_meeting(call)
    meeting = _meeting(call, secretary)

    with pytest.raises(InvalidInput, match="理由"):
        _record(meeting, secretary, [_approve(application, Decimal("7000000.00"), reason=" ")])

    assert _status(application) == "meeting_review"


def test_approving_more_than_the_group_recommended_with_a_reason_is_recorded(call, secretary):
    application = _awaiting_meeting(call)
    meeting = _meeting(call, secretary)

    _record(
        meeting,
        secretary,
        [
            _approve(
                application, Decimal("7000000.00"), reason="产业化前景突出，会议同意提高支持额度"
            )
        ],
    )

    approved = FundingApplication.objects.get(pk=application.pk)
    assert (approved.status, approved.approved_amount) == ("approved", Decimal("7000000.00"))
    assert approved.audit_entries.get(transition="approve").reason == (
        "产业化前景突出，会议同意提高支持额度"
    )


# --- once, and only by the secretariat ------------------------------------------------------


def test_recording_a_meetings_resolutions_twice_is_refused(call, secretary):
    application = _awaiting_meeting(call)
    meeting = _meeting(call, secretary)
    _record(meeting, secretary, [_approve(application)])
    entries = AuditEntry.objects.count()

    with pytest.raises(TransitionConflict):
        _record(meeting, secretary, [_approve(application)])

    assert AuditEntry.objects.count() == entries


def test_only_the_meeting_secretariat_records_resolutions(five):
    applications, meeting = five
    before = _state_of(meeting, applications)
    chair = make_user("group_chair")

    with pytest.raises(NotAllowed):
        _record(meeting, chair, [_approve(a) for a in applications])

    assert _state_of(meeting, applications) == before


def test_a_resolved_meetings_agenda_cannot_be_rebuilt(call, secretary):
    application = _awaiting_meeting(call)
    meeting = _meeting(call, secretary)
    _record(meeting, secretary, [_approve(application)])

    with pytest.raises(TransitionConflict):
        meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)

    assert _agenda(meeting) == [application.pk]
