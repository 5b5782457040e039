"""The auditors' verification pages: start a verification of the whole audit trail in the
background, and follow its progress to its result. No request runs the verification itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import access
from .audit_runs import start_verification
from .models import AuditVerification


def ensure_auditor(request: HttpRequest) -> None:
    """Auditors and administrators read the audit trail (the access policy); nobody else."""
    if not access.may_read_audit_trail(request.user):
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
