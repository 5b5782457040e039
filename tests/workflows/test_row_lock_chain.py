"""The application's chain comes with its row lock, in the locking statement: it must be the
chain as it stands once the lock is granted, not as it stood when the statement began waiting
for a decision that held the lock (PostgreSQL reads other tables of a statement as of its
start; ``workflows.0020``)."""

import threading

import pytest
from django.db import connection, transaction

from tests.factories import FundingApplicationFactory
from workflows.audit import chain_state, record_event
from workflows.transitions import locked_application


def _wait_until_a_backend_waits_for_a_lock() -> None:
    with connection.cursor() as cursor:
        for _poll in range(100_000):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the second decision never waited for the row lock")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_decision_that_waited_for_the_row_lock_sees_the_entry_appended_meanwhile():
    application = FundingApplicationFactory(state="lead_review")
    officer = application.people.lead_officer
    before = chain_state(application).app_seq
    holding, seen = threading.Event(), []

    def second_decision() -> None:
        try:
            holding.wait()
            with transaction.atomic():
                seen.append(chain_state(locked_application(application.pk)).app_seq)
        finally:
            connection.close()

    waiter = threading.Thread(target=second_decision)
    waiter.start()
    with transaction.atomic():
        locked = locked_application(application.pk)
        record_event(locked, actor=officer, name="remind", tier="lead")
        holding.set()
        _wait_until_a_backend_waits_for_a_lock()
    waiter.join()

    assert seen == [before + 1]
