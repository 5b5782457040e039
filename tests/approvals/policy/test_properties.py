"""Invariants of the evaluator, checked by Hypothesis over generated applications, pool
states and policies."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.policy import (
    ApplicationFacts,
    PolicyVersion,
    PoolState,
    evaluate,
    load_policy_document,
    load_policy_file,
)
from approvals.policy.version import CapRule

from .builders import EXAMPLE_PATH
from .strategies import facts_strategy, money, policy_documents

# Loading compiles conditions with rule-engine (milliseconds); generated policies need time.
POLICY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@cache
def example() -> PolicyVersion:
    return load_policy_file(EXAMPLE_PATH)


def policies() -> st.SearchStrategy[PolicyVersion]:
    return st.one_of(st.just(example()), policy_documents().map(load_policy_document))


@st.composite
def pool_states(draw: st.DrawFn, policy: PolicyVersion) -> PoolState | None:
    if draw(st.booleans()):
        return None
    return PoolState({code: draw(money()) for code in policy.pool.department_codes})


@st.composite
def cases(draw: st.DrawFn) -> tuple[PolicyVersion, ApplicationFacts, PoolState | None]:
    policy = draw(policies())
    return policy, draw(facts_strategy()), draw(pool_states(policy))


def fired_cap_limits(policy: PolicyVersion, facts: ApplicationFacts) -> list[Decimal]:
    limits = []
    for cap in policy.caps:
        if cap.when is not None and not cap.when(facts):
            continue
        limits.append(cap.absolute if cap.absolute is not None else _relative(cap, facts))
    return limits


def _relative(cap: CapRule, facts: ApplicationFacts) -> Decimal:
    base: Decimal = getattr(facts, cap.of or "")
    return base * (cap.ratio or Decimal(0))


@POLICY_SETTINGS
@given(cases())
def test_amount_is_never_negative(case: tuple[PolicyVersion, ApplicationFacts, Any]) -> None:
    policy, facts, state = case
    assert evaluate(policy, facts, pool_state=state).amount >= 0


@POLICY_SETTINGS
@given(cases())
def test_amount_never_exceeds_the_request(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    assert evaluate(policy, facts, pool_state=state).amount <= facts.requested_amount


@POLICY_SETTINGS
@given(cases())
def test_amount_never_exceeds_any_cap_that_applies(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    amount = evaluate(policy, facts, pool_state=state).amount
    assert all(amount <= limit for limit in fired_cap_limits(policy, facts))


@POLICY_SETTINGS
@given(cases())
def test_amount_never_exceeds_the_national_funding_times_the_top_ratio_rounded(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    amount = evaluate(policy, facts, pool_state=state).amount
    top = max(c.value for c in policy.ratio.cases) * facts.national_funding
    unit = policy.rounding.unit if policy.rounding else Decimal(0)
    assert amount <= top + unit


@POLICY_SETTINGS
@given(cases())
def test_no_department_pays_more_than_its_balance(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    balances = state.balances if state else {d.code: d.budget for d in policy.pool.departments}
    for part in evaluate(policy, facts, pool_state=state).by_department:
        assert 0 <= part.amount <= balances[part.code]


@POLICY_SETTINGS
@given(cases())
def test_department_split_adds_up_exactly_to_the_amount(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    assessment = evaluate(policy, facts, pool_state=state)
    assert sum(d.amount for d in assessment.by_department) == assessment.amount


@POLICY_SETTINGS
@given(cases())
def test_form_split_adds_up_exactly_to_the_amount(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    assessment = evaluate(policy, facts, pool_state=state)
    assert assessment.grant >= 0
    assert assessment.equity >= 0
    assert assessment.grant + assessment.equity == assessment.amount


@POLICY_SETTINGS
@given(cases())
def test_amount_is_a_whole_number_of_the_rounding_unit(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    amount = evaluate(policy, facts, pool_state=state).amount
    unit = policy.rounding.unit if policy.rounding else Decimal("0.01")
    assert amount % unit == 0


@POLICY_SETTINGS
@given(cases(), money(), money())
def test_amount_never_falls_when_national_funding_rises(
    case: tuple[PolicyVersion, ApplicationFacts, Any], first: Decimal, second: Decimal
) -> None:
    policy, facts, state = case
    low, high = sorted((first, second))
    less = evaluate(policy, replace(facts, national_funding=low), pool_state=state).amount
    more = evaluate(policy, replace(facts, national_funding=high), pool_state=state).amount
    assert less <= more


@POLICY_SETTINGS
@given(cases())
def test_same_inputs_give_the_same_assessment_and_explanation(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    assert (
        evaluate(policy, facts, pool_state=state).as_dict()
        == evaluate(policy, facts, pool_state=state).as_dict()
    )


@POLICY_SETTINGS
@given(cases())
def test_assessment_serialises_to_json_and_back(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    data = evaluate(policy, facts, pool_state=state).as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


@POLICY_SETTINGS
@given(cases())
def test_ineligible_application_gets_nothing(
    case: tuple[PolicyVersion, ApplicationFacts, Any],
) -> None:
    policy, facts, state = case
    assessment = evaluate(policy, facts, pool_state=state)
    assert assessment.eligible == all(rule.condition(facts) for rule in policy.eligibility)
    if not assessment.eligible:
        assert assessment.amount == 0


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@POLICY_SETTINGS
@given(policy_documents())
def test_key_order_does_not_change_the_content_hash(document: dict[str, Any]) -> None:
    reordered = _reversed_keys(document)
    assert list(reordered) != list(document)
    assert (
        load_policy_document(reordered).content_hash == load_policy_document(document).content_hash
    )
