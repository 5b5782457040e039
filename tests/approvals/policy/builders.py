"""Small builders for policy tests: facts with sensible defaults, and minimal documents."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

from approvals.policy import ApplicationFacts, PolicyVersion, load_policy_document

EXAMPLE_PATH = Path(__file__).resolve().parents[3] / "approvals" / "policies" / "example-2026.yaml"

_FACTS: dict[str, Any] = {
    "organisation_kind": "enterprise",
    "district": "海淀区",
    "registered_in_beijing": True,
    "industrialised_in_beijing": True,
    "special_project": "ZX01",
    "call_special_projects": ("ZX01", "ZX02", "ZX03"),
    "has_national_approval": True,
    "national_funding": Decimal("10000000.00"),
    "own_funds": Decimal("20000000.00"),
    "other_local_funds": Decimal("0.00"),
    "requested_amount": Decimal("50000000.00"),
    "funding_form": "grant",
    "project_months": 36,
}


def make_facts(**overrides: Any) -> ApplicationFacts:
    """An eligible enterprise in Haidian; money in yuan given as Decimal or int."""
    return ApplicationFacts(**{**_FACTS, **overrides})


def minimal_document() -> dict[str, Any]:
    """The smallest valid policy: one eligibility rule, a flat 50 % ratio, one department."""
    return {
        "name": "测试政策",
        "version": "test.1",
        "effective": {"from": "2026-01-01", "to": "2026-12-31"},
        "rules": [
            {
                "id": "in-beijing",
                "kind": "eligibility",
                "condition": "registered_in_beijing",
                "message": {"zh": "须在京注册", "en": "must be registered in Beijing"},
            },
            {"id": "ratio", "kind": "ratio", "cases": [{"ratio": Decimal("0.5")}]},
            {
                "id": "pool",
                "kind": "pooled_funding",
                "method": "priority",
                "departments": [
                    {"code": "kw", "name": {"zh": "市科委", "en": "S&T"}, "budget": 10**9}
                ],
            },
        ],
    }


def with_rules(*rules: dict[str, Any], document: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of the document (minimal by default) with these rules appended."""
    doc = copy.deepcopy(document or minimal_document())
    doc["rules"].extend(copy.deepcopy(list(rules)))
    return doc


def replace_rule(
    rule_id: str, rule: dict[str, Any], document: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of the document with the rule of this id replaced."""
    doc = copy.deepcopy(document or minimal_document())
    doc["rules"] = [copy.deepcopy(rule) if r.get("id") == rule_id else r for r in doc["rules"]]
    return doc


def build(document: dict[str, Any]) -> PolicyVersion:
    return load_policy_document(document)


def two_departments(method: str = "priority", **extra: Any) -> dict[str, Any]:
    """A pooled-funding rule over departments a (budget 1,000,000) and b (budget 3,000,000)."""
    a: dict[str, Any] = {"code": "a", "name": {"zh": "甲", "en": "A"}, "budget": 1_000_000}
    b: dict[str, Any] = {"code": "b", "name": {"zh": "乙", "en": "B"}, "budget": 3_000_000}
    if method == "proportional":
        a["share"] = Decimal("0.25")
        b["share"] = Decimal("0.75")
    return {
        "id": "pool",
        "kind": "pooled_funding",
        "method": method,
        "departments": [a, b],
        **extra,
    }
