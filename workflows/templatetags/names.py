"""``{{ application.organisation|local_name }}``: a name in the page's language."""

from typing import Any

from django import template

from ..names import local_name as _local_name

register = template.Library()


@register.filter
def local_name(thing: Any) -> str:
    return _local_name(thing)
