"""Amounts and scores as decision documents print them."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from documents.numerals import amount_in_chinese_capitals, format_yuan

register = template.Library()


@register.filter
def yuan(amount: Decimal | None) -> str:
    """¥12,000,000.00; a dash when there is no amount."""
    return "—" if amount is None else format_yuan(Decimal(amount))


@register.filter
def in_figures_and_capitals(amount: Decimal | None) -> str:
    """¥12,000,000.00（大写：壹仟贰佰万元整）, as every amount a decision states is written."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    return _("%(figures)s（大写：%(capitals)s）") % {
        "figures": format_yuan(value),
        "capitals": amount_in_chinese_capitals(value),
    }


@register.filter
def score(value: Decimal | None) -> str:
    return "—" if value is None else f"{Decimal(value):.2f}"


@register.filter
def figures(amount: Decimal | None) -> str:
    """12,000,000.00, in a column whose heading names the unit; a dash when there is none."""
    return "—" if amount is None else format_yuan(Decimal(amount)).replace("¥", "")
