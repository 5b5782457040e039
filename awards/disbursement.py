"""Paying the agreement out (拨付) tranche by tranche, each once its condition holds, and the
equity part held as a holding until its exit. Each is the one public service of its decision."""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.pool import debit_pool
from workflows.errors import InvalidInput, NotFound, TransitionConflict
from workflows.models import FundingApplication, Status
from workflows.money import parse_money
from workflows.review_path import Tier
from workflows.transitions import locked_application, refusals_recorded

from .agreements import CENT, approval_split
from .hooks import has_accepted_report
from .models import EquityHolding, FundingAgreement, Tranche
from .recording import in_both_languages, record_step
from .rights import ensure_may_record

if TYPE_CHECKING:
    from workflows.actors import Actor

# The status of a request whose completion was accepted (added by the completion acceptance).
COMPLETED = "completed"
# Tranches are paid while the project runs and after its completion is accepted.
PAYING = (Status.IN_EXECUTION, "acceptance_review", COMPLETED)


def condition_holds(tranche: Tranche, application: FundingApplication) -> bool:
    """On signing: the agreement is signed. On an accepted report: the outcome reports say so
    (``hooks.has_accepted_report``). On completion: the completion was accepted."""
    if tranche.condition == Tranche.Condition.ON_SIGNING:
        return tranche.agreement.signed
    if tranche.condition == Tranche.Condition.ON_ACCEPTED_REPORT:
        return has_accepted_report(application)
    return bool(application.status == COMPLETED)


def released_total(agreement: FundingAgreement) -> Decimal:
    total = agreement.tranches.filter(released_at__isnull=False).aggregate(s=Sum("amount"))["s"]
    return total or Decimal(0)


def _parts(agreement: FundingAgreement, amount: Decimal) -> list[tuple[str, Decimal]]:
    """The tranche's share of each department's part of the agreement (the last takes the
    rounding)."""
    parts = [(d["code"], Decimal(d["amount"])) for d in agreement.by_department]
    if not parts or not agreement.amount:
        return []
    out, running = [], Decimal(0)
    for i, (code, part) in enumerate(parts):
        if i == len(parts) - 1:
            value = amount - running
        else:
            value = (amount * part / agreement.amount).quantize(CENT, rounding=ROUND_DOWN)
        running += value
        out.append((code, value))
    return out


