"""What other apps add to the application pages, without this app importing them.

The review tiers' panels, the experts' declaration gate and the policy preview belong to
``approvals``, which registers them here when it is ready; the pages ask this registry. The
dependency so runs one way, from approvals to workflows, in the views as in the models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import FundingApplication

Gate = Callable[["HttpRequest", "FundingApplication"], "HttpResponse | None"]
Panels = Callable[[Any, "FundingApplication"], dict[str, Any]]
Preview = Callable[["FundingApplication"], "dict[str, Any] | None"]

_gates: list[Gate] = []
_panels: list[Panels] = []
_previews: list[Preview] = []


def register(
    *, gate: Gate | None = None, panels: Panels | None = None, preview: Preview | None = None
) -> None:
    """Add a gate (a response that replaces the page, or None), panels (context for the
    page) or a preview (of the decision a draft would get). Registering twice is harmless."""
    for hook, hooks in ((gate, _gates), (panels, _panels), (preview, _previews)):
        if hook is not None and hook not in hooks:
            hooks.append(hook)  # type: ignore[arg-type]  # each list holds its own kind


def gate(request: HttpRequest, application: FundingApplication) -> HttpResponse | None:
    """The first registered gate's response for this viewer, or None to show the page."""
    for hook in _gates:
        response = hook(request, application)
        if response is not None:
            return response
    return None


def panels(user: Any, application: FundingApplication) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for hook in _panels:
        context.update(hook(user, application))
    return context


def preview(application: FundingApplication) -> dict[str, Any] | None:
    for hook in _previews:
        shown = hook(application)
        if shown is not None:
            return shown
    return None
