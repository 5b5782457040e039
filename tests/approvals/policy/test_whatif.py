"""What-if comparison of two policy versions over a list of applications."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

import pytest

from approvals.policy import PolicyVersion, compare_policies, format_comparison

from .builders import build, make_facts, replace_rule, two_departments, with_rules

D = Decimal


def policy(version: str, ratio: str, pool: dict[str, Any] | None = None) -> PolicyVersion:
    doc = replace_rule("ratio", {"id": "ratio", "kind": "ratio", "cases": [{"ratio": D(ratio)}]})
    doc = replace_rule("pool", pool or two_departments(), doc)
    doc["version"] = version
    return build(doc)


APPLICATIONS = {
    "APP-1": make_facts(national_funding=D(1_000_000)),
    "APP-2": make_facts(national_funding=D(4_000_000)),
    "APP-3": make_facts(registered_in_beijing=False, district=""),
}


def test_each_application_gets_its_old_and_new_amount() -> None:
    comparison = compare_policies(policy("v1", "0.5"), policy("v2", "0.25"), APPLICATIONS)
    assert [(r.key, r.old_amount, r.new_amount, r.change) for r in comparison.rows] == [
        ("APP-1", D(500_000), D(250_000), D(-250_000)),
        ("APP-2", D(2_000_000), D(1_000_000), D(-1_000_000)),
        ("APP-3", D(0), D(0), D(0)),
    ]


def test_eligibility_is_compared_too() -> None:
    stricter = build(
        with_rules(
            {
                "id": "approval",
                "kind": "eligibility",
                "condition": "national_funding >= 2000000",
                "message": {"zh": "国家资金不足", "en": "too little national funding"},
            },
            document=replace_rule("pool", two_departments()),
        )
    )
    comparison = compare_policies(policy("v1", "0.5"), stricter, APPLICATIONS)
    assert [(r.old_eligible, r.new_eligible) for r in comparison.rows] == [
        (True, False),
        (True, True),
        (False, False),
    ]


def test_department_totals_are_set_against_the_budgets() -> None:
    comparison = compare_policies(policy("v1", "0.5"), policy("v2", "1"), APPLICATIONS)
    a, b = comparison.departments
    assert (a.code, a.old_total, a.old_budget, a.new_total) == (
        "a",
        D(1_500_000),
        D(1_000_000),
        D(2_000_000),
    )
    assert a.old_over_budget and a.new_over_budget
    assert (b.old_total, b.new_total, b.new_over_budget) == (D(1_000_000), D(3_000_000), False)


def test_department_in_only_one_policy_has_no_figures_on_the_other_side() -> None:
    other_pool = {
        "id": "pool",
        "kind": "pooled_funding",
        "method": "priority",
        "departments": [{"code": "c", "name": {"zh": "丙", "en": "C"}, "budget": 10**8}],
    }
    comparison = compare_policies(
        policy("v1", "0.5"), policy("v2", "0.5", other_pool), APPLICATIONS
    )
    c = comparison.departments[-1]
    assert (c.code, c.old_total, c.old_budget, c.new_total) == ("c", None, None, D(2_500_000))


def test_totals_count_amounts_and_eligible_applications() -> None:
    comparison = compare_policies(policy("v1", "0.5"), policy("v2", "0.25"), APPLICATIONS)
    assert (comparison.old_total, comparison.new_total) == (D(2_500_000), D(1_250_000))
    assert (comparison.old_eligible_count, comparison.new_eligible_count) == (2, 2)


def test_table_shows_each_application_and_department() -> None:
    text = format_comparison(
        compare_policies(policy("v1", "0.5"), policy("v2", "0.25"), APPLICATIONS)
    )
    assert text.startswith("政策比较：v1 → v2")
    assert "APP-2" in text
    assert "-1,000,000.00" in text
    assert "甲" in text


def test_table_flags_a_department_over_budget() -> None:
    text = format_comparison(
        compare_policies(policy("v1", "0.5"), policy("v2", "1"), APPLICATIONS), language="en"
    )
    a_line = next(line for line in text.splitlines() if line.startswith("A "))
    assert a_line.endswith("old, new")


def test_table_columns_line_up_with_chinese_names() -> None:
    text = format_comparison(compare_policies(policy("v1", "0.5"), policy("v2", "1"), APPLICATIONS))
    lines = text.splitlines()
    rule = lines[lines.index(next(line for line in lines if line.startswith("出资部门"))) + 1]
    row = next(line for line in lines if line.startswith("甲"))
    # 甲 is two terminal columns wide: the first column is padded to the rule's width.
    first_column = len(rule.split("  ")[0])
    assert display_width(row[: row.index("1,500,000.00")]) == first_column + 2


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_table_in_an_unknown_language_is_refused() -> None:
    comparison = compare_policies(policy("v1", "0.5"), policy("v2", "1"), APPLICATIONS)
    with pytest.raises(ValueError, match="language"):
        format_comparison(comparison, language="fr")
