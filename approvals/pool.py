"""A joint meeting's approvals drawn on the call's pooled budget.

`plan_pool_draw` draws the approvals on paper, before the meeting's resolutions are recorded;
`pool_draw_rows` gives what the draw writes in the resolutions' transaction (written with them,
``resolution_writes``): the departments' lower balances and each approval's split by
department and by form, with the policy version.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import InvalidInput
from workflows.models import FundingApplication, FundingCall

from .assessment import (
    _english,
    call_special_project_codes,
    fact_row,
    fact_rows,
    facts_for_rows,
)
from .models import AgendaItem, ApprovalSplit, PoolBalance
from .policy import (
    ApplicationFacts,
    BatchAllocation,
    BatchItem,
    PolicyVersion,
    PoolState,
    allocate_batch,
)
from .policy.money import MAX_AMOUNT, ZERO, format_money, times_down
from .policy_store import PolicyInForce, policy_in_force_for_call

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class PoolDraw:
    """A meeting's approvals drawn (on paper) on the pool, and each one's form split."""

    in_force: PolicyInForce
    call: FundingCall
    allocation: BatchAllocation
    forms: dict[int, tuple[Decimal, Decimal, dict[str, Any]]]  # application → grant, equity, rule
    balances: dict[str, PoolBalance]  # the departments' rows drawn on, locked (none yet: empty)


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    # Anything else is the approval's to refuse, with its own message.
    return amount if amount.is_finite() and 0 < amount < MAX_AMOUNT else None


def form_split(
    policy: PolicyVersion, facts: ApplicationFacts, amount: Decimal
) -> tuple[Decimal, Decimal, dict[str, Any]]:
    """(grant, equity, the case that decided) for an approved amount under the equity rule."""
    rule = policy.equity_share
    if rule is None:
        return amount, ZERO, {}
    for index, case in enumerate(rule.cases):
        if case.when is None or case.when.test(facts):
            equity = times_down(amount, case.value)
            return (
                amount - equity,
                equity,
                {"rule_id": rule.id, "case": index, "share": str(case.value)},
            )
    return amount, ZERO, {}  # pragma: no cover - the schema makes the last case a fallback


def plan_pool_draw(
    *,
    call: FundingCall,
    approvals: list[tuple[AgendaItem, Any]],
    call_locked: bool = False,
    applications: Mapping[int, FundingApplication] | None = None,
) -> PoolDraw | None:
    """Before a meeting's resolutions are recorded: draw its approvals (agenda item, amount) on
    the call's pool in the fixed order (score descending, then submission time). None when no
    version is in force. Locks the call's pool until the transaction ends (the call's row,
    unless the caller holds it already: ``call_locked``, then the balances). Refuses
    (InvalidInput) an oversubscribed pool, naming each department short and by how much.
    Amounts that are missing or not positive are left to the approval itself to refuse.
    ``applications``: the approved requests as the caller already read them (locked), with
    their organisation's district and special project; otherwise they are read here."""
    # FOR NO KEY UPDATE on PostgreSQL: the call's meetings draw one at a time, while new
    # requests and meetings of the call (rows that refer to it) are not held up.
    if not call_locked:
        list(
            FundingCall.objects.select_for_update(no_key=True)
            .filter(pk=call.pk)
            .values_list("pk", flat=True)
        )
    # The balances locked and read with the version, after the call's lock.
    in_force = policy_in_force_for_call(call, lock_pool=True)
    if in_force is None:
        return None
    balances = in_force.balances or {}
    pool_state = PoolState(dict(in_force.amounts)) if in_force.amounts else None
    requested = {item.application_id: (item, _amount(amount)) for item, amount in approvals}
    wanted: dict[int, tuple[AgendaItem, Decimal]] = {
        pk: (item, amount) for pk, (item, amount) in requested.items() if amount is not None
    }
    rows = (
        [fact_row(applications[pk]) for pk in sorted(wanted)]
        if applications is not None
        else fact_rows(FundingApplication.objects.filter(pk__in=wanted))
    )
    codes = (
        # The call as read with the requests' locked rows (all of this call: its agenda).
        next(iter(applications.values())).call.special_project_codes()
        if applications
        else call_special_project_codes(call.pk)
    )
    facts, problems = facts_for_rows(rows, codes)
    if problems:
        pk, problem = next(iter(problems.items()))
        raise InvalidInput(
            _("申请 %(pk)s 的数据无法按配套资金政策测算：%(problem)s")
            % {"pk": pk, "problem": problem}
        )
    items = [
        BatchItem(
            key=str(row["pk"]),
            amount=wanted[row["pk"]][1],
            score=wanted[row["pk"]][0].weighted_score or ZERO,
            submitted_at=row["submitted_at"] or _EPOCH,
        )
        for row in rows
    ]
    allocation = allocate_batch(in_force.policy, items, pool_state)
    if allocation.is_oversubscribed:
        raise InvalidInput(_oversubscribed_message(in_force.policy, allocation))
    forms = {
        pk: form_split(in_force.policy, facts[pk], amount) for pk, (_item, amount) in wanted.items()
    }
    return PoolDraw(in_force, call, allocation, forms, balances)


