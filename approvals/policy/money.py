"""Money and ratio arithmetic shared by the policy modules: one Decimal context, one fen.

Every amount is a `Decimal` in yuan with at most two decimal places. All arithmetic goes
through `MONEY_CONTEXT` instead of the thread's current context, so a caller that changed the
ambient precision or rounding (Django, a library, a test) cannot change an assessment.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

# 34 digits hold any amount below MAX_AMOUNT multiplied by any ratio with up to 16 decimals
# exactly, so products are never silently rounded before we quantize them on purpose.
MONEY_CONTEXT = Context(prec=34, traps=[InvalidOperation, DivisionByZero, Overflow, Clamped])
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal(1)
# Ten trillion yuan: far above any project, low enough that products stay exact.
MAX_AMOUNT = Decimal("1E13")

_mul = MONEY_CONTEXT.multiply
_quantize = MONEY_CONTEXT.quantize


def times_down(amount: Decimal, ratio: Decimal) -> Decimal:
    """`amount × ratio`, cut down to the fen: a share of money never rounds up by itself."""
    return _mul(amount, ratio).quantize(CENT, rounding=ROUND_DOWN, context=MONEY_CONTEXT)


def to_fen(amount: Decimal) -> Decimal:
    """The amount with exactly two decimal places (an exact re-scaling, never a rounding)."""
    return _quantize(amount, CENT)


def round_to_unit(amount: Decimal, unit: Decimal, *, half_up: bool) -> Decimal:
    """The amount as a whole number of `unit`, cut down or rounded half up, kept at the fen."""
    units = MONEY_CONTEXT.divide(amount, unit).quantize(
        ONE, rounding=ROUND_HALF_UP if half_up else ROUND_DOWN, context=MONEY_CONTEXT
    )
    return to_fen(_mul(units, unit))


def format_money(amount: Decimal) -> str:
    """1234567.8 → '1,234,567.80' (yuan, for explanations and tables)."""
    return f"{amount:,.2f}"


def format_ratio(ratio: Decimal) -> str:
    """0.35 → '35%'; 0.125 → '12.5%'."""
    percent = _mul(ratio, Decimal(100)).normalize(MONEY_CONTEXT)
    return f"{percent:f}%"
