"""``{% if user|reads_statistics %}``: whether the navigation links to the dashboard."""

from typing import Any

from django import template

from workflows import access

register = template.Library()


@register.filter
def reads_statistics(user: Any) -> bool:
    return access.may_read_statistics(user)
