"""Two meetings of one call resolving at the same time: the second reads the call's remaining
budget once the first has committed, not as it stood when it began waiting for the call's
lock (PostgreSQL reads other tables of a statement as of its start; ``approvals.0010``)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from approvals import group_review, meetings
from approvals.meetings import Resolution
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    make_user,
    score_by_experts,
)
from tests.workflows.row_lock import wait_until_a_backend_waits_for_a_lock
from workflows import assignments
from workflows.errors import InvalidInput
from workflows.models import FundingApplication

RECOMMENDED = Decimal("6000000.00")


def _recommended(call) -> FundingApplication:
    application = FundingApplicationFactory(state="group_review", call=call)
    people = application.people
    score_by_experts(application, people, value=80)
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.record_group_recommendation(
        application_id=application.pk,
        actor=people.group_chair,
        decision="recommend",
        amount=RECOMMENDED,
        reason="建议支持",
    )
    return application


def _meeting_of(call, secretary, application, *, day: int):
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=timezone.localdate() - datetime.timedelta(days=day),
        place="市政府第一会议室",
        chair="分管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[application.pk])
    return meeting


def _approve(meeting, secretary, application):
    return meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[Resolution(application.pk, "approve", RECOMMENDED, "")],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_meeting_that_waited_for_another_of_its_call_is_refused_beyond_what_that_one_approved():
    call = FundingCallFactory(total_budget=Decimal("10000000.00"))
    secretary = make_user("meeting_secretary")
    first, second = _recommended(call), _recommended(call)
    earlier = _meeting_of(call, secretary, first, day=2)
    later = _meeting_of(call, secretary, second, day=1)
    holding, outcome = threading.Event(), []

    def resolve_later() -> None:
        try:
            holding.wait()
            _approve(later, secretary, second)
            outcome.append("approved")
        except InvalidInput:
            outcome.append("refused")
        finally:
            connection.close()

    other = threading.Thread(target=resolve_later)
    other.start()
    with transaction.atomic():
        _approve(earlier, secretary, first)  # the call's row stays locked until this commits
        holding.set()
        wait_until_a_backend_waits_for_a_lock("the second meeting")
    other.join()

    assert outcome == ["refused"]
