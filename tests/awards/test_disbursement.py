"""Tranches released as their conditions hold, debiting the pool; the equity holding."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from approvals.models import PoolBalance
from awards import disbursement, hooks
from awards.models import EquityHolding, FundingAgreement, Tranche
from tests.factories import DepartmentFactory, make_user
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict

from .helpers import in_execution, pooled, through_to_execution, with_agreement

pytestmark = pytest.mark.django_db


def _tranche(application, position):
    return Tranche.objects.get(agreement__application=application, position=position)


def _release(application, position, actor=None):
    return disbursement.release_tranche(
        tranche_id=_tranche(application, position).pk,
        actor=actor or application.people.lead_officer,
    )


def test_the_first_tranche_is_released_on_signing_with_its_payment_notice():
    application = in_execution()

    tranche = _release(application, 1)

    assert tranche.released_by == application.people.lead_officer
    assert application.documents.filter(kind="payment_notice").count() == 1


def test_releasing_a_tranche_debits_the_departments_pooled_budget():
    application = through_to_execution(pooled())
    before = {b.department_code: b.disbursed for b in PoolBalance.objects.all()}

    tranche = _release(application, 1)

    after = {b.department_code: b.disbursed for b in PoolBalance.objects.all()}
    assert sum(after.values()) - sum(before.values()) == tranche.amount
    assert tranche.amount == Decimal("2400000.00")


def test_a_tranche_is_released_once():
    application = in_execution()
    _release(application, 1)

    with pytest.raises(TransitionConflict, match="已拨付"):
        _release(application, 1)


def test_no_tranche_is_released_before_the_agreement_is_signed():
    application = with_agreement()

    with pytest.raises(TransitionConflict):
        _release(application, 1)


def test_a_tranche_on_an_accepted_report_waits_without_one():
    application = in_execution()
    _release(application, 1)

    with pytest.raises(TransitionConflict, match="尚未满足"):
        _release(application, 2)


def test_a_tranche_on_an_accepted_report_is_released_once_the_reports_say_so(monkeypatch):
    application = in_execution()
    _release(application, 1)
    monkeypatch.setattr(hooks, "_accepted_report", [lambda a: a.pk == application.pk])

    tranche = _release(application, 2)

    assert tranche.released_at is not None


def test_tranches_are_released_in_order():
    application = in_execution()

    with pytest.raises(TransitionConflict, match="前面的批次"):
        _release(application, 2)


def test_the_sum_released_never_exceeds_the_agreement():
    application = in_execution()
    Tranche.objects.filter(agreement__application=application, position=1).update(
        amount=Decimal("99999999.00")
    )

    with pytest.raises(InvalidInput, match="超过协议金额"):
        _release(application, 1)


def test_only_the_lead_department_of_the_project_releases_a_tranche():
    application = in_execution()
    elsewhere = make_user("lead_officer", department=DepartmentFactory())

    with pytest.raises(NotAllowed):
        _release(application, 1, actor=elsewhere)


def test_money_round_trips_to_the_fen():
    application = in_execution()
    agreement = FundingAgreement.objects.get(application=application)

    amounts = [t.amount for t in agreement.tranches.all()]

    assert sum(amounts) == agreement.amount
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)


# --- equity -----------------------------------------------------------------------------------


def _equity(application, **overrides):
    fields = {
        "investing_body": "北京市科技创新基金",
        "amount": "2000000",
        "share": "5",
        "valuation": "40000000",
        "invested_on": datetime.date(2026, 12, 1),
        **overrides,
    }
    return disbursement.record_equity(
        application_id=application.pk, actor=application.people.lead_officer, **fields
    )


def test_the_equity_part_is_recorded_as_a_holding():
    application = through_to_execution(pooled(funding_form="mixed", amount=Decimal("5000000.00")))

    holding = _equity(application)

    assert (holding.amount, holding.share) == (Decimal("2000000.00"), Decimal("5.00"))


def test_a_holding_cannot_exceed_the_equity_part():
    application = through_to_execution(pooled(funding_form="mixed", amount=Decimal("5000000.00")))

    with pytest.raises(InvalidInput, match="不得超过"):
        _equity(application, amount="2000000.01")


def test_no_holding_for_an_agreement_without_equity():
    application = in_execution()

    with pytest.raises(TransitionConflict, match="没有股权投资"):
        _equity(application)


def test_a_holding_exits_with_its_proceeds():
    application = through_to_execution(pooled(funding_form="mixed", amount=Decimal("5000000.00")))
    _equity(application)

    holding = disbursement.exit_equity(
        application_id=application.pk,
        actor=application.people.lead_officer,
        kind="buy_back",
        exited_on=datetime.date(2028, 12, 1),
        proceeds="2300000",
    )

    assert (holding.exit_kind, holding.proceeds) == ("buy_back", Decimal("2300000.00"))


def test_a_write_off_brings_nothing_back():
    application = through_to_execution(pooled(funding_form="mixed", amount=Decimal("5000000.00")))
    _equity(application)

    with pytest.raises(InvalidInput, match="核销"):
        disbursement.exit_equity(
            application_id=application.pk,
            actor=application.people.lead_officer,
            kind="write_off",
            exited_on=datetime.date(2028, 12, 1),
            proceeds="1",
        )
    assert EquityHolding.objects.get().exit_kind == ""


def test_the_payment_notice_names_the_condition_in_the_documents_language():
    from django.utils import translation

    from documents.content import award_context
    from workflows.models import AuditEntry

    application = in_execution()
    _release(application, 1)
    entry = AuditEntry.objects.get(application=application, transition="release_tranche")

    with translation.override("en"):
        english = award_context(application, entry)["details"]["condition"]
    with translation.override("zh-hans"):
        chinese = award_context(application, entry)["details"]["condition"]

    assert (english, chinese) == ("on signing", "协议签订后")
