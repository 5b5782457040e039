"""The pooled budget of the funding departments, and drawing approvals on it.

Matching money for a call is pooled from several municipal departments (统筹使用配套资金). A
`PoolState` is what each department still has; the policy's pooled-funding rule says how an
amount is drawn on them: in priority order (the first department pays until its balance runs
out, then the next), or in proportion (each pays its fixed share). Proportional splits are cut
to the fen and the leftover fen go, one each, to the departments with the largest cut-off
remainders (ties to the earlier department), so the parts always add up exactly.

`allocate_batch` does this for a whole joint-meeting agenda at once, in a fixed order (score
descending, then submission time, then key), and reports every shortfall before anything is
recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, localcontext
from types import MappingProxyType
from typing import Any

from .money import CENT, MAX_AMOUNT, MONEY_CONTEXT, ZERO
from .version import PolicyVersion, PooledFundingRule, PoolMethod

_ctx = MONEY_CONTEXT


class PoolStateMismatchError(ValueError):
    """The pool state does not hold exactly the departments of the policy's pool."""


def _fen_amount(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{what} must be a Decimal amount in yuan, got {value!r}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise ValueError(f"{what} must be at least 0 and below {MAX_AMOUNT:f}, got {value}")
    fen = amount.quantize(CENT, context=_ctx)
    if fen != amount:
        raise ValueError(f"{what} must be a whole number of fen (0.01 yuan), got {value}")
    # Kept at the fen, so every amount prints the same way ("1000000.00").
    return fen


@dataclass(frozen=True)
class PoolState:
    """What each department of the pool still has, in yuan (a read-only mapping).

    Refuses negative balances, floats and amounts finer than a fen.
    """

    balances: Mapping[str, Decimal]

    def __post_init__(self) -> None:
        checked = {
            str(code): _fen_amount(amount, f"balance of {code}")
            for code, amount in self.balances.items()
        }
        object.__setattr__(self, "balances", MappingProxyType(checked))

    @classmethod
    def from_budgets(cls, policy: PolicyVersion) -> PoolState:
        """The pool at the start of the call: every department has its whole budget."""
        return cls({d.code: d.budget for d in policy.pool.departments})

    @property
    def total(self) -> Decimal:
        return sum(self.balances.values(), ZERO)

    def as_dict(self) -> dict[str, str]:
        return {code: str(amount) for code, amount in self.balances.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PoolState:
        """Rebuild a state stored with `as_dict`."""
        return cls({code: Decimal(str(amount)) for code, amount in data.items()})


def balances_for(policy: PolicyVersion, pool_state: PoolState | None) -> Mapping[str, Decimal]:
    """The balances to draw on: the state's, or the budgets when there is none.

    Refuses (PoolStateMismatchError) a state whose departments are not the policy's.
    """
    if pool_state is None:
        return {d.code: d.budget for d in policy.pool.departments}
    balances = pool_state.balances
    if balances.keys() != set(policy.pool.department_codes):
        missing = sorted(set(policy.pool.department_codes) - balances.keys())
        extra = sorted(balances.keys() - set(policy.pool.department_codes))
        raise PoolStateMismatchError(
            f"pool state does not match policy {policy.version}: missing {missing}, unknown {extra}"
        )
    return balances


def available(pool: PooledFundingRule, balances: Mapping[str, Decimal]) -> Decimal:
    """The largest amount the pool can fund from these balances under its method."""
    if pool.method is PoolMethod.PRIORITY:
        return sum((balances[d.code] for d in pool.departments), ZERO)
    # Proportional: every department must afford its share, so the scarcest one decides.
    limits = [
        _ctx.divide(balances[d.code], d.share).quantize(CENT, rounding=ROUND_DOWN, context=_ctx)
        for d in pool.departments
        if d.share
    ]
    return min(limits)


def split(
    pool: PooledFundingRule, amount: Decimal, balances: Mapping[str, Decimal]
) -> tuple[tuple[Decimal, ...], Decimal]:
    """The part of `amount` each department pays (in the pool's department order), and the
    shortfall: what the balances cannot cover (zero when the amount fits)."""
    if pool.method is PoolMethod.PRIORITY:
        drawn = []
        remaining = amount
        for d in pool.departments:
            part = min(remaining, balances[d.code])
            drawn.append(part)
            remaining -= part
        return tuple(drawn), remaining
    parts = proportional_parts(pool, amount)
    shortfall = sum(
        (max(ZERO, p - balances[d.code]) for d, p in zip(pool.departments, parts, strict=True)),
        ZERO,
    )
    return parts, shortfall


def proportional_parts(pool: PooledFundingRule, amount: Decimal) -> tuple[Decimal, ...]:
    """`amount` split by the departments' shares, to the fen, adding up exactly."""
    exact = [_ctx.multiply(amount, d.share or ZERO) for d in pool.departments]
    parts = [e.quantize(CENT, rounding=ROUND_DOWN, context=_ctx) for e in exact]
    leftover_fen = int(_ctx.divide(amount - sum(parts, ZERO), CENT))
    if leftover_fen:
        by_remainder = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in by_remainder[:leftover_fen]:
            parts[i] += CENT
    return tuple(parts)


@dataclass(frozen=True)
class BatchItem:
    """One approval on a meeting's agenda: its amount and its place in the drawing order.

    `by_department`, when given, is the split the meeting approved and is drawn as it is;
    otherwise the policy's method splits the amount against the balances at its turn.
    Refuses naive datetimes, negative or float amounts, and a split that does not add up.
    """

    key: str
    amount: Decimal
    score: Decimal
    submitted_at: datetime
    by_department: Mapping[str, Decimal] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _fen_amount(self.amount, f"amount of {self.key}"))
        if self.submitted_at.tzinfo is None or self.submitted_at.utcoffset() is None:
            raise ValueError(f"submitted_at of {self.key} must be timezone-aware")
        if self.by_department is not None:
            parts = {
                code: _fen_amount(a, f"{code} part of {self.key}")
                for code, a in self.by_department.items()
            }
            if sum(parts.values(), ZERO) != self.amount:
                raise ValueError(f"the department parts of {self.key} do not add up to its amount")
            object.__setattr__(self, "by_department", MappingProxyType(parts))


@dataclass(frozen=True, slots=True)
class Oversubscription:
    """An item a department cannot pay: it needed `needed`, it had `available`."""

    item_key: str
    department: str
    needed: Decimal
    available: Decimal

    @property
    def shortfall(self) -> Decimal:
        return self.needed - self.available

    def as_dict(self) -> dict[str, str]:
        return {
            "item_key": self.item_key,
            "department": self.department,
            "needed": str(self.needed),
            "available": str(self.available),
            "shortfall": str(self.shortfall),
        }


@dataclass(frozen=True, slots=True)
class BatchDraw:
    """What one item draws, per department; `drawn` is False when it did not fit."""

    key: str
    amount: Decimal
    by_department: tuple[tuple[str, Decimal], ...]
    drawn: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "amount": str(self.amount),
            "by_department": {code: str(a) for code, a in self.by_department},
            "drawn": self.drawn,
        }


