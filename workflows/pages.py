"""The one hook through which other apps add to the application pages, without this app
importing them or its templates including theirs.

``approvals`` registers, when it is ready, a gate (the experts' declaration page, which replaces
the application page until they declare) and fragments: HTML it renders itself from its own
templates, placed in named slots of the application's pages (``summary`` after the facts,
``actions`` in the work panel, ``preview`` on the applicant's form). The dependency so runs one
way, from approvals to workflows, in the views and templates as in the models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.utils.safestring import SafeString

    from .models import FundingApplication

Gate = Callable[["HttpRequest", "FundingApplication"], "HttpResponse | None"]
# (request) -> rendered HTML of the work another app has for this user (after the review).
QueueFragment = Callable[["HttpRequest"], "SafeString"]
# (request, application, page name) -> {slot: rendered HTML}
Fragments = Callable[["HttpRequest", "FundingApplication", str], "dict[str, SafeString]"]

_gates: list[Gate] = []
_fragments: list[Fragments] = []
_queues: list[QueueFragment] = []


def register(
    *,
    gate: Gate | None = None,
    fragments: Fragments | None = None,
    queue: QueueFragment | None = None,
) -> None:
    """Add a gate (a response that replaces the page, or None), fragments, or a part of the
    reviewers' queue. Registering twice is harmless."""
    if gate is not None and gate not in _gates:
        _gates.append(gate)
    if fragments is not None and fragments not in _fragments:
        _fragments.append(fragments)
    if queue is not None and queue not in _queues:
        _queues.append(queue)


def queue_fragments(request: HttpRequest) -> SafeString:
    """Every registered app's part of the queue page for this user."""
    from django.utils.safestring import mark_safe

    return mark_safe("".join(hook(request) for hook in _queues))


def gate(request: HttpRequest, application: FundingApplication) -> HttpResponse | None:
    """The first registered gate's response for this viewer, or None to show the page."""
    for hook in _gates:
        response = hook(request, application)
        if response is not None:
            return response
    return None


def fragments(
    request: HttpRequest, application: FundingApplication, page: str
) -> dict[str, SafeString]:
    """Every registered app's fragments for ``page`` ("detail" or "form"), by slot."""
    from django.utils.safestring import mark_safe

    slots: dict[str, list[str]] = {}
    for hook in _fragments:
        for slot, html in hook(request, application, page).items():
            slots.setdefault(slot, []).append(html)
    return {slot: mark_safe("".join(parts)) for slot, parts in slots.items()}
