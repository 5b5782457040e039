"""``{{ application.organisation|local_name }}``: a name in the page's language."""

from typing import Any

from django import template

from ..names import local_name as _local_name
from ..names import person_name as _person_name

register = template.Library()


@register.filter
def local_name(thing: Any) -> str:
    return _local_name(thing)


@register.filter
def person_name(user: Any) -> str:
    return _person_name(user)
