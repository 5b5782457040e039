"""Concurrent releases of one tranche and concurrent resolutions of one objection: exactly one
wins. Real threads with their own connections, committed transactions (see
tests/workflows/test_race.py)."""

from __future__ import annotations

from collections import Counter
from functools import partial

import pytest

from approvals.models import PoolBalance
from awards import disbursement, notice
from awards.models import Objection, Tranche
from tests.workflows.test_race import _race
from workflows.models import AuditEntry

from .helpers import in_notice, lodge, pooled, through_to_execution

THREADS = 4
ROUNDS = 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_of_one_tranche_pay_it_once_and_debit_the_pool_once():
    for _ in range(ROUNDS):
        PoolBalance.objects.all().delete()
        application = through_to_execution(pooled())
        tranche = Tranche.objects.get(agreement__application=application, position=1)
        officer = application.people.lead_officer

        outcomes = _race(
            [partial(disbursement.release_tranche, tranche_id=tranche.pk, actor=officer)] * THREADS
        )

        assert outcomes == Counter(won=1, conflict=THREADS - 1)
        assert sum(b.disbursed for b in PoolBalance.objects.all()) == tranche.amount
        assert (
            AuditEntry.objects.filter(application=application, transition="release_tranche").count()
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_resolutions_of_one_objection_let_exactly_one_stand():
    for _ in range(ROUNDS):
        application = in_notice()
        objection = lodge(application)
        secretary = application.people.secretary
        notice.review_objection(application_id=application.pk, actor=secretary)

        def resolve(upheld, objection=objection, secretary=secretary):
            return partial(
                notice.resolve_objection,
                objection_id=objection.pk,
                actor=secretary,
                upheld=upheld,
                resolution="核查结论",
            )

        outcomes = _race([resolve(True), resolve(False)] * (THREADS // 2))

        assert outcomes == Counter(won=1, conflict=THREADS - 1)
        assert Objection.objects.get(pk=objection.pk).status in ("upheld", "dismissed")
