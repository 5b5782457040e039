"""Writing the access log: one function per kind of entry, called by pages and signal receivers.

Receivers of model signals have no request; the request being served is kept in a context
variable by ``AccessContextMiddleware`` so that a change made from a page (the admin, say) is
recorded with the person who made it and their address.
"""

from __future__ import annotations

import contextvars
import ipaddress
from typing import Any

from django.http import HttpRequest

from documents.models import Document
from documents.throttle import client_address
from workflows import permissions as rights
from workflows.models import Attachment, FundingApplication, Role

from .models import AccessEvent, AccessKind

current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "current_request", default=None
)


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def _person(user: Any) -> tuple[Any, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None, ""
    return user, user.get_username()


def record(
    kind: AccessKind,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    application: FundingApplication | None = None,
    target: str = "",
    detail: str = "",
) -> AccessEvent:
    """Append one entry. Without an explicit request, the one being served (if any) gives the
    address, and without an explicit user, its user is the person."""
    request = request or current_request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    person, name = _person(user)
    return AccessEvent.objects.create(
        kind=kind,
        user=person,
        username=(username or name)[:150],
        address=_address(request),
        application=application,
        target=target[:255],
        detail=detail,
    )


def is_staff_reader(user: Any) -> bool:
    """Programme staff (every role but the applicant's) and administrators of the site."""
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    profile = rights.profile_of(user)
    return profile is not None and profile.role != Role.APPLICANT


def record_read(request: HttpRequest, obj: FundingApplication | Attachment | Document) -> None:
    """A member of staff read a request's detail, downloaded an attachment or a document."""
    if not is_staff_reader(request.user):
        return
    if isinstance(obj, FundingApplication):
        record(AccessKind.READ_APPLICATION, request=request, application=obj, target=str(obj))
    elif isinstance(obj, Attachment):
        record(
            AccessKind.READ_ATTACHMENT,
            request=request,
            application=obj.application,
            target=obj.original_name,
        )
    elif isinstance(obj, Document):
        record(
            AccessKind.READ_DOCUMENT,
            request=request,
            application=obj.application,
            target=str(obj),
        )


def record_export(
    request: HttpRequest, *, name: str, label: str, fmt: str, filters: str, rows: int | None
) -> None:
    """Somebody exported a list or a dashboard table: which, in what format, with what
    filters (and how many rows, when known before sending)."""
    counted = "" if rows is None else f" rows={rows}"
    record(
        AccessKind.EXPORTED,
        request=request,
        target=f"{label} ({name}.{fmt})",
        detail=f"{filters}{counted}".strip(),
    )
