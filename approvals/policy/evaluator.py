"""The evaluator: one application's recommended matching amount under one policy version.

The rules apply in a fixed order, whatever their order in the document (within one kind the
document order is kept):

1. eligibility — every condition is checked; if one fails the amount is 0;
2. ratio — national funding × the ratio of the first case that holds, cut to the fen;
3. caps — each cap whose `when` holds limits the amount (absolute, or ratio × an amount);
4. the request — never more than the applicant asked for (built in, always applied);
5. the pool — never more than the departments' balances can fund;
6. rounding — to the unit, down or half up; a half-up result above any limit is cut down;
7. the split by department (pooled funding) and by form (equity share, the rest a grant).

Everything is `Decimal` through one fixed context; no float, no I/O, no clock, no Django. The
amount is never negative and never above a cap, the request or the pool; both splits add up to
it exactly; and for a policy whose conditions do not read `national_funding`, it never falls
when national funding rises.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from .explanation import DEFAULT_TITLES, ExplanationStep
from .facts import ApplicationFacts
from .money import MONEY_CONTEXT, ZERO, round_to_unit, times_down
from .pool import PoolState, available, balances_for, split
from .version import Case, Message, PolicyVersion, PoolMethod, RoundingMode

_ELIGIBILITY = DEFAULT_TITLES["eligibility"]
REQUEST_STEP_ID = "requested-amount"  # reserved by the schema, so no rule can share it


@dataclass(frozen=True, slots=True)
class EligibilityFailure:
    """A condition the application does not meet, and the message to show for it."""

    rule_id: str
    condition: str
    message: Message

    def as_dict(self) -> dict[str, str]:
        return {
            "rule_id": self.rule_id,
            "condition": self.condition,
            "message_zh": self.message.zh,
            "message_en": self.message.en,
        }


@dataclass(frozen=True, slots=True)
class DepartmentAmount:
    """The part of the amount one funding department pays."""

    code: str
    name: Message
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Assessment:
    """The recommended matching amount for one application, and why.

    `by_department` follows the pool's department order and adds up to `amount`, as do
    `grant` + `equity`. `steps` is the explanation, in the order the rules applied.
    """

    policy_name: str
    policy_version: str
    policy_content_hash: str
    facts: ApplicationFacts
    eligible: bool
    failures: tuple[EligibilityFailure, ...]
    amount: Decimal
    by_department: tuple[DepartmentAmount, ...]
    grant: Decimal
    equity: Decimal
    steps: tuple[ExplanationStep, ...]

    @property
    def department_amounts(self) -> dict[str, Decimal]:
        return {d.code: d.amount for d in self.by_department}

    @property
    def by_form(self) -> dict[str, Decimal]:
        return {"grant": self.grant, "equity": self.equity}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (amounts as strings) to store with a decision: the policy's name, version
        and content hash, the facts used, the result and the whole explanation."""
        return {
            "policy": {
                "name": self.policy_name,
                "version": self.policy_version,
                "content_hash": self.policy_content_hash,
            },
            "facts": self.facts.as_dict(),
            "eligible": self.eligible,
            "failures": [f.as_dict() for f in self.failures],
            "amount": str(self.amount),
            "by_department": [
                {
                    "code": d.code,
                    "name_zh": d.name.zh,
                    "name_en": d.name.en,
                    "amount": str(d.amount),
                }
                for d in self.by_department
            ],
            "by_form": {"grant": str(self.grant), "equity": str(self.equity)},
            "explanation": [s.as_dict() for s in self.steps],
        }


def _first_case(cases: tuple[Case, ...], facts: ApplicationFacts) -> tuple[int, Case]:
    for index, case in enumerate(cases):
        if case.when is None or case.when.test(facts):
            return index, case
    # Unreachable: the schema makes the last case an unconditional fallback.
    raise AssertionError("a case list without a fallback")  # pragma: no cover


def _case_inputs(index: int, case: Case) -> dict[str, Any]:
    return {
        "case": index,
        "condition": case.when.text if case.when is not None else "",
        "label_zh": case.label.zh if case.label else "",
        "label_en": case.label.en if case.label else "",
    }


def evaluate(
    policy: PolicyVersion, facts: ApplicationFacts, *, pool_state: PoolState | None = None
) -> Assessment:
    """Assess one application under `policy`, drawing (on paper) on `pool_state`, or on the
    departments' whole budgets when it is None.

    Refuses (PoolStateMismatchError) a pool state whose departments are not the policy's pool.
    Validating the facts is `ApplicationFacts`' job, so any facts object is accepted here.
    """
    # The caller's ambient Decimal context (precision, rounding) must not reach the arithmetic.
    with localcontext(MONEY_CONTEXT):
        return _evaluate(policy, facts, pool_state)


