"""Validation of policy documents: every refusal names the rule and field and says why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from approvals.policy import PolicyProblem, PolicyValidationError, RuleKind

from .builders import build, minimal_document, replace_rule, two_departments, with_rules


def problems_of(document: Any) -> tuple[PolicyProblem, ...]:
    with pytest.raises(PolicyValidationError) as caught:
        build(document)
    return caught.value.problems


def only_problem(document: Any) -> PolicyProblem:
    problems = problems_of(document)
    assert len(problems) == 1, problems
    return problems[0]


def eligibility(condition: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "check",
        "kind": "eligibility",
        "condition": condition,
        "message": {"zh": "不符合", "en": "not met"},
        **extra,
    }


def test_minimal_document_is_a_valid_policy() -> None:
    policy = build(minimal_document())
    assert (policy.name, policy.version) == ("测试政策", "test.1")
    assert policy.effective_from == date(2026, 1, 1)
    assert [r.kind for r in policy.rules] == [
        RuleKind.ELIGIBILITY,
        RuleKind.RATIO,
        RuleKind.POOLED_FUNDING,
    ]


def test_unknown_field_in_a_condition_names_the_rule_and_field() -> None:
    problem = only_problem(with_rules(eligibility("registred_in_beijing")))
    assert (problem.rule_index, problem.rule_id, problem.field) == (3, "check", "condition")
    assert "unknown field 'registred_in_beijing'" in problem.message_en
    assert "registered_in_beijing" in problem.message_en


def test_type_mismatch_in_a_condition_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("national_funding > 'a lot'")))
    assert problem.field == "condition"
    assert "type mismatch" in problem.message_en


def test_ordering_texts_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("district > '海淀区'")))
    assert "compare numbers only" in problem.message_en


def test_comparing_a_boolean_with_a_string_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("registered_in_beijing == 'yes'")))
    assert "type mismatch: boolean == string" in problem.message_en


def test_condition_that_is_not_true_or_false_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("own_funds")))
    assert "must be true or false" in problem.message_en


def test_misspelt_organisation_kind_in_a_condition_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("organisation_kind == 'enterprize'")))
    assert "organisation_kind can never be 'enterprize'" in problem.message_en


def test_condition_with_a_syntax_error_is_refused() -> None:
    problem = only_problem(with_rules(eligibility("registered_in_beijing and")))
    assert "syntax error" in problem.message_en


def test_condition_that_is_not_text_is_refused() -> None:
    problem = only_problem(with_rules(eligibility(True)))  # type: ignore[arg-type]
    assert "must be text" in problem.message_en


def test_ratio_above_one_is_refused() -> None:
    doc = replace_rule("ratio", {"id": "ratio", "kind": "ratio", "cases": [{"ratio": 1.5}]})
    problem = only_problem(doc)
    assert (problem.rule_id, problem.field) == ("ratio", "cases[0].ratio")
    assert "between 0 and 1" in problem.message_en


def test_negative_ratio_is_refused() -> None:
    doc = replace_rule("ratio", {"id": "ratio", "kind": "ratio", "cases": [{"ratio": -0.1}]})
    assert "between 0 and 1" in only_problem(doc).message_en


def test_ratio_given_as_text_is_refused() -> None:
    doc = replace_rule("ratio", {"id": "ratio", "kind": "ratio", "cases": [{"ratio": "30%"}]})
    assert "must be a number" in only_problem(doc).message_en


def test_ratio_with_too_many_decimals_is_refused() -> None:
    doc = replace_rule(
        "ratio",
        {"id": "ratio", "kind": "ratio", "cases": [{"ratio": Decimal("0.123456789012")}]},
    )
    assert "decimal places" in only_problem(doc).message_en


def test_case_without_condition_before_the_last_is_refused() -> None:
    doc = replace_rule(
        "ratio",
        {"id": "ratio", "kind": "ratio", "cases": [{"ratio": 0.3}, {"ratio": 0.1}]},
    )
    problem = only_problem(doc)
    assert problem.field == "cases[0].when"
    assert "only the last case may omit 'when'" in problem.message_en


def test_last_case_with_a_condition_is_refused() -> None:
    doc = replace_rule(
        "ratio",
        {
            "id": "ratio",
            "kind": "ratio",
            "cases": [{"when": "industrialised_in_beijing", "ratio": 0.3}],
        },
    )
    problem = only_problem(doc)
    assert problem.field == "cases[0].when"
    assert "last case must omit 'when'" in problem.message_en


def test_empty_case_list_is_refused() -> None:
    doc = replace_rule("ratio", {"id": "ratio", "kind": "ratio", "cases": []})
    assert "non-empty" in only_problem(doc).message_en


def test_negative_cap_is_refused() -> None:
    problem = only_problem(with_rules({"id": "cap", "kind": "cap", "absolute": -1}))
    assert (problem.rule_id, problem.field) == ("cap", "absolute")
    assert "at least 0" in problem.message_en


def test_cap_finer_than_a_fen_is_refused() -> None:
    problem = only_problem(with_rules({"id": "cap", "kind": "cap", "absolute": Decimal("1.001")}))
    assert "fen" in problem.message_en


def test_cap_with_both_absolute_and_relative_limits_is_refused() -> None:
    cap = {"id": "cap", "kind": "cap", "absolute": 100, "of": "own_funds", "ratio": 1}
    assert "not both" in only_problem(with_rules(cap)).message_en


def test_cap_with_no_limit_is_refused() -> None:
    assert "not neither" in only_problem(with_rules({"id": "cap", "kind": "cap"})).message_en


def test_relative_cap_of_a_field_that_is_not_an_amount_is_refused() -> None:
    cap = {"id": "cap", "kind": "cap", "of": "project_months", "ratio": 1}
    problem = only_problem(with_rules(cap))
    assert problem.field == "of"
    assert "not an amount" in problem.message_en


def test_relative_cap_ratio_above_one_is_refused() -> None:
    cap = {"id": "cap", "kind": "cap", "of": "own_funds", "ratio": 2}
    assert only_problem(with_rules(cap)).field == "ratio"


def test_eligibility_without_message_is_refused() -> None:
    rule = eligibility("has_national_approval")
    del rule["message"]
    problem = only_problem(with_rules(rule))
    assert (problem.rule_id, problem.field) == ("check", "message")
    assert "'message' is required" in problem.message_en


def test_message_without_english_is_refused() -> None:
    rule = eligibility("has_national_approval", message={"zh": "须有国家批复"})
    problem = only_problem(with_rules(rule))
    assert problem.field == "message.en"


def test_message_given_as_plain_text_is_refused() -> None:
    rule = eligibility("has_national_approval", message="needs approval")
    assert "both Chinese and English" in only_problem(with_rules(rule)).message_en


def test_empty_message_text_is_refused() -> None:
    rule = eligibility("has_national_approval", message={"zh": " ", "en": "needs approval"})
    assert only_problem(with_rules(rule)).field == "message.zh"


def test_period_ending_before_it_starts_is_refused() -> None:
    doc = minimal_document()
    doc["effective"] = {"from": "2026-12-31", "to": "2026-01-01"}
    problem = only_problem(doc)
    assert (problem.rule_index, problem.field) == (None, "effective")
    assert "invalid effective period" in problem.message_en


def test_period_with_an_impossible_date_is_refused() -> None:
    doc = minimal_document()
    doc["effective"] = {"from": "2026-02-30"}
    assert only_problem(doc).field == "effective.from"


def test_period_without_start_is_refused() -> None:
    doc = minimal_document()
    doc["effective"] = {"to": "2026-12-31"}
    assert only_problem(doc).field == "effective.from"


def test_open_ended_period_is_accepted() -> None:
    doc = minimal_document()
    doc["effective"] = {"from": "2026-01-01", "to": None}
    assert build(doc).effective_to is None


def test_unknown_rounding_mode_is_refused() -> None:
    problem = only_problem(with_rules({"id": "r", "kind": "rounding", "unit": 10000, "mode": "up"}))
    assert (problem.rule_id, problem.field) == ("r", "mode")
    assert "expected one of: down, half_up" in problem.message_en


def test_rounding_unit_of_zero_is_refused() -> None:
    problem = only_problem(with_rules({"id": "r", "kind": "rounding", "unit": 0, "mode": "down"}))
    assert problem.field == "unit"


def test_pool_proportions_not_adding_up_to_one_are_refused() -> None:
    pool = two_departments("proportional")
    pool["departments"][1]["share"] = Decimal("0.7")
    problem = only_problem(replace_rule("pool", pool))
    assert (problem.rule_id, problem.field) == ("pool", "departments")
    assert "add up to exactly 1" in problem.message_en
    assert "0.95" in problem.message_en


def test_proportional_pool_without_a_share_is_refused() -> None:
    pool = two_departments("proportional")
    del pool["departments"][0]["share"]
    assert only_problem(replace_rule("pool", pool)).field == "departments[0].share"


def test_share_in_a_priority_pool_is_refused() -> None:
    pool = two_departments("priority")
    pool["departments"][0]["share"] = Decimal("0.5")
    assert only_problem(replace_rule("pool", pool)).field == "departments[0].share"


def test_unknown_pool_method_is_refused() -> None:
    assert only_problem(replace_rule("pool", two_departments("lottery"))).field == "method"


def test_duplicate_department_code_is_refused() -> None:
    pool = two_departments()
    pool["departments"][1]["code"] = "a"
    assert only_problem(replace_rule("pool", pool)).field == "departments[1].code"


def test_negative_department_budget_is_refused() -> None:
    pool = two_departments()
    pool["departments"][0]["budget"] = -5
    assert only_problem(replace_rule("pool", pool)).field == "departments[0].budget"


def test_unknown_rule_kind_is_refused() -> None:
    problem = only_problem(with_rules({"id": "bonus", "kind": "bonus"}))
    assert (problem.rule_id, problem.field) == ("bonus", "kind")


def test_unknown_key_in_a_rule_is_refused() -> None:
    rule = eligibility("has_national_approval", messge={"zh": "x", "en": "x"})
    problem = only_problem(with_rules(rule))
    assert problem.field == "messge"
    assert "unknown key 'messge'" in problem.message_en


def test_unknown_top_level_key_is_refused() -> None:
    doc = minimal_document()
    doc["efective"] = {}
    assert only_problem(doc).field == "efective"


def test_duplicate_rule_ids_are_refused() -> None:
    problem = only_problem(with_rules(eligibility("has_national_approval", id="ratio")))
    assert (problem.rule_index, problem.field) == (3, "id")
    assert "rules[1]" in problem.message_en


def test_id_of_the_built_in_request_step_is_reserved() -> None:
    problem = only_problem(with_rules(eligibility("has_national_approval", id="requested-amount")))
    assert "reserved" in problem.message_en


def test_amounts_in_the_document_are_kept_at_the_fen() -> None:
    budget = build(minimal_document()).pool.departments[0].budget
    assert str(budget) == "1000000000.00"


def test_badly_formed_rule_id_is_refused() -> None:
    assert (
        only_problem(with_rules(eligibility("has_national_approval", id="Check 1"))).field == "id"
    )


def test_rule_without_id_is_named_by_its_index() -> None:
    rule = eligibility("has_national_approval")
    del rule["id"]
    problem = only_problem(with_rules(rule))
    assert (problem.rule_index, problem.rule_id, problem.field) == (3, None, "id")
    assert str(problem).startswith("rules[3]: id")


def test_policy_without_a_ratio_rule_is_refused() -> None:
    doc = minimal_document()
    doc["rules"] = [r for r in doc["rules"] if r["kind"] != "ratio"]
    problem = only_problem(doc)
    assert "exactly one 'ratio' rule" in problem.message_en


def test_policy_without_a_pool_is_refused() -> None:
    doc = minimal_document()
    doc["rules"] = [r for r in doc["rules"] if r["kind"] != "pooled_funding"]
    assert "exactly one 'pooled_funding' rule" in only_problem(doc).message_en


def test_two_rounding_rules_are_refused() -> None:
    rounding = {"kind": "rounding", "unit": 100, "mode": "down"}
    doc = with_rules({"id": "r1", **rounding}, {"id": "r2", **rounding})
    assert "at most one 'rounding' rule" in only_problem(doc).message_en


def test_document_that_is_not_a_mapping_is_refused() -> None:
    assert only_problem(["rules"]).field == "(document)"


def test_missing_name_and_version_are_both_reported() -> None:
    doc = minimal_document()
    del doc["name"], doc["version"]
    assert [p.field for p in problems_of(doc)] == ["name", "version"]


def test_unsupported_format_is_refused() -> None:
    doc = minimal_document()
    doc["format"] = 2
    assert only_problem(doc).field == "format"


def test_every_problem_is_reported_at_once() -> None:
    doc = with_rules(
        eligibility("nonsense_field"),
        {"id": "cap", "kind": "cap", "absolute": -1},
        {"id": "r", "kind": "rounding", "unit": 10000, "mode": "sideways"},
    )
    assert {p.rule_id for p in problems_of(doc)} == {"check", "cap", "r"}


def test_problem_reads_in_chinese_and_english() -> None:
    problem = only_problem(with_rules({"id": "cap", "kind": "cap", "absolute": -1}))
    assert str(problem) == (
        "rules[3] 'cap': absolute — 金额须不小于 0，现为 -1 / must be at least 0 yuan, got -1"
    )


def test_validation_error_message_lists_every_problem() -> None:
    with pytest.raises(PolicyValidationError, match=r"2 problem\(s\)"):
        build(with_rules(eligibility("x_field"), {"id": "cap", "kind": "cap", "absolute": -1}))
