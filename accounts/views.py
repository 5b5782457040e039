"""Pages of the second factor (confirm a login, enrol an authenticator, backup codes) and the
auditors' access log with its CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from workflows import permissions as rights
from workflows.models import Role

from . import second_factor
from .forms import AccessLogFilter, TokenForm
from .models import AccessEvent

ACCESS_LOG_READERS = (Role.AUDITOR, Role.ADMINISTRATOR)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """The second step of a staff login: a code from the authenticator or a backup code."""
    if second_factor.authenticator_of(request.user) is None:  # type: ignore[arg-type]
        return redirect(
            f"{reverse('second-factor-setup')}?{urlencode({'next': _next_url(request)})}"
        )
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.confirm_login(request, form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _wrong_code())
    return render(
        request, "accounts/second_factor.html", {"form": form, "next": _next_url(request)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the code (or type the key), then type its first code."""
    user = request.user
    # Replacing an authenticator needs the current one: a password alone must not do it.
    if second_factor.authenticator_of(user) is not None and not user.is_verified():  # type: ignore[arg-type,union-attr]
        return redirect("second-factor")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.confirm_enrolment(request, form.cleaned_data["token"])
        if codes is not None:
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        form.add_error("token", _wrong_code())
    device = second_factor.pending_authenticator(user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/second_factor_setup.html",
        {
            "form": form,
            "qr_svg": second_factor.qr_svg(device),
            "secret": second_factor.secret_for_typing(device),
            "next": _next_url(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), for a login confirmed with the second
    factor."""
    if not request.user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('second-factor')}?{urlencode({'next': request.path})}")
    codes = second_factor.issue_backup_codes(request) if request.method == "POST" else None
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": "/"})


def _wrong_code() -> str:
    return gettext("验证码不正确或已过期，请重新输入。")


# --- the access log --------------------------------------------------------------------------

EXPORT_COLUMNS = ("at", "kind", "username", "address", "application", "target", "detail")


def _ensure_reader(user: Any) -> None:
    profile = rights.profile_of(user)
    if not (user.is_superuser or (profile and profile.role in ACCESS_LOG_READERS)):
        raise PermissionDenied


def _filtered(request: HttpRequest) -> tuple[AccessLogFilter, QuerySet[AccessEvent]]:
    form = AccessLogFilter(request.GET or None)
    events: QuerySet[AccessEvent] = AccessEvent.objects.select_related("application")
    if form.is_bound:
        events = form.filter(events) if form.is_valid() else events.none()
    return form, events


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """Who signed in, changed rights or read what: auditors filter by person, request, period."""
    _ensure_reader(request.user)
    form, events = _filtered(request)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/access_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def access_log_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered access log as CSV, streamed row by row (a long period does not fill memory)."""
    _ensure_reader(request.user)
    _form, events = _filtered(request)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"  # so that spreadsheet programs read the Chinese text as UTF-8
        yield writer.writerow(EXPORT_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                (
                    timezone.localtime(event.at).isoformat(),
                    event.kind,
                    event.username,
                    event.address or "",
                    event.application_id or "",
                    event.target,
                    event.detail,
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    return response
