"""The row lock's statement also reads the application's open tasks, and the first look at
them after the lock takes them from there: they must be the tasks as they stand once the lock
is granted, as a query of their own would read them, even after a task was saved under the
lock (on PostgreSQL through ``workflows.0023``'s function: a subquery of the lock's statement
would see them as they were before it waited for the lock)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import FundingApplicationFactory, assign_experts, make_user
from workflows import assignments
from workflows.flows import ReviewFlow
from workflows.selectors import (
    keep_open_tasks_read_with_row,
    open_tasks,
    open_tasks_read_with_lock,
)

from .row_lock import claim_after_waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoring():
    """An application whose experts were assigned: a score task for each."""
    application = FundingApplicationFactory(state="group_review")
    assign_experts(application)
    application.refresh_from_db()
    return application


def _read_as_the_lock_does(application):
    column = open_tasks_read_with_lock(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM (SELECT review_process_id FROM workflows_fundingapplication "  # noqa: S608
            "WHERE id = %s) AS locked",
            [application.pk],
        )
        keep_open_tasks_read_with_row(application, cursor.fetchone()[0])


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


def test_the_open_tasks_read_with_the_row_lock_are_those_a_query_of_their_own_reads(scoring):
    with transaction.atomic():
        _read_as_the_lock_does(scoring)

        assert _fields(open_tasks(scoring)) == _fields(_queried(scoring))


def test_the_open_tasks_read_with_the_row_lock_are_filtered_by_the_names_asked_for(scoring):
    expected = [t for t in _queried(scoring) if t.flow_task.name == "score"]
    with transaction.atomic():
        _read_as_the_lock_does(scoring)

        assert len(expected) == 3
        assert _fields(open_tasks(scoring, "score")) == _fields(expected)


def test_a_task_saved_after_the_row_lock_is_seen_as_saved_by_the_next_look_at_the_tasks():
    application = FundingApplicationFactory(state="submitted")
    officer = application.people.lead_officer
    with transaction.atomic():
        _read_as_the_lock_does(application)
        (task,) = _queried(application)
        task.owner, task.status = officer, "ASSIGNED"
        task.save()

        (seen,) = open_tasks(application)

    assert (seen.owner_id, seen.status) == (officer.pk, "ASSIGNED")


def test_a_claim_reads_the_open_tasks_in_the_statement_that_takes_the_row_lock():
    application = FundingApplicationFactory(state="submitted")
    with CaptureQueriesContext(connection) as statements:
        assignments.claim_task(application_id=application.pk, actor=application.people.lead_officer)

    assert not [s for s in statements if s["sql"].startswith('SELECT "viewflow_task"')]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_that_waited_for_the_row_lock_sees_the_task_taken_meanwhile():
    application = FundingApplicationFactory(state="submitted")
    first = application.people.lead_officer
    second = make_user("lead_officer", department=application.special_project.lead_department)

    def take_the_task(locked):
        (task,) = _queried(locked)
        task.owner, task.status = first, "ASSIGNED"
        task.save()

    assert claim_after_waiting(application, second, take_the_task) == "TransitionConflict"