@dataclass(frozen=True)
class BatchAllocation:
    """The result of drawing an agenda on the pool, before anything is recorded.

    `draws` are in drawing order. An item that does not fit draws nothing, is listed in
    `oversubscriptions` (one entry per department short), and later items are still tried;
    `balances_after` is the pool once the items that fit have drawn. Record nothing while
    `is_oversubscribed`.
    """

    policy_version: str
    policy_content_hash: str
    draws: tuple[BatchDraw, ...]
    oversubscriptions: tuple[Oversubscription, ...]
    balances_before: PoolState
    balances_after: PoolState
    total_drawn: Decimal = field(init=False)

    def __post_init__(self) -> None:
        total = sum((d.amount for d in self.draws if d.drawn), ZERO)
        object.__setattr__(self, "total_drawn", total)

    @property
    def is_oversubscribed(self) -> bool:
        return bool(self.oversubscriptions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "policy_content_hash": self.policy_content_hash,
            "draws": [d.as_dict() for d in self.draws],
            "oversubscriptions": [o.as_dict() for o in self.oversubscriptions],
            "balances_before": self.balances_before.as_dict(),
            "balances_after": self.balances_after.as_dict(),
            "total_drawn": str(self.total_drawn),
        }


def drawing_order(items: Iterable[BatchItem]) -> list[BatchItem]:
    """Score descending, then earlier submission first, then key: the same agenda always draws
    in the same order, whatever order it was handed in."""
    return sorted(items, key=lambda i: (-i.score, i.submitted_at, i.key))


def allocate_batch(
    policy: PolicyVersion, items: Sequence[BatchItem], pool_state: PoolState | None = None
) -> BatchAllocation:
    """Draw a meeting's approvals on the pool in `drawing_order`; pure, records nothing.

    Refuses (ValueError) two items with one key, and an item split naming a department the
    pool does not have; PoolStateMismatchError when the state is not this policy's pool.
    """
    with localcontext(MONEY_CONTEXT):
        return _allocate(policy, items, pool_state)


def _allocate(
    policy: PolicyVersion, items: Sequence[BatchItem], pool_state: PoolState | None
) -> BatchAllocation:
    pool = policy.pool
    start = balances_for(policy, pool_state)
    balances = dict(start)
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each item of a batch needs its own key")
    draws: list[BatchDraw] = []
    short: list[Oversubscription] = []
    codes = pool.department_codes
    for item in drawing_order(items):
        if item.by_department is not None:
            unknown = sorted(set(item.by_department) - set(codes))
            if unknown:
                raise ValueError(f"{item.key} draws on unknown departments {unknown}")
            parts = tuple(item.by_department.get(code, ZERO) for code in codes)
        else:
            parts, _ = split(pool, item.amount, balances)
            if pool.method is PoolMethod.PRIORITY:
                # Priority drew what it could; the last department would have to pay the rest.
                parts = (*parts[:-1], item.amount - sum(parts[:-1], ZERO))
        item_short = [
            Oversubscription(item.key, code, part, balances[code])
            for code, part in zip(codes, parts, strict=True)
            if part > balances[code]
        ]
        fits = not item_short
        if fits:
            for code, part in zip(codes, parts, strict=True):
                balances[code] -= part
        short.extend(item_short)
        draws.append(BatchDraw(item.key, item.amount, tuple(zip(codes, parts, strict=True)), fits))
    return BatchAllocation(
        policy_version=policy.version,
        policy_content_hash=policy.content_hash,
        draws=tuple(draws),
        oversubscriptions=tuple(short),
        balances_before=PoolState(start),
        balances_after=PoolState(balances),
    )
