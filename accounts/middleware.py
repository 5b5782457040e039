"""Request-wide parts of logging in: the request kept for the access log, and the second-factor
gate in front of every page for staff who have not confirmed their login yet."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import second_factor
from .access_log import current_request


class AccessContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)


class SecondFactorMiddleware:
    """Staff whose session is not confirmed with a second factor reach only the pages that
    confirm it (or enrol an authenticator), logging out and the language switch."""

    OPEN_URL_NAMES = ("second-factor", "second-factor-setup", "logout", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            second_factor.required_for(user)
            and not user.is_verified()  # type: ignore[union-attr]  # set by OTPMiddleware
            and not self._is_open(request.path)
        ):
            assert user.is_authenticated  # noqa: S101 - required_for() checked it
            name = (
                "second-factor"
                if second_factor.authenticator_of(user) is not None
                else "second-factor-setup"
            )
            return HttpResponseRedirect(
                f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
            )
        return self.get_response(request)

    def _is_open(self, path: str) -> bool:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path.startswith(static) or path in {reverse(name) for name in self.OPEN_URL_NAMES}
