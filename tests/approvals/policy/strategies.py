"""Hypothesis strategies for applications and policies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from approvals.policy import ApplicationFacts
from approvals.policy.facts import BEIJING_DISTRICTS, FUNDING_FORMS, ORGANISATION_KINDS

CODES = tuple(f"ZX{n:02d}" for n in range(1, 17))
MAX_YUAN = 10**10


def money(max_yuan: int = MAX_YUAN) -> st.SearchStrategy[Decimal]:
    """Amounts in whole fen, weighted toward round numbers and edge values."""
    return st.one_of(
        st.integers(0, max_yuan * 100).map(lambda fen: Decimal(fen) / 100),
        st.integers(0, max_yuan // 10_000).map(lambda wan: Decimal(wan * 10_000)),
        st.sampled_from([Decimal(0), Decimal("0.01"), Decimal(10_000), Decimal(5_000)]),
    )


def ratio() -> st.SearchStrategy[Decimal]:
    return st.one_of(
        st.integers(0, 100).map(lambda p: Decimal(p) / 100),
        st.integers(0, 10**6).map(lambda p: Decimal(p) / 10**6),
    )


@st.composite
def facts_strategy(draw: st.DrawFn, **fixed: Any) -> ApplicationFacts:
    in_beijing = draw(st.booleans())
    values: dict[str, Any] = {
        "organisation_kind": draw(st.sampled_from(ORGANISATION_KINDS)),
        "district": draw(st.sampled_from(BEIJING_DISTRICTS)) if in_beijing else "",
        "registered_in_beijing": in_beijing,
        "industrialised_in_beijing": draw(st.booleans()),
        "special_project": draw(st.sampled_from(CODES)),
        "call_special_projects": tuple(
            draw(st.lists(st.sampled_from(CODES), max_size=6, unique=True))
        ),
        "has_national_approval": draw(st.booleans()),
        "national_funding": draw(money()),
        "own_funds": draw(money()),
        "other_local_funds": draw(money()),
        "requested_amount": draw(money()),
        "funding_form": draw(st.sampled_from(FUNDING_FORMS)),
        "project_months": draw(st.integers(1, 120)),
    }
    values.update(fixed)
    return ApplicationFacts(**values)


# Conditions for generated policies. None reads national_funding, so amounts must be
# monotonic in it.
CASE_CONDITIONS = [
    "industrialised_in_beijing",
    "organisation_kind == 'enterprise'",
    "organisation_kind in ['university', 'research_institute', 'cas_institute']",
    "special_project == 'ZX02'",
    "funding_form == 'equity'",
    "own_funds > 1000000",
    "project_months >= 36",
]


@st.composite
def cases(draw: st.DrawFn, key: str) -> list[dict[str, Any]]:
    conditional = draw(st.lists(st.sampled_from(CASE_CONDITIONS), max_size=3))
    return [{"when": c, key: draw(ratio())} for c in conditional] + [{key: draw(ratio())}]


@st.composite
def departments(draw: st.DrawFn, method: str) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    result = [
        {
            "code": f"d{i}",
            "name": {"zh": f"部门{i}", "en": f"Department {i}"},
            "budget": draw(money()),
        }
        for i in range(count)
    ]
    if method == "proportional":
        # Shares in thousandths that add up to exactly 1, each at least 1/1000.
        cuts = sorted(
            draw(st.lists(st.integers(1, 999), min_size=count - 1, max_size=count - 1, unique=True))
        )
        bounds = [0, *cuts, 1000]
        for d, low, high in zip(result, bounds, bounds[1:], strict=False):
            d["share"] = Decimal(high - low) / 1000
    return result


@st.composite
def policy_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Valid policy documents using every rule kind in random combinations."""
    method = draw(st.sampled_from(["priority", "proportional"]))
    rules: list[dict[str, Any]] = [
        {
            "id": "approval",
            "kind": "eligibility",
            "condition": "has_national_approval",
            "message": {"zh": "须有批复", "en": "needs approval"},
        },
        {"id": "ratio", "kind": "ratio", "cases": draw(cases("ratio"))},
        {
            "id": "pool",
            "kind": "pooled_funding",
            "method": method,
            "departments": draw(departments(method)),
        },
    ]
    for i in range(draw(st.integers(0, 3))):
        cap: dict[str, Any] = (
            {"absolute": draw(money())}
            if draw(st.booleans())
            else {
                "of": draw(st.sampled_from(["own_funds", "requested_amount", "other_local_funds"])),
                "ratio": draw(ratio()),
            }
        )
        if draw(st.booleans()):
            cap["when"] = draw(st.sampled_from(CASE_CONDITIONS))
        rules.append({"id": f"cap-{i}", "kind": "cap", **cap})
    if draw(st.booleans()):
        rules.append({"id": "equity", "kind": "equity_share", "cases": draw(cases("share"))})
    if draw(st.booleans()):
        rules.append(
            {
                "id": "round",
                "kind": "rounding",
                "unit": draw(st.sampled_from([Decimal("0.10"), 1, 100, 10_000, 1_000_000])),
                "mode": draw(st.sampled_from(["down", "half_up"])),
            }
        )
    draw(st.randoms()).shuffle(rules)
    return {
        "name": "生成的政策",
        "version": "generated",
        "effective": {"from": "2026-01-01", "to": None},
        "rules": rules,
    }
