"""Two people acting at once on one request's outcome stages: the application's row lock lets
exactly one through, and nothing stored is counted twice. Real threads with their own
connections, in committed transactions, on SQLite and on PostgreSQL."""

import datetime
import threading
from collections import Counter
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from outcomes import recovery, reports
from outcomes.models import OutcomeReport, RecoveryOrder
from workflows.errors import InvalidInput, TransitionConflict

from .conftest import executing, figures

THREADS = 4


def _race(calls) -> Counter:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait()
            call()
            outcome = "won"
        except (TransitionConflict, InvalidInput):
            outcome = "refused"
        except Exception as exc:  # any other ending is what the test reports
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
def test_a_report_submitted_at_once_from_several_windows_is_stored_once():
    application = executing()
    submit = partial(
        reports.submit_report,
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(),
    )

    assert _race([submit] * THREADS) == Counter(won=1, refused=THREADS - 1)
    assert OutcomeReport.objects.filter(application=application).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_repayments_never_repay_more_than_the_order():
    application = executing()
    recovery.abandon_project(
        application_id=application.pk, actor=application.people.lead_officer, reason="终止"
    )
    recovery.set_recovery_amount(
        application_id=application.pk, actor=application.people.secretary, amount="1000000.00"
    )
    repay = partial(
        recovery.record_repayment,
        application_id=application.pk,
        actor=application.people.lead_officer,
        amount="600000.00",
        paid_on=timezone.localdate() - datetime.timedelta(days=1),
    )

    assert _race([repay] * THREADS) == Counter(won=1, refused=THREADS - 1)
    order = RecoveryOrder.objects.get(application=application)
    assert recovery.repaid(order) == Decimal("600000.00")
