"""A decision reads its application's audit chain in the statement that takes the row lock:
it must be the chain as it stands once the lock is granted, not as it stood when the statement
began waiting for another transaction that held the lock (PostgreSQL reads other tables of a
statement as of its start; ``workflows.0020``). Else the separation of duties would miss what
that other transaction recorded."""

import threading

import pytest
from django.db import connection, transaction

from tests.factories import FundingApplicationFactory
from workflows import assignments
from workflows.audit import record_event
from workflows.errors import NotAllowed
from workflows.models import FundingApplication


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
    raise AssertionError("the claim never waited for the row lock")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_that_waited_for_the_row_lock_is_refused_for_what_was_recorded_meanwhile():
    application = FundingApplicationFactory(state="group_review")
    chair = application.people.group_chair
    holding, outcome = threading.Event(), []

    def claim() -> None:
        try:
            holding.wait()
            assignments.claim_task(application_id=application.pk, actor=chair)
            outcome.append("claimed")
        except NotAllowed:
            outcome.append("refused")
        finally:
            connection.close()

    claimant = threading.Thread(target=claim)
    claimant.start()
    with transaction.atomic():
        locked = FundingApplication.objects.select_for_update().get(pk=application.pk)
        # The chair acts at the lead tier meanwhile: nobody acts at two tiers of one request.
        record_event(locked, actor=chair, name="receive", tier="lead")
        holding.set()
        _wait_until_a_backend_waits_for_a_lock()
    claimant.join()

    assert outcome == ["refused"]
