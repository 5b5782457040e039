"""On SQLite the row lock's statement also reads the application's open tasks, and the first
look at them after the lock takes them from there: they must be the tasks as they stand, as a
query of their own would read them, even after a task was saved under the lock."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from approvals import group_review
from tests.factories import FundingApplicationFactory
from workflows import assignments
from workflows.flows import ReviewFlow
from workflows.selectors import open_tasks
from workflows.transitions import locked_application

pytestmark = pytest.mark.django_db


def _fields(tasks):
    return [(t.pk, t.flow_task.name, t.status, t.owner_id, t.created, t.process.pk) for t in tasks]


def _queried(application):
    return list(
        ReviewFlow.task_class._default_manager.filter(
            process_id=application.review_process_id, status__in=("NEW", "ASSIGNED", "STARTED")
        )
        .select_related("process")
        .order_by("created", "id")
    )


@pytest.fixture
def scoring():
    """An application whose experts were assigned: a score task for each."""
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.assign_experts(
        application_id=application.pk,
        actor=people.group_chair,
        expert_ids=[e.pk for e in people.experts],
    )
    return application


def test_the_open_tasks_after_the_row_lock_are_those_a_query_of_their_own_reads(scoring):
    application = scoring
    with transaction.atomic():
        locked = locked_application(application.pk)

        assert _fields(open_tasks(locked)) == _fields(_queried(locked))


def test_the_open_tasks_after_the_row_lock_are_filtered_by_the_names_asked_for(scoring):
    application = scoring
    with transaction.atomic():
        locked = locked_application(application.pk)
        expected = [t for t in _queried(locked) if t.flow_task.name == "score"]

        assert len(expected) == 3
        assert _fields(open_tasks(locked, "score")) == _fields(expected)


def test_a_task_saved_under_the_row_lock_is_seen_as_saved_by_the_next_look_at_the_tasks():
    application = FundingApplicationFactory(state="submitted")
    officer = application.people.lead_officer
    with transaction.atomic():
        locked = locked_application(application.pk)
        (task,) = _queried(locked)
        task.owner, task.status = officer, "ASSIGNED"
        task.save()

        (seen,) = open_tasks(locked)

    assert (seen.owner_id, seen.status) == (officer.pk, "ASSIGNED")


def test_the_open_tasks_after_the_row_lock_cost_no_statement_of_their_own_on_sqlite():
    application = FundingApplicationFactory(state="submitted")
    with transaction.atomic():
        locked = locked_application(application.pk)
        with CaptureQueriesContext(connection) as statements:
            tasks = open_tasks(locked)

    assert len(tasks) == 1
    # (PostgreSQL reads them by a statement of their own: a subquery of the lock's statement
    # would see them as they were before it waited for the lock.)
    assert len(statements) == (0 if connection.vendor == "sqlite" else 1)
