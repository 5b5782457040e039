"""The auditors' verification pages: start a verification of the whole audit trail in the
background, and follow its progress to its result. No request runs the verification itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import permissions as rights
from .audit_runs import start_verification
from .models import AuditVerification


def ensure_auditor(request: HttpRequest) -> None:
    """Auditors, administrators and superusers read the audit trail; nobody else."""
    profile = rights.profile_of(request.user)
    if not (
        request.user.is_superuser or (profile and profile.role in ("auditor", "administrator"))
    ):
        raise PermissionDenied


def latest_verification() -> AuditVerification | None:
    return AuditVerification.objects.order_by("-started_at", "-id").first()


@login_required
@require_POST
def audit_verification_start(request: HttpRequest) -> HttpResponse:
    ensure_auditor(request)
    run = start_verification(actor=request.user)
    return redirect("audit-verification", pk=run.pk)


@login_required
def audit_verification(request: HttpRequest, pk: int) -> HttpResponse:
    ensure_auditor(request)
    run = get_object_or_404(AuditVerification, pk=pk)
    return render(request, "workflows/audit_verification.html", {"run": run})
