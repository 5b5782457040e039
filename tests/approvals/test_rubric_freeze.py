from __future__ import annotations

import pytest

from approvals import rubric
from tests.factories import FundingApplicationFactory, FundingCallFactory, make_user
from workflows.errors import TransitionConflict

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"code": "fit", "name": "定位", "weight": 70},
    {"code": "market", "name": "市场", "weight": 30},
]


def test_a_rubric_is_set_while_nothing_was_submitted_to_the_call():
    call = FundingCallFactory()
    FundingApplicationFactory(call=call)  # a draft does not freeze it

    rubric.set_rubric(call_id=call.pk, actor=make_user("administrator"), criteria=CRITERIA)

    assert [c.code for c in rubric.rubric_for(call)] == ["fit", "market"]


def test_a_rubric_is_frozen_once_a_request_was_submitted_to_the_call():
    application = FundingApplicationFactory(at_submitted=True)

    with pytest.raises(TransitionConflict):
        rubric.set_rubric(
            call_id=application.call_id, actor=make_user("administrator"), criteria=CRITERIA
        )
