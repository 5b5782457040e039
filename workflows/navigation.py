"""The navigation bar: one entry per page beyond a single request, shown to whoever the access
policy lets reach it. A new page is one more ``Entry`` line (its URL name, its label, the
access policy's predicate); the bar is built from this table on every page (the context
processor below), with the current entry marked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse

from . import access
from .review_path import Label

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .actors import Viewer


def _signed_in(user: Viewer | None) -> bool:
    return access.role_of(user) is not None


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Label
    shows: Callable[[Viewer | None], bool]
    # URL names of the pages under this entry (an agenda under the meetings), by prefix.
    covers: tuple[str, ...] = ()


ENTRIES = (
    Entry("approvals:queue", Label("我的待办", "My work"), access.may_use_queue),
    Entry(
        "home",
        Label("申请", "Requests"),
        _signed_in,
        ("application-", "approvals:formal-check", "approvals:recommendation"),
    ),
    Entry(
        "approvals:meetings",
        Label("联席会议", "Meetings"),
        access.may_read_meetings,
        ("approvals:meeting", "approvals:build-agenda"),
    ),
    Entry(
        "awards:queue",
        Label("批复后待办", "After the approval"),
        access.may_use_award_queue,
        ("awards:",),
    ),
    Entry("documents", Label("文书", "Documents"), access.may_list_documents, ("documents",)),
    Entry("dashboard", Label("统计", "Dashboard"), access.may_read_statistics, ("dashboard",)),
    Entry("audit-trail", Label("审计", "Audit"), access.may_read_audit_trail, ("audit-",)),
    Entry("access-log", Label("访问记录", "Access log"), access.may_read_audit_trail),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: bool


def bar_for(user: Viewer | None, view_name: str) -> list[Link]:
    """The entries ``user`` may reach, the one ``view_name`` belongs to marked current."""
    links = []
    for entry in ENTRIES:
        if not entry.shows(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # the page is not installed in this configuration
            continue
        current = view_name == entry.url_name or view_name.startswith(entry.covers or ("\0",))
        links.append(Link(url, str(entry.label), current))
    return links


def context(request: HttpRequest) -> dict[str, Any]:
    """The navigation bar and the unread notifications' count, for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .notices import unread_count

    match = getattr(request, "resolver_match", None)
    try:
        unread = unread_count(user)
    except DatabaseError:  # an error page while the database is away still renders
        unread = 0
    return {"navigation": bar_for(user, match.view_name if match else ""), "unread_notices": unread}