def _evaluate(
    policy: PolicyVersion, facts: ApplicationFacts, pool_state: PoolState | None
) -> Assessment:
    balances = balances_for(policy, pool_state)
    steps: list[ExplanationStep] = []
    failures: list[EligibilityFailure] = []
    for rule in policy.eligibility:
        condition = rule.condition
        title = rule.title or _ELIGIBILITY
        if condition.test(facts):
            steps.append(
                ExplanationStep(
                    rule.id,
                    "eligibility",
                    "eligibility.met",
                    {"condition": condition.text},
                    None,
                    title,
                )
            )
        else:
            failures.append(EligibilityFailure(rule.id, condition.text, rule.message))
            steps.append(
                ExplanationStep(
                    rule.id,
                    "eligibility",
                    "eligibility.failed",
                    {
                        "condition": condition.text,
                        "message_zh": rule.message.zh,
                        "message_en": rule.message.en,
                    },
                    None,
                    title,
                )
            )
    pool = policy.pool
    if failures:
        return Assessment(
            policy.name,
            policy.version,
            policy.content_hash,
            facts,
            False,
            tuple(failures),
            ZERO,
            tuple(DepartmentAmount(d.code, d.name, ZERO) for d in pool.departments),
            ZERO,
            ZERO,
            tuple(steps),
        )

    ratio_rule = policy.ratio
    index, case = _first_case(ratio_rule.cases, facts)
    amount = times_down(facts.national_funding, case.value)
    inputs = _case_inputs(index, case)
    inputs["ratio"] = case.value
    inputs["national_funding"] = facts.national_funding
    steps.append(
        ExplanationStep(
            ratio_rule.id,
            "ratio",
            "ratio",
            inputs,
            amount,
            ratio_rule.title or DEFAULT_TITLES["ratio"],
        )
    )

    # `limit` is the lowest limit so far: half-up rounding must never climb above it.
    limit = facts.requested_amount
    for cap in policy.caps:
        if cap.when is not None and not cap.when.test(facts):
            continue
        title = cap.title or DEFAULT_TITLES["cap"]
        before = amount
        if cap.absolute is not None:
            cap_limit = cap.absolute
            inputs = {"limit": cap_limit, "before": before}
            template = "cap.absolute"
        else:
            base: Decimal = getattr(facts, cap.of)  # type: ignore[arg-type]
            cap_limit = times_down(base, cap.ratio)  # type: ignore[arg-type]
            inputs = {
                "of": cap.of,
                "base": base,
                "ratio": cap.ratio,
                "limit": cap_limit,
                "before": before,
            }
            template = "cap.relative"
        if cap_limit < amount:
            amount = cap_limit
        if cap_limit < limit:
            limit = cap_limit
        steps.append(ExplanationStep(cap.id, "cap", template, inputs, amount, title))

    before = amount
    if facts.requested_amount < amount:
        amount = facts.requested_amount
    steps.append(
        ExplanationStep(
            REQUEST_STEP_ID,
            "request",
            "request",
            {"limit": facts.requested_amount, "before": before},
            amount,
            DEFAULT_TITLES["request"],
        )
    )

    pool_limit = available(pool, balances)
    before = amount
    if pool_limit < amount:
        amount = pool_limit
    if pool_limit < limit:
        limit = pool_limit
    steps.append(
        ExplanationStep(
            pool.id,
            "pool",
            "pool.available",
            {"limit": pool_limit, "before": before},
            amount,
            DEFAULT_TITLES["pool"],
        )
    )

    rounding = policy.rounding
    if rounding is not None:
        before = amount
        half_up = rounding.mode is RoundingMode.HALF_UP
        amount = round_to_unit(before, rounding.unit, half_up=half_up)
        clamped = amount > limit
        if clamped:
            amount = round_to_unit(before, rounding.unit, half_up=False)
        steps.append(
            ExplanationStep(
                rounding.id,
                "rounding",
                "rounding",
                {
                    "unit": rounding.unit,
                    "mode": rounding.mode.value,
                    "before": before,
                    "limit": limit,
                    "clamped": clamped,
                },
                amount,
                rounding.title or DEFAULT_TITLES["rounding"],
            )
        )

    parts, _shortfall = split(pool, amount, balances)  # zero: amount ≤ what the pool can fund
    proportional = pool.method is PoolMethod.PROPORTIONAL
    by_department = tuple(
        DepartmentAmount(d.code, d.name, part)
        for d, part in zip(pool.departments, parts, strict=True)
    )
    steps.append(
        ExplanationStep(
            pool.id,
            "pooled_funding",
            f"pooled_funding.{pool.method.value}",
            {
                "method": pool.method.value,
                "departments": [
                    {
                        "code": d.code,
                        "name_zh": d.name.zh,
                        "name_en": d.name.en,
                        "share": d.share if proportional else None,
                        "amount": part,
                    }
                    for d, part in zip(pool.departments, parts, strict=True)
                ],
            },
            amount,
            pool.title or DEFAULT_TITLES["pooled_funding"],
        )
    )

    equity = ZERO
    equity_rule = policy.equity_share
    if equity_rule is not None:
        index, case = _first_case(equity_rule.cases, facts)
        equity = times_down(amount, case.value)
        inputs = _case_inputs(index, case)
        inputs.update(share=case.value, amount=amount, equity=equity, grant=amount - equity)
        steps.append(
            ExplanationStep(
                equity_rule.id,
                "equity_share",
                "equity_share",
                inputs,
                equity,
                equity_rule.title or DEFAULT_TITLES["equity_share"],
            )
        )
    return Assessment(
        policy.name,
        policy.version,
        policy.content_hash,
        facts,
        True,
        (),
        amount,
        by_department,
        amount - equity,
        equity,
        tuple(steps),
    )