def _oversubscribed_message(policy: PolicyVersion, allocation: BatchAllocation) -> str:
    short = {o.department for o in allocation.oversubscriptions}
    needed: dict[str, Decimal] = {}
    for draw in allocation.draws:
        for code, part in draw.by_department:
            needed[code] = needed.get(code, ZERO) + part
    english = _english()
    parts = []
    for department in policy.pool.departments:
        if department.code not in short:
            continue
        have = allocation.balances_before.balances[department.code]
        parts.append(
            _("%(department)s 需 %(needed)s 元，余额 %(balance)s 元，缺口 %(shortfall)s 元")
            % {
                "department": department.name.en if english else department.name.zh,
                "needed": format_money(needed[department.code]),
                "balance": format_money(have),
                "shortfall": format_money(needed[department.code] - have),
            }
        )
    items = [
        f"#{key}" for key in sorted({o.item_key for o in allocation.oversubscriptions}, key=int)
    ]
    return _("资金池不足，决议未记录：%(departments)s（无法足额支付的申请：%(items)s）。") % {
        "departments": "；".join(parts),
        "items": "、".join(items),
    }


@dataclass(frozen=True)
class PoolDrawRows:
    """What a draw writes: the departments' balances first drawn on (new rows), those lowered
    again, and each approval's split."""

    new_balances: list[PoolBalance]
    lowered: list[PoolBalance]
    splits: list[ApprovalSplit]


def pool_draw_rows(draw: PoolDraw, *, items: Mapping[int, AgendaItem]) -> PoolDrawRows:
    """The rows a draw writes, unsaved (the lowered balances changed in place)."""
    policy = draw.in_force.policy
    record = draw.in_force.record
    after = draw.allocation.balances_after.balances
    existing = dict(draw.balances)
    now = timezone.now()
    new_balances = []
    for position, department in enumerate(policy.pool.departments):
        balance = existing.get(department.code)
        if balance is None:
            new_balances.append(
                PoolBalance(
                    call=draw.call,
                    policy=record,
                    department_code=department.code,
                    department_name=department.name.zh,
                    budget=department.budget,
                    balance=after[department.code],
                    position=position,
                    updated_at=now,
                )
            )
        else:
            balance.balance = after[department.code]
            balance.updated_at = now
    names = {d.code: d.name for d in policy.pool.departments}
    splits = []
    for position, batch_draw in enumerate(draw.allocation.draws, 1):
        pk = int(batch_draw.key)
        grant, equity, rule = draw.forms[pk]
        splits.append(
            ApprovalSplit(
                agenda_item=items[pk],
                application_id=pk,
                policy=record,
                policy_version=policy.version,
                policy_content_hash=policy.content_hash,
                amount=batch_draw.amount,
                grant_amount=grant,
                equity_amount=equity,
                by_department=[
                    {
                        "code": code,
                        "name_zh": names[code].zh,
                        "name_en": names[code].en,
                        "amount": str(part),
                    }
                    for code, part in batch_draw.by_department
                ],
                form_rule=rule,
                draw_position=position,
            )
        )
    return PoolDrawRows(new_balances, list(draw.balances.values()), splits)


def return_reservation(application: FundingApplication) -> ApprovalSplit | None:
    """An approval that no longer stands (an objection upheld during the public notice): the
    amounts its meeting drew are put back on the departments' balances, so that the meeting
    deciding again draws afresh. Runs in the caller's transaction (the application locked, so
    its latest split is the approval being undone), the pool's rows locked; the split stays on
    record as the meeting decided it. None when the approval drew on no pool."""
    split = (
        ApprovalSplit.objects.filter(application=application).order_by("-created_at", "-id").first()
    )
    if split is None:
        return None
    balances = {
        b.department_code: b
        for b in PoolBalance.objects.select_for_update().filter(
            call_id=application.call_id, policy_id=split.policy_id
        )
    }
    now = timezone.now()
    for part in split.by_department:
        balance = balances.get(part["code"])
        if balance is not None:
            balance.balance += Decimal(part["amount"])
            balance.updated_at = now
    PoolBalance.objects.bulk_update(list(balances.values()), ["balance", "updated_at"])
    return split


def debit_pool(split: ApprovalSplit, parts: list[tuple[str, Decimal]]) -> list[PoolBalance]:
    """A tranche paid out of what the approval reserved: each department's ``disbursed`` grows
    by its part, in the caller's transaction, the balances' rows locked (two payments of the
    same call wait for each other). Refused (InvalidInput) when a department would pay out more
    than the call's approvals reserved on it."""
    balances = {
        b.department_code: b
        for b in PoolBalance.objects.select_for_update()
        .filter(call_id=split.application.call_id, policy_id=split.policy_id)
        .order_by("position")
    }
    now = timezone.now()
    for code, amount in parts:
        balance = balances.get(code)
        if balance is None:
            raise InvalidInput(_("资金池中没有出资部门 %s。") % code)
        reserved = balance.budget - balance.balance
        if balance.disbursed + amount > reserved:
            raise InvalidInput(
                _(
                    "%(department)s 已拨付 %(paid)s 元，"
                    "本次 %(amount)s 元将超出已安排的 %(reserved)s 元。"
                )
                % {
                    "department": balance.department_name,
                    "paid": format_money(balance.disbursed),
                    "amount": format_money(amount),
                    "reserved": format_money(reserved),
                }
            )
        balance.disbursed += amount
        balance.updated_at = now
    PoolBalance.objects.bulk_update(list(balances.values()), ["disbursed", "updated_at"])
    return list(balances.values())
