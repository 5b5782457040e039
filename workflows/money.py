"""Amounts of money in yuan: ``Decimal`` with two places, exact on every database we run on.

SQLite keeps a decimal column as a binary float, which holds 15 significant digits exactly and
no more: a 16-digit amount would come back changed (or not at all). So every amount, stored or
typed into a form, has at most 15 digits, 13 before the point — 9,999,999,999,999.99 yuan, far
above any programme's budget — and the forms say so next to the field.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_DIGITS = 15
DECIMAL_PLACES = 2
MAX_AMOUNT = Decimal("9999999999999.99")
LIMIT_HELP = _("单位：元，最多两位小数，不超过 9,999,999,999,999.99 元。")
TOO_LARGE = _("金额不得超过 9,999,999,999,999.99 元。")


class MoneyOptions(TypedDict):
    max_digits: int
    decimal_places: int
    validators: Sequence[Callable[[Any], None]]
    help_text: "StrOrPromise"


# The options of every amount column: ``models.DecimalField(label, **MONEY)``.
MONEY: MoneyOptions = {
    "max_digits": MAX_DIGITS,
    "decimal_places": DECIMAL_PLACES,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_AMOUNT, TOO_LARGE)],
    "help_text": LIMIT_HELP,
}


def money_form_field(
    label: "StrOrPromise",
    *,
    required: bool = True,
    min_value: Decimal = Decimal("0.01"),
    initial: Decimal | None = None,
) -> forms.DecimalField:
    """A form field for an amount in yuan, with the limit in its help text."""
    field = forms.DecimalField(
        label=label,
        required=required,
        min_value=min_value,
        max_value=MAX_AMOUNT,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        initial=initial,
        help_text=LIMIT_HELP,
    )
    field.error_messages["max_value"] = TOO_LARGE
    return field


def parse_money(amount: object) -> Decimal:
    """An amount of yuan typed by a person, to the fen; InvalidInput unless a finite number
    within the limit."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except Exception as exc:
        raise InvalidInput(gettext("金额格式不正确。")) from exc
    if not value.is_finite():  # Decimal("NaN") quantizes without complaint, then fails to compare
        raise InvalidInput(gettext("金额格式不正确。"))
    if abs(value) > MAX_AMOUNT:
        raise InvalidInput(TOO_LARGE)
    return value
