"""Pages of requests. Thin: they read through selectors and the access policy, and write through
the public services. The tiers' decisions have their own pages in ``approvals``; the generic
action endpoint here takes only the steps without a tier's rules."""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from . import access, assignments, drafts, notices, pages, progress, selectors, submission
from . import permissions as rights
from .actors import AuthenticatedRequest
from .districts import district_labels
from .errors import InvalidInput, TransitionConflict
from .exports import ChoiceLabels, Column, export_response
from .filters import ApplicationFilter, AuditFilter
from .forms import ApplicationForm, AttachmentForm, ReasonForm
from .listing import export_query, list_page, ordered_for_export
from .models import Attachment, FundingApplication, FundingForm
from .review_path import APPLICANT_EDITS, FINAL, Role, Status
from .signals import object_read
from .tables import ApplicationTable, AuditTable, role_label

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


def _applications_filter(request: AuthenticatedRequest) -> ApplicationFilter:
    return ApplicationFilter(
        request.GET or None,
        queryset=selectors.applications_visible_to(request.user),
        user=request.user,
    )


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The applications the user may see, filtered, searched, sorted and paged; a reviewer's
    open tasks above them."""
    profile = access.profile_of(request.user)
    listing = list_page(
        request,
        _applications_filter(request),
        ApplicationTable,
        export_url=reverse("applications-export"),
    )
    return render(
        request,
        "workflows/home.html",
        {
            "profile": profile,
            **listing.context(),
            "queue": selectors.mark_visible(
                request.user, list(selectors.queue_for(request.user)[:50])
            ),
            "can_create": access.role_of(request.user) == Role.APPLICANT,
        },
    )


DISTRICTS = ChoiceLabels(lambda: district_labels().items())
FORMS = ChoiceLabels(FundingForm.choices)
STATUSES = ChoiceLabels(Status.choices)
APPLICATION_EXPORT = (
    Column(_l("编号"), itemgetter("pk")),
    Column(_l("国家课题(任务)编号"), itemgetter("national_task_code")),
    Column(_l("课题名称"), itemgetter("title")),
    Column(_l("申报单位"), itemgetter("organisation__name")),
    Column(_l("申报批次"), itemgetter("call__title")),
    Column(_l("所属重大专项"), itemgetter("special_project__name")),
    Column(_l("牵头部门"), itemgetter("special_project__lead_department__name")),
    Column(_l("落地区"), lambda a: DISTRICTS(a["landing_district"])),
    Column(_l("支持方式"), lambda a: FORMS(a["funding_form"])),
    Column(_l("国家批复文号"), itemgetter("national_approval_number")),
    Column(_l("申请配套金额(元)"), itemgetter("requested_amount")),
    Column(_l("批复配套金额(元)"), itemgetter("approved_amount")),
    Column(_l("状态"), lambda a: STATUSES(a["status"])),
    Column(_l("创建时间"), itemgetter("created_at")),
    Column(_l("提交时间"), itemgetter("submitted_at")),
)
# What the export reads of each row (plain values: no model instances over 100,000 rows).
APPLICATION_EXPORT_FIELDS = (
    "pk",
    "national_task_code",
    "title",
    "organisation__name",
    "call__title",
    "special_project__name",
    "special_project__lead_department__name",
    "landing_district",
    "funding_form",
    "national_approval_number",
    "requested_amount",
    "approved_amount",
    "status",
    "created_at",
    "submitted_at",
)


@login_required
@require_GET
def applications_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The list of applications with its current filters and order, as CSV or Excel."""
    return export_response(
        request,
        name="applications",
        label=_("申请"),
        fmt=request.GET.get("format", "csv"),
        columns=APPLICATION_EXPORT,
        rows=ordered_for_export(
            _applications_filter(request),
            ApplicationTable,
            request.GET,
            fields=APPLICATION_EXPORT_FIELDS,
        ),
        filters=export_query(request.GET),
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
    listing = list_page(
        request, _audit_filter(request), AuditTable, export_url=reverse("audit-export"), size=100
    )
    return render(
        request,
        "workflows/audit.html",
        {**listing.context(), "verification": latest_verification()},
    )


def _audit_filter(request: AuthenticatedRequest) -> AuditFilter:
    return AuditFilter(request.GET or None, queryset=selectors.all_audit_entries())


AUDIT_EXPORT = (
    Column(_l("序号"), lambda e: e.seq),
    Column(_l("时间"), lambda e: e.at),
    Column(_l("国家课题(任务)编号"), lambda e: e.application.national_task_code),
    Column(_l("操作"), lambda e: e.action_label),
    Column(_l("原状态"), lambda e: e.source_label),
    Column(_l("新状态"), lambda e: e.target_label),
    Column(_l("办理人"), lambda e: e.actor_name),
    Column(_l("角色"), lambda e: role_label(e.actor_role)),
    Column(_l("环节"), lambda e: e.tier_label if e.tier else ""),
    Column(_l("理由"), lambda e: e.reason),
    Column(_l("本条哈希"), lambda e: e.entry_hash),
)


@login_required
@require_GET
def audit_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The audit trail of a period (or with any other filter), as CSV or Excel."""
    from .audit_views import ensure_auditor

    ensure_auditor(request)
    return export_response(
        request,
        name="audit-trail",
        label=_("审计记录"),
        fmt=request.GET.get("format", "csv"),
        columns=AUDIT_EXPORT,
        rows=ordered_for_export(_audit_filter(request), AuditTable, request.GET),
        filters=export_query(request.GET),
    )
