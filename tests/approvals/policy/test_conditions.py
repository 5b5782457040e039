"""Condition expressions: what they accept, what they refuse, and that they mean what
rule-engine means."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from approvals.policy import ConditionError, compile_condition

from .builders import make_facts
from .strategies import facts_strategy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("registered_in_beijing and has_national_approval", True),
        ("not industrialised_in_beijing", False),
        ("special_project in call_special_projects", True),
        ("organisation_kind in ['university', 'cas_institute']", False),
        ("own_funds >= national_funding * 2", True),
        ("requested_amount - own_funds > 0", True),
        ("national_funding / 4 == 2500000", True),
        ("project_months <= 36", True),
        ("district == '海淀区' or district == '朝阳区'", True),
        ("'海淀' in district", True),
        ("true", True),
    ],
)
def test_supported_condition_evaluates_as_written(text: str, expected: bool) -> None:
    assert compile_condition(text)(make_facts()) is expected


def test_condition_lists_the_facts_it_reads() -> None:
    condition = compile_condition("special_project in call_special_projects and own_funds > 0")
    assert condition.fields == {"special_project", "call_special_projects", "own_funds"}


def test_empty_condition_is_refused() -> None:
    with pytest.raises(ConditionError, match="empty"):
        compile_condition("  ")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("district =~ '海.*'", "regular-expression matching"),
        ("national_funding / own_funds > 1", "dividing by a field or by zero"),
        ("national_funding / 0 > 1", "dividing by a field or by zero"),
        ("district == null", "null"),
        ("$today", "built-in symbol"),
        ("call_special_projects == ['ZX01']", "lists cannot be compared"),
        ("call_special_projects[0] == 'ZX01'", "indexing"),
        ("registered_in_beijing ? true : false", "ternary"),
        ("national_funding % 2 == 0", "operator"),
        ("organisation_kind in ['university', 1]", "one type"),
        ("'ZX1' in call_special_projects", "can never be 'ZX1'"),
        ("funding_form == 'loan'", "can never be 'loan'"),
        ("organisation_kind in ['university', 'college']", "can never be 'college'"),
    ],
)
def test_unsupported_or_impossible_condition_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ConditionError, match=reason):
        compile_condition(text)


def test_refusal_is_explained_in_chinese_too() -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition("unknown_field")
    assert "未知字段 'unknown_field'" in caught.value.message_zh


def test_arithmetic_in_conditions_ignores_the_ambient_decimal_precision() -> None:
    from decimal import localcontext

    condition = compile_condition("national_funding + 0.01 > 10000000")
    with localcontext() as ctx:
        ctx.prec = 3
        assert condition(make_facts(national_funding=Decimal("10000000")))


CONDITIONS = [
    "registered_in_beijing and special_project in call_special_projects",
    "not industrialised_in_beijing or organisation_kind == 'enterprise'",
    "organisation_kind in ['university', 'research_institute', 'cas_institute']",
    "own_funds >= national_funding * 0.5",
    "requested_amount - other_local_funds < 5000000",
    "project_months > 24 and funding_form != 'grant'",
    "national_funding / 2 >= own_funds",
    "district in ['海淀区', '朝阳区'] and has_national_approval",
    "-own_funds < 0",
]


@settings(max_examples=300)
@given(st.sampled_from(CONDITIONS), facts_strategy())
def test_compiled_condition_agrees_with_rule_engine(text: str, facts: object) -> None:
    condition = compile_condition(text)
    assert condition(facts) is condition.rule.matches(facts)  # type: ignore[arg-type]
