"""Amounts of money on pages: yuan with thousands separators, in the user's locale (Babel)."""

from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.utils import translation

register = template.Library()


@register.filter
def yuan(value) -> str:
    """``{{ amount|yuan }}`` → ¥20,000,000.00; empty for no amount."""
    if value in (None, ""):
        return ""
    locale = translation.to_locale(translation.get_language() or "zh-hans")
    babel_locale = "zh_CN" if locale.lower().startswith("zh") else "en_US"
    return format_currency(Decimal(value), "CNY", locale=babel_locale)
