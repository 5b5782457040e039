"""Lifting a login lockout (django-axes counts the failures; this records who lifted it)."""

from __future__ import annotations

from typing import Any

from axes.utils import reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import access_log
from .models import AccessKind


def unlock(*, username: str = "", address: str = "", actor: Any = None) -> int:
    """Forget the failed logins of an account or of a client address, which lifts its lockout;
    returns how many counters were removed."""
    removed = 0
    if username:
        removed += reset(username=username)
    if address:
        removed += reset(ip=address)
    access_log.record(
        AccessKind.UNLOCKED,
        user=actor,
        target=" ".join(part for part in (username, address) if part),
        detail=f"{removed}",
    )
    return removed


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): 429, saying why
    and what to do."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else 0
    return render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )
