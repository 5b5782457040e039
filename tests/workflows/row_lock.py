"""Races on PostgreSQL: a claim that has to wait for an application's row lock, held by the test
meanwhile (what the claim decides must be what was committed while it waited), and the wait
for another connection to be waiting for a lock."""

import threading
from collections.abc import Callable

from django.db import connection, transaction

from workflows import assignments
from workflows.errors import NotAllowed, TransitionConflict
from workflows.models import FundingApplication


def claim_after_waiting(
    application: FundingApplication, actor: object, meanwhile: Callable[[FundingApplication], None]
) -> str:
    """Holds the application's row lock, does ``meanwhile`` under it, lets ``actor``'s claim
    start and wait for the lock, then commits. The claim's outcome: "claimed", or the class of
    its refusal."""
    holding, outcome = threading.Event(), []

    def claim() -> None:
        try:
            holding.wait()
            assignments.claim_task(application_id=application.pk, actor=actor)
            outcome.append("claimed")
        except (NotAllowed, TransitionConflict) as refusal:
            outcome.append(type(refusal).__name__)
        finally:
            connection.close()

    claimant = threading.Thread(target=claim)
    claimant.start()
    with transaction.atomic():
        meanwhile(FundingApplication.objects.select_for_update().get(pk=application.pk))
        holding.set()
        wait_until_a_backend_waits_for_a_lock("the claim")
    claimant.join()
    return outcome[0]


def wait_until_a_backend_waits_for_a_lock(who: str) -> None:
    """Returns once another connection waits for a lock (``who`` is named if none ever does)."""
    with connection.cursor() as cursor:
        for _poll in range(100_000):
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else read once a transaction
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError(f"{who} never waited for a lock")
