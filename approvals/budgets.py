"""The funding departments' pooled budgets per year.

The policy file states each department's budget; a yearly budget set in the back office
(``DepartmentBudget``), when present for a call's year, replaces it (``with_budgets``). It is
applied wherever a policy meets a call (``policy_store.policy_in_force_for_call`` for the pool,
the meeting's budget check and the dashboard; ``simulation.simulate`` for a draft), so every
place reads the same budget. A change moves the pools already drawn on: each call's balance
keeps what the meetings reserved, against the new budget.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Func, Sum, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import access
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import FundingCall
from workflows.money import MAX_AMOUNT

from .models import DepartmentBudget, MatchingPolicyVersion, PoolBalance
from .policy import PolicyVersion
from .policy.money import CENT, format_money

if TYPE_CHECKING:
    from workflows.actors import Actor


def yearly_budgets(year: int) -> dict[str, Decimal]:
    """Each department's budget set for ``year``, by the pool's department code."""
    return dict(DepartmentBudget.objects.filter(year=year).values_list("department_code", "amount"))


class YearlyBudgets(Func):
    """The budgets set for a year as one column of a query on another table (the versions of
    the policy in force): a JSON array of [department code, amount as text], read by
    ``budgets_read_with``. Saves the budgets' own query where a decision reads the policy."""

    output_field = TextField()
    contains_aggregate = False

    def __init__(self, year: int) -> None:
        super().__init__(Value(year))

    def as_sql(  # type: ignore[override]  # none of Func's templating is used
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        year_sql, params = compiler.compile(self.source_expressions[0])
        table = DepartmentBudget._meta.db_table
        if connection.vendor == "postgresql":
            pairs = "coalesce(json_agg(json_build_array(b.department_code, b.amount::text)), '[]')"
            return f'(SELECT {pairs}::text FROM "{table}" AS b WHERE b.year = {year_sql})', params  # noqa: S608
        pairs = "json_group_array(json_array(b.department_code, CAST(b.amount AS TEXT)))"
        return f'(SELECT {pairs} FROM "{table}" AS b WHERE b.year = {year_sql})', params  # noqa: S608


def budgets_read_with(column: str) -> dict[str, Decimal]:
    """The budgets of a ``YearlyBudgets`` column, by department code, to the fen."""
    return {code: Decimal(amount).quantize(CENT) for code, amount in json.loads(column)}


def with_yearly_budgets(policy: PolicyVersion, year: int) -> PolicyVersion:
    """The policy with the pool's budgets of ``year`` where they are set (the same policy,
    unchanged, where none is)."""
    return with_budgets(policy, yearly_budgets(year))


def policies_of_calls(calls: list[FundingCall]) -> dict[int, PolicyVersion]:
    """The policy governing each call (the active version in force on the day it opened), with
    the budgets of its year; calls no version governs are left out. Two queries whatever the
    number of calls."""
    from .policy_store import compiled_policy, policy_day_for_call

    if not calls:
        return {}
    versions = [compiled_policy(r) for r in MatchingPolicyVersion.objects.filter(active=True)]
    if not versions:
        return {}
    by_year: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for code, year, amount in DepartmentBudget.objects.filter(
        year__in={c.year for c in calls}
    ).values_list("department_code", "year", "amount"):
        by_year[year][code] = amount
    governing = {}
    for call in calls:
        day = policy_day_for_call(call)
        policy = next((p for p in versions if p.is_effective_on(day)), None)
        if policy is not None:
            governing[call.pk] = with_budgets(policy, by_year[call.year])
    return governing


def with_budgets(policy: PolicyVersion, budgets: dict[str, Decimal]) -> PolicyVersion:
    """The policy with ``budgets`` (by department code) in place of its own where set (the
    same policy, unchanged, where none is)."""
    pool = policy.pool
    if not any(d.code in budgets for d in pool.departments):
        return policy
    departments = tuple(
        dataclasses.replace(d, budget=budgets[d.code]) if d.code in budgets else d
        for d in pool.departments
    )
    rules = tuple(
        dataclasses.replace(rule, departments=departments) if rule is pool else rule
        for rule in policy.rules
    )
    return dataclasses.replace(policy, rules=rules)


def pool_departments() -> dict[str, str]:
    """The funding departments (code → Chinese name) that any stored policy's pool names."""
    from .policy_store import compiled_policy

    departments: dict[str, str] = {}
    for record in MatchingPolicyVersion.objects.order_by("-effective_from", "-pk"):
        for department in compiled_policy(record).pool.departments:
            departments.setdefault(department.code, department.name.zh)
    return departments


def drawn_in_year(department_code: str, year: int) -> Decimal:
    """What the meetings of the year's calls have reserved on the department's pools."""
    drawn = PoolBalance.objects.filter(call__year=year, department_code=department_code).aggregate(
        total=Sum(F("budget") - F("balance"))
    )["total"]
    return drawn or Decimal(0)


def check_yearly_budget(*, department_code: str, year: int, amount: Decimal) -> None:
    """Refuses (InvalidInput) a budget that is negative, too large, not a whole number of fen,
    for a department no policy's pool names, or below what the year's meetings have already
    reserved on the department's pools."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidInput(_("预算须为金额。"))
    if amount < 0:
        raise InvalidInput(_("预算不能为负数。"))
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("金额不得超过 9,999,999,999,999.99 元，最多两位小数。"))
    if department_code not in pool_departments():
        raise InvalidInput(_("配套资金政策的资金池中没有该出资部门。"))
    drawn = drawn_in_year(department_code, year)
    if amount < drawn:
        raise InvalidInput(
            _("%(year)d年度该部门资金池已安排 %(drawn)s 元，预算不能低于此数。")
            % {"year": year, "drawn": format_money(drawn)}
        )


def set_yearly_budget(
    *, actor: Actor, department_code: str, year: int, amount: Decimal
) -> DepartmentBudget:
    """An administrator sets a department's pooled budget for a year (a new row, or the row of
    that year changed). The pools the year's calls have drawn on follow, in the same
    transaction: each keeps what its meetings reserved. Refused for anybody but an
    administrator, and for what ``check_yearly_budget`` refuses."""
    if not access.may_configure(actor):
        raise NotAllowed(_("只有管理员可以设置部门预算。"))
    with transaction.atomic():
        balances = list(
            PoolBalance.objects.select_for_update().filter(
                call__year=year, department_code=department_code
            )
        )
        check_yearly_budget(department_code=department_code, year=year, amount=amount)
        now = timezone.now()
        budget, _created = DepartmentBudget.objects.update_or_create(
            department_code=department_code,
            year=year,
            defaults={
                "amount": amount,
                "department_name": pool_departments()[department_code],
                "updated_at": now,
            },
        )
        for balance in balances:
            reserved = balance.budget - balance.balance
            balance.budget, balance.balance, balance.updated_at = amount, amount - reserved, now
        PoolBalance.objects.bulk_update(balances, ["budget", "balance", "updated_at"])
    return budget
