"""Amounts of money typed by people: yuan to the fen, as ``Decimal``."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from .errors import InvalidInput


def parse_money(amount: object) -> Decimal:
    """An amount of yuan from user input, to the fen; InvalidInput unless a finite number."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise InvalidInput(_("金额格式不正确。")) from exc
    if not value.is_finite():  # Decimal("NaN") quantizes without complaint, then fails to compare
        raise InvalidInput(_("金额格式不正确。"))
    return value
