"""Amounts of money on pages: yuan with thousands separators, in the user's locale (Babel)."""

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from django import template
from django.utils import translation

register = template.Library()


@register.filter
def yuan(value: Decimal | float | str | None) -> str:
    """``{{ amount|yuan }}`` → ¥20,000,000.00; empty for no amount."""
    if value in (None, ""):
        return ""
    language = translation.get_language() or "zh-hans"
    locale = _CHINESE if language.lower().startswith("zh") else _ENGLISH
    return format_currency(Decimal(value), "CNY", locale=locale)


# Parsed once: Babel re-parses a locale given as a string on every call.
_CHINESE = Locale.parse("zh_CN")
_ENGLISH = Locale.parse("en_US")
