"""A decision's task is stored finished, and the task that follows it is linked to it (on
PostgreSQL both are written by one statement; by itself only when no task follows)."""

import pytest

from tests.factories import FundingApplicationFactory, formal_check
from workflows.flows import ReviewFlow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("decision", "following"), [("accept", "assign_experts"), ("reject", "end")]
)
def test_the_decided_task_is_stored_finished_with_the_next_task_after_it(decision, following):
    application = FundingApplicationFactory(state="lead_review")

    formal_check(application, application.people, decision, reason="不符合支持方向")

    tasks = ReviewFlow.task_class._default_manager.filter(process_id=application.review_process_id)
    decided = tasks.get(flow_task=ReviewFlow.lead_review)
    assert (decided.status, decided.finished is not None) == ("DONE", True)
    assert tasks.get(previous=decided).flow_task.name == following