@refusals_recorded
def release_tranche(*, tranche_id: int, actor: Actor) -> Tranche:
    """The lead department releases the next tranche once its condition holds: the departments'
    pooled budgets are debited for it, a payment notice is issued. Refused for a tranche paid
    already, out of order, before its condition holds, and when the sum paid would exceed the
    agreement (and so the approval)."""
    application_id = (
        Tranche.objects.filter(pk=tranche_id)
        .values_list("agreement__application_id", flat=True)
        .first()
    )
    if application_id is None:
        raise NotFound(_("拨付批次不存在。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_record("release_tranche", tier=Tier.LEAD, application=application, actor=actor)
        if application.status not in PAYING:
            raise TransitionConflict(_("协议签订后方可拨付。"))
        tranche = Tranche.objects.select_for_update().select_related("agreement").get(pk=tranche_id)
        agreement = tranche.agreement
        if tranche.released_at is not None:
            raise TransitionConflict(_("第 %d 批资金已拨付。") % tranche.position)
        if agreement.tranches.filter(
            position__lt=tranche.position, released_at__isnull=True
        ).exists():
            raise TransitionConflict(_("请先拨付前面的批次。"))
        if not condition_holds(tranche, application):
            raise TransitionConflict(
                _("第 %(n)d 批的拨付条件（%(condition)s）尚未满足。")
                % {"n": tranche.position, "condition": Tranche.Condition(tranche.condition).label}
            )
        paid = released_total(agreement)
        ceiling = min(agreement.amount, application.approved_amount or Decimal(0))
        if paid + tranche.amount > ceiling:
            raise InvalidInput(
                _("累计拨付将达 %(total)s 元，超过协议金额 %(ceiling)s 元。")
                % {"total": f"{paid + tranche.amount:,.2f}", "ceiling": f"{ceiling:,.2f}"}
            )
        parts = _parts(agreement, tranche.amount)
        split = approval_split(application)
        if split is not None and parts:
            debit_pool(split, parts)
        tranche.released_by = actor
        tranche.released_at = timezone.now()
        tranche.save(update_fields=["released_by", "released_at"])
        names = {d["code"]: d.get("name_zh", d["code"]) for d in agreement.by_department}
        record_step(
            application,
            actor=actor,
            name="release_tranche",
            tier=Tier.LEAD,
            details={
                "position": tranche.position,
                "amount": str(tranche.amount),
                "condition": in_both_languages(Tranche.Condition(tranche.condition).label),
                "released_total": str(paid + tranche.amount),
                "departments": [
                    {"name": names[code], "amount": f"{value:,.2f}"} for code, value in parts
                ],
            },
        )
    return tranche


def _percent(value: object, label: str) -> Decimal:
    try:
        share = Decimal(str(value)).quantize(CENT)
    except ArithmeticError as exc:
        raise InvalidInput(_("%s格式不正确。") % label) from exc
    if not share.is_finite() or not 0 < share <= 100:
        raise InvalidInput(_("%s须大于0且不超过100。") % label)
    return share


@refusals_recorded
def record_equity(
    *,
    application_id: int,
    actor: Actor,
    investing_body: str,
    amount: object,
    share: object,
    valuation: object,
    invested_on: datetime.date,
) -> EquityHolding:
    """The lead department records the equity investment of a signed agreement: who invested,
    for what share at what valuation, when. Refused without an equity part, above it, and
    twice."""
    body = investing_body.strip()
    if not body:
        raise InvalidInput(_("请填写出资主体。"))
    value = parse_money(amount)
    percent = _percent(share, _("持股比例"))
    worth = parse_money(valuation)
    if value <= 0 or worth < value:
        raise InvalidInput(_("投资金额须大于零，投后估值不得低于投资金额。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_record("record_equity", tier=Tier.LEAD, application=application, actor=actor)
        if application.status not in PAYING:
            raise TransitionConflict(_("协议签订后方可登记股权投资。"))
        agreement = FundingAgreement.objects.filter(application=application).first()
        if agreement is None or agreement.equity_amount <= 0:
            raise TransitionConflict(_("该项目的协议没有股权投资部分。"))
        if value > agreement.equity_amount:
            raise InvalidInput(
                _("投资金额不得超过协议约定的股权投资 %s 元。") % f"{agreement.equity_amount:,.2f}"
            )
        if EquityHolding.objects.filter(application=application).exists():
            raise TransitionConflict(_("该项目的股权投资已登记。"))
        holding = EquityHolding.objects.create(
            application=application,
            investing_body=body,
            amount=value,
            share=percent,
            valuation=worth,
            invested_on=invested_on,
            recorded_by=actor,
        )
        record_step(
            application,
            actor=actor,
            name="record_equity",
            tier=Tier.LEAD,
            details={"amount": str(value), "share": str(percent), "valuation": str(worth)},
        )
    return holding


@refusals_recorded
def exit_equity(
    *,
    application_id: int,
    actor: Actor,
    kind: str,
    exited_on: datetime.date,
    proceeds: object,
) -> EquityHolding:
    """The exit of the holding: bought back, transferred or written off, with what came back
    (nothing for a write-off). Refused for an unknown kind, before the investment, and twice."""
    if kind not in EquityHolding.Exit.values:
        raise InvalidInput(_("未知的退出方式。"))
    value = parse_money(proceeds)
    if value < 0 or (kind == EquityHolding.Exit.WRITE_OFF and value != 0):
        raise InvalidInput(_("核销时收回金额为零；其他退出方式的收回金额不得为负。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_record("exit_equity", tier=Tier.LEAD, application=application, actor=actor)
        holding = EquityHolding.objects.select_for_update().filter(application=application).first()
        if holding is None:
            raise TransitionConflict(_("该项目尚未登记股权投资。"))
        if holding.exit_kind:
            raise TransitionConflict(_("该股权投资已退出。"))
        if exited_on < holding.invested_on:
            raise InvalidInput(_("退出日期不得早于投资日期。"))
        holding.exit_kind = kind
        holding.exited_on = exited_on
        holding.proceeds = value
        holding.save(update_fields=["exit_kind", "exited_on", "proceeds"])
        record_step(
            application,
            actor=actor,
            name="exit_equity",
            tier=Tier.LEAD,
            details={"kind": kind, "proceeds": str(value)},
        )
    return holding
