"""A per-client request limit for public pages, kept in Django's cache.

A fixed window that starts with the client's first request: ``limit`` requests, then refusals
until the window ends. With the default local-memory cache the count is per process (a
deployment with several web processes divides the limit among them unless it configures a
shared cache such as Redis); that is enough to stop one client from hashing files or probing
numbers as fast as it can, which is all this page needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

WINDOW_SECONDS = 60


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind our own proxy the address it appended to X-Forwarded-For
    (the last one: anything before it the client could have written)."""
    if settings.SECURE_PROXY_SSL_HEADER is not None:
        forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.rsplit(",", 1)[-1].strip()
    return cast(str, request.META.get("REMOTE_ADDR", ""))


def allow(request: HttpRequest, *, scope: str, limit: int) -> bool:
    """Count this request; False once the client is over ``limit`` in its window."""
    key = f"throttle:{scope}:{client_address(request)}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count <= limit


ViewCheck = Callable[[HttpRequest], HttpResponse | None]
_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def before_parsing(check: ViewCheck) -> Callable[[_View], _View]:
    """Marks a view whose request limit ``check`` must run before anything reads the request's
    body: ``ThrottleMiddleware`` calls it ahead of the CSRF check (which parses a form), so a
    client over its limit costs no upload parsing at all. ``check`` returns the refusal, or
    ``None`` to let the request through."""

    def mark(view: _View) -> _View:
        view.throttle_before_parsing = check  # type: ignore[attr-defined]
        return view

    return mark


class ThrottleMiddleware:
    """Runs the request limit of views marked with ``before_parsing``. Listed before
    ``CsrfViewMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        check: ViewCheck | None = getattr(view, "throttle_before_parsing", None)
        return check(request) if check is not None else None
