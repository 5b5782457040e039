"""Who acts and who reads: the types of the users that services and the access policy take."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias, Union

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The acting user of every service: signed in (views behind login_required, commands that load
# the person by name). A service still refuses those without the right.
Actor: TypeAlias = "User"
# Whoever reads a page, signed in or not: the access policy answers for anybody.
Viewer: TypeAlias = Union["User", "AnonymousUser"]


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind ``login_required``: its user is signed in."""

    user: User
