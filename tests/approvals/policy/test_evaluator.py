"""The evaluator, rule kind by rule kind, on small purpose-built policies."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from typing import Any

import pytest

from approvals.policy import (
    Assessment,
    PolicyVersion,
    PoolState,
    PoolStateMismatchError,
    evaluate,
    load_policy_file,
)

from .builders import (
    EXAMPLE_PATH,
    build,
    make_facts,
    minimal_document,
    replace_rule,
    two_departments,
    with_rules,
)

D = Decimal


def policy_with(*rules: dict[str, Any], pool: dict[str, Any] | None = None) -> PolicyVersion:
    doc = with_rules(*rules)
    if pool is not None:
        doc = replace_rule("pool", pool, doc)
    return build(doc)


def ratio_rule(*cases: dict[str, Any]) -> dict[str, Any]:
    return {"id": "ratio", "kind": "ratio", "cases": list(cases)}


def policy_with_ratio(*cases: dict[str, Any]) -> PolicyVersion:
    return build(replace_rule("ratio", ratio_rule(*cases)))


def eligibility(rule_id: str, condition: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "kind": "eligibility",
        "condition": condition,
        "message": {"zh": f"{rule_id} 不符合", "en": f"{rule_id} not met"},
    }


def step(assessment: Assessment, kind: str) -> Any:
    (found,) = [s for s in assessment.steps if s.kind == kind]
    return found


# --- eligibility -------------------------------------------------------------------------


def test_eligible_application_has_no_failures() -> None:
    assessment = evaluate(build(minimal_document()), make_facts())
    assert assessment.eligible
    assert assessment.failures == ()


def test_failed_eligibility_gives_zero_with_the_rules_message() -> None:
    assessment = evaluate(build(minimal_document()), make_facts(registered_in_beijing=False))
    assert not assessment.eligible
    assert assessment.amount == 0
    (failure,) = assessment.failures
    assert (failure.rule_id, failure.message.zh, failure.message.en) == (
        "in-beijing",
        "须在京注册",
        "must be registered in Beijing",
    )


def test_every_failed_condition_is_reported_not_just_the_first() -> None:
    policy = policy_with(
        eligibility("approval", "has_national_approval"),
        eligibility("covered", "special_project in call_special_projects"),
    )
    facts = make_facts(
        registered_in_beijing=False, has_national_approval=False, special_project="ZX09"
    )
    assert [f.rule_id for f in evaluate(policy, facts).failures] == [
        "in-beijing",
        "approval",
        "covered",
    ]


def test_ineligible_application_splits_zero_over_every_department() -> None:
    policy = policy_with(pool=two_departments())
    assessment = evaluate(policy, make_facts(registered_in_beijing=False))
    assert assessment.department_amounts == {"a": 0, "b": 0}
    assert assessment.by_form == {"grant": 0, "equity": 0}


def test_passed_eligibility_checks_appear_in_the_explanation() -> None:
    (check,) = evaluate(build(minimal_document()), make_facts()).steps[:1]
    assert (check.rule_id, check.passed, check.result) == ("in-beijing", True, None)
    assert check.text_en == "[eligibility] met: registered_in_beijing"


def test_failed_eligibility_check_explains_in_both_languages() -> None:
    check = evaluate(build(minimal_document()), make_facts(registered_in_beijing=False)).steps[0]
    assert not check.passed
    assert "须在京注册" in check.text_zh
    assert "must be registered in Beijing" in check.text_en


# --- ratio -------------------------------------------------------------------------------


def test_amount_is_national_funding_times_the_ratio() -> None:
    assert evaluate(
        build(minimal_document()), make_facts(national_funding=D("10000000"))
    ).amount == D("5000000.00")


def test_first_matching_ratio_case_wins() -> None:
    policy = policy_with_ratio(
        {"when": "industrialised_in_beijing", "ratio": D("0.3")},
        {"when": "organisation_kind == 'enterprise'", "ratio": D("0.2")},
        {"ratio": D("0.1")},
    )
    assert evaluate(policy, make_facts()).amount == D("3000000.00")


def test_fallback_ratio_applies_when_no_case_matches() -> None:
    policy = policy_with_ratio(
        {"when": "industrialised_in_beijing", "ratio": D("0.3")}, {"ratio": D("0.1")}
    )
    assert evaluate(policy, make_facts(industrialised_in_beijing=False)).amount == D("1000000.00")


def test_ratio_product_is_cut_down_to_the_fen() -> None:
    policy = policy_with_ratio({"ratio": D("0.333")})
    assert evaluate(policy, make_facts(national_funding=D("100.01"))).amount == D("33.30")


def test_ratio_step_explains_the_case_and_the_arithmetic() -> None:
    policy = policy_with_ratio(
        {
            "when": "industrialised_in_beijing",
            "ratio": D("0.3"),
            "label": {"zh": "在京转化", "en": "industrialised in Beijing"},
        },
        {"ratio": D("0.1")},
    )
    ratio = step(evaluate(policy, make_facts()), "ratio")
    assert ratio.inputs["ratio"] == D("0.3")
    assert ratio.text_zh == (
        "【配套比例】适用情形 1“在京转化”，配套比例 30%："
        "国家资金 10,000,000.00 元 × 30% = 3,000,000.00 元"
    )
    assert ratio.text_en == (
        "[matching ratio] case 1 “industrialised in Beijing” applies, ratio 30%: "
        "national funding 10,000,000.00 × 30% = 3,000,000.00 yuan"
    )


# --- caps --------------------------------------------------------------------------------


def test_amount_never_exceeds_the_absolute_cap() -> None:
    policy = policy_with({"id": "cap", "kind": "cap", "absolute": 2_000_000})
    assert evaluate(policy, make_facts()).amount == D("2000000.00")


def test_absolute_cap_above_the_amount_changes_nothing() -> None:
    policy = policy_with({"id": "cap", "kind": "cap", "absolute": 9_000_000})
    assessment = evaluate(policy, make_facts())
    assert assessment.amount == D("5000000.00")
    assert "below the cap" in step(assessment, "cap").text_en


def test_conditional_cap_applies_when_its_condition_holds() -> None:
    cap = {
        "id": "cap",
        "kind": "cap",
        "when": "organisation_kind == 'university'",
        "absolute": 1_000_000,
    }
    assert evaluate(policy_with(cap), make_facts(organisation_kind="university")).amount == D(
        "1000000.00"
    )


def test_conditional_cap_does_not_fire_when_its_condition_fails() -> None:
    cap = {
        "id": "cap",
        "kind": "cap",
        "when": "organisation_kind == 'university'",
        "absolute": 1_000_000,
    }
    assessment = evaluate(policy_with(cap), make_facts())
    assert assessment.amount == D("5000000.00")
    assert "cap" not in [s.kind for s in assessment.steps]


def test_amount_never_exceeds_the_share_of_own_funds() -> None:
    policy = policy_with({"id": "own", "kind": "cap", "of": "own_funds", "ratio": D("0.5")})
    assessment = evaluate(policy, make_facts(own_funds=D("3000000")))
    assert assessment.amount == D("1500000.00")
    assert step(assessment, "cap").text_en == (
        "[cap] cap = own funds 3,000,000.00 × 50% = 1,500,000.00 yuan: "
        "min(5,000,000.00, 1,500,000.00) = 1,500,000.00 yuan; the cap applies"
    )


def test_amount_never_exceeds_the_request() -> None:
    assessment = evaluate(build(minimal_document()), make_facts(requested_amount=D("1234567.89")))
    assert assessment.amount == D("1234567.89")
    assert step(assessment, "request").rule_id == "requested-amount"


def test_caps_apply_in_document_order_and_each_is_explained() -> None:
    policy = policy_with(
        {"id": "first", "kind": "cap", "absolute": 4_000_000},
        {"id": "second", "kind": "cap", "absolute": 3_000_000},
    )
    assessment = evaluate(policy, make_facts())
    assert [(s.rule_id, s.result) for s in assessment.steps if s.kind == "cap"] == [
        ("first", D("4000000.00")),
        ("second", D("3000000.00")),
    ]


# --- pool --------------------------------------------------------------------------------


def test_priority_pool_draws_on_the_first_department_first() -> None:
    assessment = evaluate(
        policy_with(pool=two_departments()), make_facts(national_funding=D("600000"))
    )
    assert assessment.department_amounts == {"a": D("300000.00"), "b": 0}


def test_priority_pool_moves_to_the_next_department_when_one_runs_out() -> None:
    assessment = evaluate(
        policy_with(pool=two_departments()), make_facts(national_funding=D("3000000"))
    )
    assert assessment.department_amounts == {"a": D("1000000.00"), "b": D("500000.00")}


def test_amount_never_exceeds_what_the_pool_can_fund() -> None:
    state = PoolState({"a": D("100000"), "b": D("50000.50")})
    assessment = evaluate(policy_with(pool=two_departments()), make_facts(), pool_state=state)
    assert assessment.amount == D("150000.50")
    assert assessment.department_amounts == {"a": D("100000"), "b": D("50000.50")}


def test_proportional_pool_splits_by_share() -> None:
    assessment = evaluate(
        policy_with(pool=two_departments("proportional")), make_facts(national_funding=D("2000000"))
    )
    assert assessment.department_amounts == {"a": D("250000.00"), "b": D("750000.00")}


def test_proportional_split_gives_leftover_fen_to_the_largest_remainder() -> None:
    pool = two_departments("proportional")
    pool["departments"][0]["share"] = D("0.333")
    pool["departments"][1]["share"] = D("0.667")
    assessment = evaluate(policy_with(pool=pool), make_facts(national_funding=D("0.02")))
    # 0.01 × 0.333 = 0.00333 and × 0.667 = 0.00667: the fen goes to b, the larger remainder.
    assert assessment.department_amounts == {"a": D("0.00"), "b": D("0.01")}


def test_proportional_pool_is_limited_by_its_scarcest_department() -> None:
    state = PoolState({"a": D("100000"), "b": D("3000000")})
    assessment = evaluate(
        policy_with(pool=two_departments("proportional")), make_facts(), pool_state=state
    )
    # a pays a quarter, so a's 100,000 can fund at most 400,000 in all.
    assert assessment.amount == D("400000.00")


def test_pool_state_with_other_departments_is_refused() -> None:
    with pytest.raises(PoolStateMismatchError, match="missing"):
        evaluate(build(minimal_document()), make_facts(), pool_state=PoolState({"other": D(1)}))


def test_department_split_step_names_each_department() -> None:
    text = step(
        evaluate(policy_with(pool=two_departments()), make_facts()), "pooled_funding"
    ).text_zh
    assert "甲 1,000,000.00 元" in text
    assert "乙 3,000,000.00 元" in text


# --- rounding ----------------------------------------------------------------------------


def rounding(mode: str, unit: int = 10_000) -> dict[str, Any]:
    return {"id": "round", "kind": "rounding", "unit": unit, "mode": mode}


def test_rounding_down_cuts_to_the_unit() -> None:
    assessment = evaluate(
        policy_with(rounding("down")), make_facts(national_funding=D("1239999.98"))
    )
    assert assessment.amount == D("610000.00")


def test_rounding_half_up_rounds_a_half_up() -> None:
    assessment = evaluate(
        policy_with(rounding("half_up")), make_facts(national_funding=D("1230000"))
    )
    assert assessment.amount == D("620000.00")


def test_rounding_half_up_never_climbs_above_a_cap() -> None:
    policy = policy_with({"id": "cap", "kind": "cap", "absolute": 615_000}, rounding("half_up"))
    assessment = evaluate(policy, make_facts(national_funding=D("1230000")))
    assert assessment.amount == D("610000.00")
    rounding_step = step(assessment, "rounding")
    assert rounding_step.inputs["clamped"] is True
    assert "rounding up would exceed the cap of 615,000.00 yuan" in rounding_step.text_en


def test_amount_below_the_rounding_unit_rounds_down_to_zero() -> None:
    assessment = evaluate(policy_with(rounding("down")), make_facts(national_funding=D("19999.98")))
    assert assessment.amount == 0
    assert assessment.eligible


# --- equity share ------------------------------------------------------------------------


def equity_rule(*cases: dict[str, Any]) -> dict[str, Any]:
    return {"id": "equity", "kind": "equity_share", "cases": list(cases)}


def test_without_an_equity_rule_everything_is_a_grant() -> None:
    assessment = evaluate(build(minimal_document()), make_facts())
    assert assessment.by_form == {"grant": D("5000000.00"), "equity": 0}


def test_equity_share_of_the_first_matching_case_is_paid_as_equity() -> None:
    policy = policy_with(
        equity_rule({"when": "funding_form == 'equity'", "share": 1}, {"share": D("0.4")}),
    )
    assessment = evaluate(policy, make_facts(funding_form="mixed"))
    assert assessment.by_form == {"grant": D("3000000.00"), "equity": D("2000000.00")}


def test_equity_part_is_cut_to_the_fen_and_the_grant_takes_the_rest() -> None:
    policy = policy_with(equity_rule({"share": D("0.333")}))
    assessment = evaluate(policy, make_facts(national_funding=D("0.02")))
    assert (assessment.amount, assessment.equity, assessment.grant) == (
        D("0.01"),
        D("0.00"),
        D("0.01"),
    )


def test_equity_step_states_both_parts() -> None:
    policy = policy_with(equity_rule({"share": D("0.4")}))
    text = step(evaluate(policy, make_facts()), "equity_share").text_zh
    assert text.endswith("股权投资 2,000,000.00 元，拨款 3,000,000.00 元")


# --- the assessment as a whole ------------------------------------------------------------


def test_steps_follow_the_fixed_order_of_rule_kinds() -> None:
    assessment = evaluate(load_policy_file(EXAMPLE_PATH), make_facts(funding_form="mixed"))
    kinds = [s.kind for s in assessment.steps]
    assert kinds == [
        "eligibility",
        "eligibility",
        "eligibility",
        "eligibility",
        "ratio",
        "cap",
        "cap",
        "request",
        "pool",
        "rounding",
        "pooled_funding",
        "equity_share",
    ]


def test_assessment_as_dict_is_plain_json_with_the_policy_hash_and_version() -> None:
    policy = load_policy_file(EXAMPLE_PATH)
    data = json.loads(json.dumps(evaluate(policy, make_facts()).as_dict(), ensure_ascii=False))
    assert data["policy"] == {
        "name": policy.name,
        "version": "2026-example.1",
        "content_hash": policy.content_hash,
    }
    assert data["amount"] == "3000000.00"


def test_assessment_as_dict_keeps_the_facts_used() -> None:
    facts = make_facts()
    data = evaluate(build(minimal_document()), facts).as_dict()
    assert data["facts"]["national_funding"] == "10000000.00"
    assert data["facts"]["call_special_projects"] == ["ZX01", "ZX02", "ZX03"]


def test_assessment_as_dict_carries_each_step_in_both_languages() -> None:
    data = evaluate(build(minimal_document()), make_facts()).as_dict()
    ratio = data["explanation"][1]
    assert ratio["kind"] == "ratio"
    assert ratio["text_zh"].startswith("【配套比例】")
    assert ratio["inputs"]["ratio"] == "0.5"
    assert ratio["result"] == "5000000.00"


def test_ambient_decimal_precision_does_not_change_the_amount() -> None:
    policy = load_policy_file(EXAMPLE_PATH)
    expected = evaluate(policy, make_facts(national_funding=D("123456789.01"))).as_dict()
    with localcontext() as ctx:
        ctx.prec = 4
        assert (
            evaluate(policy, make_facts(national_funding=D("123456789.01"))).as_dict() == expected
        )


def test_example_policy_gives_a_university_no_equity() -> None:
    facts = make_facts(
        organisation_kind="university", funding_form="equity", industrialised_in_beijing=False
    )
    assessment = evaluate(load_policy_file(EXAMPLE_PATH), facts)
    assert assessment.amount == D("1500000.00")
    assert assessment.equity == 0
