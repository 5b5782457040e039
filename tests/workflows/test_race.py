"""Two decisions on one application at once: exactly one wins, the others are told it changed.

Real threads with their own database connections, in committed transactions, so that SQLite's
write lock (IMMEDIATE transactions, WAL) and PostgreSQL's row locks are what decide the race.
"""

import threading
from collections import Counter
from functools import partial

import pytest
from django.db import connection

from approvals import lead_review
from tests.factories import CHECKS_FAILED, CHECKS_PASSED, FundingApplicationFactory, make_user
from workflows import assignments
from workflows.audit import verify_chain
from workflows.errors import TransitionConflict
from workflows.models import AuditEntry, FundingApplication

from .cases import holder

THREADS = 8
ROUNDS = 100
CLAIM_ROUNDS = 20
CHAIN_ROUNDS = 10


def _race(calls) -> Counter:
    """Start every call at the same moment, each in its own thread; count how each ended."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait()
            call()
            outcome = "won"
        except TransitionConflict:
            outcome = "conflict"
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


def _formal_check(pk, officer, decision) -> None:
    lead_review.record_formal_check(
        application_id=pk,
        actor=officer,
        decision=decision,
        items=CHECKS_PASSED if decision == "accept" else CHECKS_FAILED,
        reason="请补充材料" if decision == "return" else "",
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_decisions_let_exactly_one_win_each_round():
    for _ in range(ROUNDS):
        application = FundingApplicationFactory(state="lead_review")
        officer = application.people.lead_officer
        entries_before = AuditEntry.objects.filter(application=application).count()

        accept = partial(_formal_check, application.pk, officer, "accept")

        outcomes = _race([accept] * THREADS)

        assert outcomes == Counter(won=1, conflict=THREADS - 1)
        assert FundingApplication.objects.get(pk=application.pk).status == "group_review"
        assert AuditEntry.objects.filter(application=application).count() == entries_before + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_by_officers_of_one_department_give_the_task_to_exactly_one():
    for _ in range(CLAIM_ROUNDS):
        application = FundingApplicationFactory(state="submitted")
        department = application.special_project.lead_department
        officers = [application.people.lead_officer] + [
            make_user("lead_officer", department=department) for _ in range(THREADS - 1)
        ]

        outcomes = _race(
            [
                lambda pk=application.pk, officer=officer: assignments.claim_task(
                    application_id=pk, actor=officer
                )
                for officer in officers
            ]
        )

        assert outcomes == Counter(won=1, conflict=THREADS - 1)
        assert holder(application, "lead_review") in officers
        assert AuditEntry.objects.filter(application=application, transition="receive").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_return_racing_an_acceptance_lets_exactly_one_of_them_win():
    for _ in range(CLAIM_ROUNDS):
        application = FundingApplicationFactory(state="lead_review")
        officer, pk = application.people.lead_officer, application.pk
        accept = partial(_formal_check, pk, officer, "accept")
        give_back = partial(_formal_check, pk, officer, "return")

        outcomes = _race([accept, give_back] * (THREADS // 2))

        assert outcomes == Counter(won=1, conflict=THREADS - 1)
        status = FundingApplication.objects.get(pk=pk).status
        assert status in ("group_review", "returned")
        assert (
            AuditEntry.objects.filter(
                application=application, transition__in=["accept_for_review", "return_for_revision"]
            ).count()
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_on_different_applications_all_win_and_keep_the_chain_gapless():
    for _ in range(CHAIN_ROUNDS):
        applications = [FundingApplicationFactory(state="submitted") for _ in range(THREADS)]

        outcomes = _race(
            [
                partial(assignments.claim_task, application_id=a.pk, actor=a.people.lead_officer)
                for a in applications
            ]
        )

        assert outcomes == Counter(won=THREADS)
        seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert verify_chain().intact
