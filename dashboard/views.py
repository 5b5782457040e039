"""The dashboard: the programme's figures for the programme office, the secretariat, auditors
and lead departments (over their own special projects), each chart with its table, each table
exportable. Reads only; every figure is computed over the access policy's list of requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from workflows import access
from workflows.actors import AuthenticatedRequest
from workflows.exports import Column, export_response
from workflows.listing import export_query
from workflows.models import FundingApplication, FundingCall, SpecialProject

from .sections import Scope, audience_of, find_table, sections_for


def _years() -> list[tuple[int, int]]:
    years = FundingCall.objects.order_by("-year").values_list("year", flat=True).distinct()
    return [(y, y) for y in years]


class DashboardFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Every figure narrowed to a call, a year, a special project."""

    call = django_filters.ModelChoiceFilter(label=_("申报批次"), queryset=FundingCall.objects.all())
    year = django_filters.TypedChoiceFilter(
        label=_("年度"), field_name="call__year", choices=_years, coerce=int
    )
    special_project = django_filters.ModelChoiceFilter(
        label=_("所属重大专项"), queryset=SpecialProject.objects.all()
    )

    class Meta:
        model = FundingApplication
        fields = ["call", "year", "special_project"]


def _scope(request: AuthenticatedRequest) -> tuple[DashboardFilter, Scope]:
    if not access.may_read_statistics(request.user):
        raise PermissionDenied
    filterset = DashboardFilter(request.GET or None, queryset=access.applications_for(request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    rows: QuerySet[FundingApplication] = filterset.qs if valid else filterset.queryset.none()
    data: dict[str, Any] = filterset.form.cleaned_data if filterset.is_bound and valid else {}
    call, project = data.get("call"), data.get("special_project")
    audience = audience_of(request.user)
    scope = Scope(
        user=request.user,
        applications=rows,
        call_id=call.pk if call else None,
        year=data.get("year") or None,
        special_project_id=project.pk if project else None,
        now=timezone.now(),
        cache_key=f"{audience}:{export_query(request.GET)}" if valid else None,
    )
    return filterset, scope


@login_required
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    filterset, scope = _scope(request)
    sections = sections_for(scope)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "filter": filterset,
            "sections": sections,
            "charts": [t.chart_data() for s in sections for t in s.tables if t.chart],
            "export_query": export_query(request.GET),
            "export_base": reverse("dashboard-export", args=["_s", "_t"]),
        },
    )


def _cell_at(index: int) -> Callable[[tuple[Any, ...]], Any]:
    return lambda row: row[index]


@login_required
@require_GET
def dashboard_export(request: AuthenticatedRequest, section: str, table: str) -> HttpResponseBase:
    """One table of the dashboard with the current filters, as CSV or Excel."""
    _filterset, scope = _scope(request)
    found = find_table(scope, section, table)
    if found is None:
        raise Http404
    headings = [str(h) for h in found.headings]
    return export_response(
        request,
        name=f"dashboard-{section}-{table}",
        label=str(found.title),
        fmt=request.GET.get("format", "csv"),
        columns=[Column(h, _cell_at(i)) for i, h in enumerate(headings)],
        rows=found.rows,
        filters=export_query(request.GET),
    )
