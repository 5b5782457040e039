"""A policy version and its rules, as typed, immutable values.

These are what `loader.load_policy_text` returns once a document has passed validation; the
evaluator reads them and never the raw document. Every rule keeps the `id` the document gave it
so explanations, validation problems and stored assessments can name it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .conditions import Condition
from .problems import PolicyProblem, PolicyValidationError


class RuleKind(StrEnum):
    """The rule vocabulary of a policy document (the `kind` of each rule)."""

    ELIGIBILITY = "eligibility"
    RATIO = "ratio"
    CAP = "cap"
    EQUITY_SHARE = "equity_share"
    POOLED_FUNDING = "pooled_funding"
    ROUNDING = "rounding"


class RoundingMode(StrEnum):
    DOWN = "down"
    HALF_UP = "half_up"


class PoolMethod(StrEnum):
    """How an amount is drawn on the departments of the pool."""

    PRIORITY = "priority"  # from the first department until its balance runs out, then the next
    PROPORTIONAL = "proportional"  # every department pays its fixed share


@dataclass(frozen=True, slots=True)
class Message:
    """A text shown to people, in Chinese and English."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    """A condition every application must meet; `message` says why when it does not."""

    id: str
    condition: Condition
    message: Message
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.ELIGIBILITY, init=False)


@dataclass(frozen=True, slots=True)
class Case:
    """One case of a ratio or equity-share rule; `when` is None for the closing fallback."""

    when: Condition | None
    value: Decimal
    label: Message | None = None


@dataclass(frozen=True, slots=True)
class RatioRule:
    """Matching amount = national funding × the value of the first case that holds."""

    id: str
    cases: tuple[Case, ...]
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.RATIO, init=False)


@dataclass(frozen=True, slots=True)
class CapRule:
    """An upper limit: `absolute` yuan, or `ratio` × the money fact named by `of`.

    Applies only when `when` holds (always when it is None).
    """

    id: str
    absolute: Decimal | None = None
    of: str | None = None
    ratio: Decimal | None = None
    when: Condition | None = None
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.CAP, init=False)


@dataclass(frozen=True, slots=True)
class EquityShareRule:
    """Share of the amount paid as equity investment (股权投资); the rest is a grant (拨款)."""

    id: str
    cases: tuple[Case, ...]
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.EQUITY_SHARE, init=False)


@dataclass(frozen=True, slots=True)
class Department:
    """A municipal department contributing to the call's pool."""

    code: str
    name: Message
    budget: Decimal
    share: Decimal | None = None  # only with PoolMethod.PROPORTIONAL; shares add up to 1


@dataclass(frozen=True, slots=True)
class PooledFundingRule:
    """The departments paying into the pool, in priority order, and how amounts are drawn."""

    id: str
    method: PoolMethod
    departments: tuple[Department, ...]
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.POOLED_FUNDING, init=False)

    @property
    def department_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.departments)


@dataclass(frozen=True, slots=True)
class RoundingRule:
    """The amount is a whole number of `unit` yuan, cut down or rounded half up."""

    id: str
    unit: Decimal
    mode: RoundingMode
    title: Message | None = None
    kind: RuleKind = field(default=RuleKind.ROUNDING, init=False)


Rule = EligibilityRule | RatioRule | CapRule | EquityShareRule | PooledFundingRule | RoundingRule


@dataclass(frozen=True)
class PolicyVersion:
    """One version of the matching-fund policy, valid from `effective_from` to `effective_to`
    (both inclusive; `effective_to` None means until replaced).

    `content_hash` is the SHA-256 of the canonical JSON form of the document it was read from:
    store it with every amount so the exact rules behind a decision can always be found.
    """

    name: str
    version: str
    effective_from: date
    effective_to: date | None
    notice: str
    rules: tuple[Rule, ...]
    content_hash: str
    # The same rules grouped by kind, in document order, for the evaluator.
    eligibility: tuple[EligibilityRule, ...] = field(init=False, repr=False, compare=False)
    ratio: RatioRule = field(init=False, repr=False, compare=False)
    caps: tuple[CapRule, ...] = field(init=False, repr=False, compare=False)
    equity_share: EquityShareRule | None = field(init=False, repr=False, compare=False)
    pool: PooledFundingRule = field(init=False, repr=False, compare=False)
    rounding: RoundingRule | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        def of_kind(kind: type) -> tuple:  # type: ignore[type-arg]
            return tuple(r for r in self.rules if isinstance(r, kind))

        # The schema guarantees exactly one ratio and one pool, at most one of the optional kinds.
        object.__setattr__(self, "eligibility", of_kind(EligibilityRule))
        object.__setattr__(self, "ratio", of_kind(RatioRule)[0])
        object.__setattr__(self, "caps", of_kind(CapRule))
        object.__setattr__(self, "equity_share", next(iter(of_kind(EquityShareRule)), None))
        object.__setattr__(self, "pool", of_kind(PooledFundingRule)[0])
        object.__setattr__(self, "rounding", next(iter(of_kind(RoundingRule)), None))

    def is_effective_on(self, day: date) -> bool:
        """Whether the policy is in force on `day`."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError when there is none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


class NoPolicyInForceError(LookupError):
    """No policy version is in force on the day asked about."""


def _overlap(a: PolicyVersion, b: PolicyVersion) -> bool:
    a_end = a.effective_to or date.max
    b_end = b.effective_to or date.max
    return a.effective_from <= b_end and b.effective_from <= a_end


def check_periods_do_not_overlap(policies: Iterable[PolicyVersion]) -> None:
    """Refuse (PolicyValidationError) versions of one policy whose effective periods overlap,
    or that share a version label: on any day at most one version may be in force."""
    versions = sorted(policies, key=lambda p: (p.effective_from, p.version))
    problems: list[PolicyProblem] = []
    for i, a in enumerate(versions):
        for b in versions[i + 1 :]:
            if a.version == b.version:
                problems.append(
                    PolicyProblem(
                        "version",
                        f"版本号 {a.version} 重复",
                        f"two versions are labelled {a.version!r}",
                    )
                )
            elif _overlap(a, b):
                problems.append(
                    PolicyProblem(
                        "effective",
                        f"版本 {a.version} 与 {b.version} 的生效期重叠",
                        f"the effective periods of {a.version!r} ({_period(a)}) and "
                        f"{b.version!r} ({_period(b)}) overlap",
                    )
                )
    if problems:
        raise PolicyValidationError(problems)


def _period(policy: PolicyVersion) -> str:
    return f"{policy.effective_from} – {policy.effective_to or '…'}"


def policy_in_force(policies: Iterable[PolicyVersion], day: date) -> PolicyVersion:
    """The version in force on `day`; NoPolicyInForceError when none is, PolicyValidationError when
    the versions overlap (see `check_periods_do_not_overlap`)."""
    candidates = list(policies)
    check_periods_do_not_overlap(candidates)
    for policy in candidates:
        if policy.is_effective_on(day):
            return policy
    raise NoPolicyInForceError(f"no matching-fund policy is in force on {day}")
