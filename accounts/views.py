"""Pages of the second factor (confirm a login, enrol an authenticator, backup codes) and the
auditors' access log with its CSV export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_tables2 as tables
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods

from workflows import permissions as rights
from workflows.exports import ChoiceLabels, Column, export_response
from workflows.listing import export_query, list_page
from workflows.models import Role
from workflows.tables import ListTable

from . import second_factor
from .forms import AccessLogFilter, TokenForm
from .models import AccessEvent, AccessKind

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


class AccessLogTable(ListTable):
    at = tables.DateTimeColumn(verbose_name=_l("时间"), format="Y-m-d H:i:s")
    kind = tables.Column(verbose_name=_l("事件"), orderable=False)
    username = tables.Column(verbose_name=_l("人员"), orderable=False)
    address = tables.Column(verbose_name=_l("来源地址"), orderable=False, default="")
    application = tables.Column(verbose_name=_l("申请"), orderable=False, default="")
    target = tables.Column(verbose_name=_l("对象"), orderable=False)
    detail = tables.Column(verbose_name=_l("说明"), orderable=False)

    sorts = {"at": "at"}
    default_sort = "-at"
    body_template = "accounts/_access_log_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _l("没有符合条件的记录。")


class _FormFilter:
    """The access log's form, with the interface ``list_page`` expects of a filter."""

    def __init__(self, request: HttpRequest) -> None:
        self.form, self.qs = _filtered(request)
        self.queryset = self.qs
        self.is_bound = False  # the form has filtered already


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    """Who signed in, changed rights, read or exported what: auditors filter by person,
    request, kind and period; the list is paged by position (the last page is as fast as the
    first)."""
    _ensure_reader(request.user)
    listing = list_page(
        request, _FormFilter(request), AccessLogTable, export_url=reverse("access-log-export")
    )
    return render(
        request, "accounts/access_log.html", {**listing.context(), "form": listing.filter.form}
    )


KINDS = ChoiceLabels(AccessKind.choices)
EXPORT_HEADINGS = (
    (_l("时间"), lambda e: e.at),
    (_l("事件"), lambda e: KINDS(e.kind)),
    (_l("用户名"), lambda e: e.username),
    (_l("来源地址"), lambda e: e.address or ""),
    (_l("申请"), lambda e: e.application_id or ""),
    (_l("对象"), lambda e: e.target),
    (_l("说明"), lambda e: e.detail),
)


@login_required
def access_log_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered access log as CSV (streamed row by row) or Excel; the export is itself
    recorded in the log."""
    _ensure_reader(request.user)
    _form, events = _filtered(request)
    return export_response(
        request,
        name="access-log",
        label=gettext("访问记录"),
        fmt=request.GET.get("format", "csv"),
        columns=[Column(str(heading), value) for heading, value in EXPORT_HEADINGS],
        rows=events.order_by("-at", "-pk").iterator(chunk_size=2000),
        filters=export_query(request.GET),
    )
