"""Pages of requests. Thin: they read through selectors and the access policy, and write through
the public services. The tiers' decisions have their own pages in ``approvals``; the generic
action endpoint here takes only the steps without a tier's rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import access, assignments, drafts, notices, pages, progress, selectors, submission
from . import permissions as rights
from .actors import AuthenticatedRequest
from .errors import InvalidInput, TransitionConflict
from .forms import ApplicationForm, AttachmentForm, ReasonForm
from .models import Attachment, FundingApplication
from .review_path import APPLICANT_EDITS, FINAL, Role
from .signals import object_read

# Who takes a task from a tier's queue (experts are given theirs).
CLAIMING = (Role.LEAD_OFFICER, Role.GROUP_CHAIR, Role.MEETING_SECRETARY)

# The steps without a tier's rules that a button on the application page takes, and whether
# the step takes a written reason. Decisions of the tiers go through their own pages.
ACTIONS: dict[str, tuple[Callable[..., Any], bool, tuple[Role, ...]]] = {
    "submit": (submission.submit_application, False, (Role.APPLICANT,)),
    "resubmit": (submission.resubmit_application, False, (Role.APPLICANT,)),
    "withdraw": (submission.withdraw_application, True, (Role.APPLICANT,)),
    "claim": (assignments.claim_task, False, CLAIMING),
    "release": (assignments.release_task, False, CLAIMING),
}


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    profile = access.profile_of(request.user)
    applications = Paginator(selectors.applications_visible_to(request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workflows/home.html",
        {
            "profile": profile,
            "applications": applications,
            "queue": selectors.mark_visible(
                request.user, list(selectors.queue_for(request.user)[:50])
            ),
            "can_create": access.role_of(request.user) == Role.APPLICANT,
        },
    )


@login_required
def application_create(request: AuthenticatedRequest) -> HttpResponse:
    if access.role_of(request.user) != Role.APPLICANT:
        raise PermissionDenied
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = drafts.create_application(actor=request.user, data=form.cleaned_data)
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("application-detail", pk=application.pk)
    return render(request, "workflows/application_form.html", {"form": form})


@login_required
def application_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _visible(request, pk)
    if not rights.is_applicant_of(application, request.user):
        raise PermissionDenied
    if application.status not in APPLICANT_EDITS:
        raise TransitionConflict(_("只有草稿或退回修改的申请可以编辑。"))
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            drafts.update_application(application_id=pk, actor=request.user, data=data)
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("申请已保存。"))
            return redirect("application-detail", pk=pk)
    return render(
        request,
        "workflows/application_form.html",
        {
            "form": form,
            "application": application,
            "fragments": pages.fragments(request, application, "form"),
        },
    )


@login_required
def application_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # An expert asked to score a request reaches it to declare, before it is visible to them.
    application = selectors.awaiting_declaration(request.user, pk) or _visible(request, pk)
    gated = pages.gate(request, application)
    if gated is not None:
        return gated
    object_read.send(sender=FundingApplication, request=request, obj=application)
    task = selectors.open_task_of(application)
    user = request.user
    is_reviewer = rights.acts_at_current_tier(application, user)
    is_applicant = rights.is_applicant_of(application, user)
    return render(
        request,
        "workflows/application_detail.html",
        {
            "application": application,
            "task": task,
            "tracker": progress.tracker(application),
            "for_applicant": progress.applicant_sentence(application),
            "due": progress.due(application, task),
            "is_applicant": is_applicant,
            "is_reviewer": is_reviewer,
            "holds_task": task is not None and task.owner_id == user.pk,
            "can_claim": is_reviewer
            and task is not None
            and task.owner_id is None
            and task.flow_task.name != "revision",
            "shows_reviewers": access.sees_reviewers(user),
            "editable": application.status in APPLICANT_EDITS,
            "final": application.status in FINAL,
            "history": access.history_for(user, application),
            "changes": selectors.revision_changes(application)
            if access.sees_revision_changes(user)
            else [],
            "reassign_candidates": selectors.reassign_candidates(application, user, task),
            "documents": application.documents.order_by("created_at"),
            "attachments": application.attachments.all(),
            "reason_form": ReasonForm(),
            "attachment_form": AttachmentForm(),
            "fragments": pages.fragments(request, application, "detail"),
        },
    )


@login_required
@require_POST
def application_reassign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The tier's head gives the open task to another reviewer (after an escalation, say)."""
    _visible(request, pk)
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


@login_required
def application_by_process(request: AuthenticatedRequest, process_pk: int) -> HttpResponse:
    """viewflow's task links name the process; the application page is the place to work."""
    application = get_object_or_404(FundingApplication, review_process_id=process_pk)
    if not (
        access.may_view(request.user, application) or access.may_declare(request.user, application)
    ):
        raise Http404
    return redirect("application-detail", pk=application.pk)


@login_required
@require_POST
def application_act(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    service, takes_reason, roles = ACTIONS[action]
    _visible(request, pk)
    if access.role_of(request.user) not in roles:
        raise PermissionDenied
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
    kwargs = {"reason": form.cleaned_data["reason"]} if takes_reason else {}
    result = service(application_id=pk, actor=request.user, **kwargs)
    messages.success(request, _done_message(action, result if action in APPLICANTS_STEPS else None))
    return redirect("application-detail", pk=pk)


# The applicant's own steps: what they read afterwards is where the request now stands.
APPLICANTS_STEPS = ("submit", "resubmit", "withdraw")


def _done_message(action: str, application: FundingApplication | None) -> str:
    """What the page says once an action is done: for the applicant's steps, where the request
    stands now and who acts next ("已提交，等待……受理。")."""
    if application is not None:
        return progress.applicant_sentence(application)
    if action == "claim":
        return _("已认领任务，请办理。")
    return _("已放弃认领，任务回到待认领。")


@login_required
@require_POST
def attachment_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _visible(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        raise InvalidInput(" ".join(str(e) for errors in form.errors.values() for e in errors))
    drafts.add_attachment(
        application_id=pk,
        actor=request.user,
        kind=form.cleaned_data["kind"],
        upload=form.cleaned_data["file"],
    )
    messages.success(request, _("附件已上传。"))
    return redirect("application-detail", pk=pk)


@login_required
def attachment_download(request: AuthenticatedRequest, pk: int, attachment_pk: int) -> FileResponse:
    application = _visible(request, pk)
    attachment = get_object_or_404(Attachment, pk=attachment_pk, application=application)
    object_read.send(sender=Attachment, request=request, obj=attachment)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


def _visible(request: AuthenticatedRequest, pk: int) -> FundingApplication:
    """The application if the access policy lets this user see it; 404 otherwise (so nobody
    learns that a request they may not see exists)."""
    application = selectors.visible_application(request.user, pk)
    if application is None:
        raise Http404
    return application


@login_required
@require_GET
def notice_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's notifications, newest first; those shown are marked read."""
    page = Paginator(notices.notices_for(request.user), 30).get_page(request.GET.get("page"))
    response = render(request, "workflows/notices.html", {"page": page})
    notices.mark_read(actor=request.user, notice_ids=[n.pk for n in page if n.read_at is None])
    return response


@login_required
def audit_trail(request: AuthenticatedRequest) -> HttpResponse:
    """The full audit trail, read-only, for auditors and administrators, with the latest
    verification run (started from here, run in the background)."""
    from .audit_views import ensure_auditor, latest_verification

    ensure_auditor(request)
    entries = selectors.all_audit_entries()
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(
        request, "workflows/audit.html", {"page": page, "verification": latest_verification()}
    )
