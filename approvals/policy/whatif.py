"""What-if: the same applications under two policy versions, side by side.

For a proposed policy change the administrators want to see, before adopting it, who gains,
who loses, who becomes (in)eligible, and whether each department's budget would still cover
the total. Each application is assessed on its own against the departments' budgets (or the
pool states given), exactly as `evaluate` would; the department totals then show what the
whole list would cost each department.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .evaluator import evaluate
from .facts import ApplicationFacts
from .money import ZERO, format_money
from .pool import PoolState, balances_for
from .version import Message, PolicyVersion


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One application under the old and the new policy."""

    key: str
    old_eligible: bool
    old_amount: Decimal
    new_eligible: bool
    new_amount: Decimal

    @property
    def change(self) -> Decimal:
        return self.new_amount - self.old_amount


@dataclass(frozen=True, slots=True)
class DepartmentTotal:
    """What all the applications would cost one department, against what it has.

    A side is None when the department is not in that policy's pool.
    """

    code: str
    name: Message
    old_total: Decimal | None
    old_budget: Decimal | None
    new_total: Decimal | None
    new_budget: Decimal | None

    @property
    def old_over_budget(self) -> bool:
        return self.old_total is not None and self.old_total > (self.old_budget or ZERO)

    @property
    def new_over_budget(self) -> bool:
        return self.new_total is not None and self.new_total > (self.new_budget or ZERO)


@dataclass(frozen=True)
class PolicyComparison:
    """The result of `compare_policies`: per-application rows and per-department totals."""

    old_version: str
    old_content_hash: str
    new_version: str
    new_content_hash: str
    rows: tuple[ComparisonRow, ...]
    departments: tuple[DepartmentTotal, ...]

    @property
    def old_total(self) -> Decimal:
        return sum((r.old_amount for r in self.rows), ZERO)

    @property
    def new_total(self) -> Decimal:
        return sum((r.new_amount for r in self.rows), ZERO)

    @property
    def old_eligible_count(self) -> int:
        return sum(r.old_eligible for r in self.rows)

    @property
    def new_eligible_count(self) -> int:
        return sum(r.new_eligible for r in self.rows)


def compare_policies(
    old: PolicyVersion,
    new: PolicyVersion,
    applications: Mapping[str, ApplicationFacts],
    *,
    old_pool_state: PoolState | None = None,
    new_pool_state: PoolState | None = None,
) -> PolicyComparison:
    """Assess every application (key → facts, in the mapping's order) under both policies.

    Pure and deterministic. Refuses (PoolStateMismatchError) a pool state that is not its policy's.
    """
    old_balances = balances_for(old, old_pool_state)
    new_balances = balances_for(new, new_pool_state)
    old_sums = dict.fromkeys(old.pool.department_codes, ZERO)
    new_sums = dict.fromkeys(new.pool.department_codes, ZERO)
    rows = []
    for key, facts in applications.items():
        before = evaluate(old, facts, pool_state=old_pool_state)
        after = evaluate(new, facts, pool_state=new_pool_state)
        for part in before.by_department:
            old_sums[part.code] += part.amount
        for part in after.by_department:
            new_sums[part.code] += part.amount
        rows.append(
            ComparisonRow(key, before.eligible, before.amount, after.eligible, after.amount)
        )
    names = {d.code: d.name for d in old.pool.departments}
    names.update({d.code: d.name for d in new.pool.departments})
    codes = list(old.pool.department_codes)
    codes += [c for c in new.pool.department_codes if c not in old_sums]
    departments = tuple(
        DepartmentTotal(
            code,
            names[code],
            old_sums.get(code),
            old_balances.get(code),
            new_sums.get(code),
            new_balances.get(code),
        )
        for code in codes
    )
    return PolicyComparison(
        old.version, old.content_hash, new.version, new.content_hash, tuple(rows), departments
    )


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal; padding by len() would skew the table.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


_WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "政策比较：{old} → {new}",
        "rows": ["申请", "原资格", "原金额", "新资格", "新金额", "变化"],
        "yes": "符合",
        "no": "不符合",
        "absent": "—",
        "departments": ["出资部门", "原合计", "原预算", "新合计", "新预算", "超预算"],
        "old": "原政策",
        "new": "新政策",
        "total": "合计：原 {old_total} 元（{old_n} 项符合），新 {new_total} 元（{new_n} 项符合）",
    },
    "en": {
        "title": "Policy comparison: {old} → {new}",
        "rows": [
            "application",
            "old eligible",
            "old amount",
            "new eligible",
            "new amount",
            "change",
        ],
        "yes": "yes",
        "no": "no",
        "absent": "-",
        "departments": [
            "department",
            "old total",
            "old budget",
            "new total",
            "new budget",
            "over budget",
        ],
        "old": "old",
        "new": "new",
        "total": "Total: old {old_total} yuan ({old_n} eligible), new {new_total} yuan "
        "({new_n} eligible)",
    },
}


def format_comparison(comparison: PolicyComparison, *, language: str = "zh") -> str:
    """A plain-text table of the comparison, for a terminal or a text report.

    Refuses (ValueError) a language other than "zh" or "en".
    """
    if language not in _WORDS:
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    w = _WORDS[language]

    def money(value: Decimal | None) -> str:
        return w["absent"] if value is None else format_money(value)

    def signed(value: Decimal) -> str:
        return ("+" if value > 0 else "") + format_money(value)

    rows = [
        [
            r.key,
            w["yes"] if r.old_eligible else w["no"],
            money(r.old_amount),
            w["yes"] if r.new_eligible else w["no"],
            money(r.new_amount),
            signed(r.change),
        ]
        for r in comparison.rows
    ]
    departments = [
        [
            d.name.zh if language == "zh" else d.name.en,
            money(d.old_total),
            money(d.old_budget),
            money(d.new_total),
            money(d.new_budget),
            ", ".join(
                label
                for label, over in ((w["old"], d.old_over_budget), (w["new"], d.new_over_budget))
                if over
            ),
        ]
        for d in comparison.departments
    ]
    lines = [w["title"].format(old=comparison.old_version, new=comparison.new_version), ""]
    lines += _table(w["rows"], rows, right={2, 4, 5})
    lines.append("")
    lines += _table(w["departments"], departments, right={1, 2, 3, 4})
    lines.append("")
    lines.append(
        w["total"].format(
            old_total=format_money(comparison.old_total),
            old_n=comparison.old_eligible_count,
            new_total=format_money(comparison.new_total),
            new_n=comparison.new_eligible_count,
        )
    )
    return "\n".join(lines) + "\n"
