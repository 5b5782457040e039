"""The configuration log's page: auditors and administrators read who changed what, when, and
the values before and after."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workflows import access

from .forms import ConfigLogFilter
from .models import ConfigChange


@login_required
def config_log(request: HttpRequest) -> HttpResponse:
    """Every configuration change, newest first, filtered by object type, person and period."""
    if not access.may_read_configuration(request.user):
        raise PermissionDenied
    form = ConfigLogFilter(request.GET or None)
    changes: QuerySet[ConfigChange] = ConfigChange.objects.all()
    if form.is_bound:
        changes = form.filter(changes) if form.is_valid() else changes.none()
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/config_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
