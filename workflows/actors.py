"""Who acts: the type of the acting user that every service takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, Union

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# A service is called with whoever the page or command has; it refuses those without the
# right (an anonymous user has none), so the anonymous user is part of the type.
Actor: TypeAlias = Union["User", "AnonymousUser"]  # noqa: UP007 - forward references
