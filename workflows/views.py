"""Pages. Thin: they read through selectors and write through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import assignments, pages, selectors, services
from . import permissions as rights
from .errors import InvalidInput
from .forms import ApplicationForm, AttachmentForm, DecisionForm
from .models import Attachment, FundingApplication, Status

# What each decision button does: the service, and whether it takes a reason or an amount.
ACTIONS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "submit": (services.submit_application, ()),
    "resubmit": (services.resubmit_application, ()),
    "withdraw": (services.withdraw_application, ("reason",)),
    "claim": (assignments.claim_task, ()),
    "release": (assignments.release_task, ()),
    "accept": (services.accept_for_review, ("reason",)),
    "recommend": (services.recommend_application, ("reason", "amount")),
    "approve": (services.approve_application, ("reason", "amount")),
    "defer": (services.defer_application, ("reason",)),
    "return": (services.return_application, ("reason",)),
    "reject": (services.reject_application, ("reason",)),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    profile = rights.profile_of(request.user)
    applications = Paginator(selectors.applications_visible_to(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workflows/home.html",
        {
            "profile": profile,
            "applications": applications,
            "queue": selectors.queue_for(request.user)[:50],
            "can_create": profile is not None and profile.role == "applicant",
        },
    )


@login_required
def application_create(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.create_application(actor=request.user, data=form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("application-detail", pk=application.pk)
    return render(request, "workflows/application_form.html", {"form": form})


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.update_application(application_id=pk, actor=request.user, data=data)
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("申请已保存。"))
            return redirect("application-detail", pk=pk)
    return render(
        request,
        "workflows/application_form.html",
        {"form": form, "application": application, "preview": pages.preview(application)},
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # An expert asked to score a request reaches it to declare, before it is visible to them.
    application = selectors.awaiting_declaration(request.user, pk) or _visible(request, pk)
    # Experts see nothing of the request until they declare no conflict of interest.
    gated = pages.gate(request, application)
    if gated is not None:
        return gated
    task = selectors.open_task_of(application)
    user = request.user
    is_reviewer = rights.acts_at_current_tier(application, user)
    is_applicant = rights.is_applicant_of(application, user)
    editable = application.status in (Status.DRAFT, Status.RETURNED)
    preview = pages.preview(application) if is_applicant and editable else None
    holds_task = task is not None and task.owner_id == user.pk
    return render(
        request,
        "workflows/application_detail.html",
        {
            "application": application,
            "task": task,
            "is_applicant": is_applicant,
            "preview": preview,
            "is_reviewer": is_reviewer,
            "holds_task": holds_task,
            "can_claim": is_reviewer
            and task is not None
            and task.owner_id is None
            and task.flow_task.name != "revision",
            "tier": application.current_tier,
            "editable": editable,
            "final": application.status in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN),
            "history": selectors.audit_trail(application),
            "changes": [] if is_applicant else selectors.revision_changes(application),
            "reassign_candidates": selectors.reassign_candidates(application, user, task),
            "documents": application.documents.order_by("created_at"),
            "attachments": application.attachments.all(),
            "decision_form": DecisionForm(),
            "attachment_form": AttachmentForm(),
            **pages.panels(user, application),
        },
    )


@login_required
@require_POST
def application_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """The tier's head gives the open task to another reviewer (after an escalation, say)."""
    try:
        task_id = int(request.POST.get("task", ""))
        to_user_id = int(request.POST.get("to_user", ""))
    except ValueError as exc:
        raise InvalidInput(_("请选择任务和改派对象。")) from exc
    assignments.reassign_task(
        application_id=pk,
        actor=request.user,
        task_id=task_id,
        to_user_id=to_user_id,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, _("任务已改派。"))
    return redirect("application-detail", pk=pk)


def application_by_process(request: HttpRequest, process_pk: int) -> HttpResponse:
    application = get_object_or_404(FundingApplication, review_process_id=process_pk)
    return redirect("application-detail", pk=application.pk)


@login_required
@require_POST
def application_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    service, takes = ACTIONS[action]
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
    kwargs = {name: form.cleaned_data[name] for name in takes}
    if "amount" in kwargs and kwargs["amount"] is None:
        if action == "approve":
            raise InvalidInput(_("请填写批复金额。"))
        del kwargs["amount"]
    service(application_id=pk, actor=request.user, **kwargs)
    messages.success(request, _("操作已完成。"))
    return redirect("application-detail", pk=pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        raise InvalidInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
    services.add_attachment(
        application_id=pk,
        actor=request.user,
        kind=form.cleaned_data["kind"],
        upload=form.cleaned_data["file"],
    )
    messages.success(request, _("附件已上传。"))
    return redirect("application-detail", pk=pk)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    application = _visible(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, application=application)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


def _visible(request: HttpRequest, pk: int) -> FundingApplication:
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    if not rights.can_view(application, request.user):
        raise PermissionDenied
    return application


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The full audit trail, read-only, for auditors and administrators, with the latest
    verification run (started from here, run in the background)."""
    from .audit_views import ensure_auditor, latest_verification

    ensure_auditor(request)
    entries = selectors.all_audit_entries()
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(
        request, "workflows/audit.html", {"page": page, "verification": latest_verification()}
    )
