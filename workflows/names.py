"""Names of organisations, special projects and departments in the page's language: the English
name on English pages where one is known, the Chinese name otherwise."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def local_name(thing: Any) -> str:
    """``thing.name_en`` on an English page when it is filled in, ``thing.name`` otherwise."""
    if thing is None:
        return ""
    english = getattr(thing, "name_en", "")
    if english and (get_language() or "").startswith("en"):
        return str(english)
    return str(thing.name)


def person_name(user: Any) -> str:
    """A person as papers print them: family and given name in Chinese order, or the user
    name when neither is known."""
    return f"{user.last_name}{user.first_name}".strip() or str(user.get_username())
