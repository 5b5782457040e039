"""A finished task is stored finished, and the task that follows it is linked to it (on
PostgreSQL the two are written by one statement, held for the decision's own statement; by
themselves before any other statement, which must see them)."""

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import FundingApplicationFactory, formal_check
from workflows import submission
from workflows.flows import TASK_PROGRESS, ReviewFlow
from workflows.models import FundingApplication
from workflows.selectors import open_tasks
from workflows.statements import insert_row, writes_held

pytestmark = pytest.mark.django_db


def _tasks(application):
    return ReviewFlow.task_class._default_manager.filter(process_id=application.review_process_id)


@pytest.mark.parametrize(
    ("decision", "following"), [("accept", "assign_experts"), ("reject", "end")]
)
def test_the_decided_task_is_stored_finished_with_the_next_task_after_it(decision, following):
    application = FundingApplicationFactory(state="lead_review")

    formal_check(application, application.people, decision, reason="不符合支持方向")

    decided = _tasks(application).get(flow_task=ReviewFlow.lead_review)
    assert (decided.status, decided.finished is not None) == ("DONE", True)
    assert _tasks(application).get(previous=decided).flow_task.name == following


def test_a_submission_stores_its_start_finished_before_the_lead_departments_task():
    draft = FundingApplicationFactory()

    submission.submit_application(application_id=draft.pk, actor=draft.created_by)

    application = FundingApplication.objects.get(pk=draft.pk)
    start = _tasks(application).get(flow_task=ReviewFlow.start)
    lead = _tasks(application).get(previous=start)
    assert (start.status, start.finished is not None) == ("DONE", True)
    assert (lead.flow_task.name, lead.status, start.pk < lead.pk) == ("lead_review", "NEW", True)


def test_a_statement_run_while_a_task_write_is_held_sees_that_task():
    application = FundingApplicationFactory(state="lead_review")
    (lead,) = open_tasks(application, "lead_review")
    with transaction.atomic():
        lead.status, lead.finished = "DONE", timezone.now()
        following = ReviewFlow.task_class(
            process=lead.process, flow_task=ReviewFlow.assign_experts, token=lead.token
        )
        following.flow_task_type = following.flow_task.task_type
        with writes_held():
            insert_row(following, linked=("previous", lead), updating=(lead, TASK_PROGRESS))

            seen = list(_tasks(application).filter(previous=lead).values_list("pk", "status"))
            finished = _tasks(application).get(pk=lead.pk).status
        transaction.set_rollback(True)

    assert (seen, finished) == ([(following.pk, "NEW")], "DONE")


def test_a_row_updated_first_is_refused_for_a_new_row_not_linked_to_it_on_either_database():
    application = FundingApplicationFactory(state="lead_review")
    (lead,) = open_tasks(application, "lead_review")
    following = ReviewFlow.task_class(
        process=lead.process, flow_task=ReviewFlow.assign_experts, token=lead.token
    )

    with transaction.atomic(), pytest.raises(RuntimeError, match="linked to a saved one"):
        insert_row(following, updating=(lead, TASK_PROGRESS))

    assert not _tasks(application).filter(flow_task=ReviewFlow.assign_experts).exists()
