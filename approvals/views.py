"""Pages of the three review tiers: the lead department's formal check, the review group's
experts, scores and recommendation, the joint meeting's agenda and resolutions, and each
reviewer's queue.

Thin: each form is parsed and handed to one public service; reads come through selectors and
the access policy. A refusal the user can correct (``InvalidInput``) comes back as a form
error; any other domain error goes to the error page through ``workflows.middleware``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workflows import access, pages, selectors
from workflows.actors import Actor, AuthenticatedRequest
from workflows.errors import InvalidInput, TransitionConflict
from workflows.exports import export_response
from workflows.listing import export_query, list_page, ordered_for_export
from workflows.models import FundingApplication
from workflows.review_path import Role

from . import expert_pool, group_review, lead_review, meetings, rubric
from .forms import (
    AssignExpertsForm,
    BatchConfirmForm,
    DeclarationForm,
    ExpertDrawForm,
    FormalCheckForm,
    MeetingDetailsForm,
    MeetingForm,
    RecommendationForm,
    ReplaceExpertForm,
    ResolutionsForm,
    ScoreForm,
)
from .lists import (
    MEETING_EXPORT,
    MeetingFilter,
    MeetingTable,
    QueueFilter,
    for_queue_export,
    queue_export_columns,
    queue_table_for,
)
from .models import ExpertAssignment, ExpertDraw, Meeting
from .panels import expert_gate, review_panels
from .selectors import current_assignments, eligible_experts

# --- tier forms -----------------------------------------------------------------------------


def _application(
    request: AuthenticatedRequest, pk: int, *, declaring: bool = False
) -> FundingApplication:
    """The application as the access policy lets this user reach it (an expert who has not
    declared yet reaches it only to declare): 404 otherwise."""
    application = selectors.visible_application(request.user, pk)
    if application is None and declaring:
        application = selectors.awaiting_declaration(request.user, pk)
    if application is None:
        raise Http404
    return application


def _submit(
    request: AuthenticatedRequest,
    application: FundingApplication,
    form: Any,
    *,
    name: str,
    act: Callable[[], Any],
    done: str | Callable[[], str],
    context: Callable[[], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Run ``act`` (one service call) for a valid form and go back to the application; show the
    form again with the refusal otherwise."""
    if request.method != "POST":
        return redirect("application-detail", pk=application.pk)
    if form.is_valid():
        try:
            act()
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done() if callable(done) else done)
            return redirect("application-detail", pk=application.pk)
    gated = expert_gate(request, application)
    if gated is not None:
        return gated
    return render(
        request,
        "approvals/form_page.html",
        {
            "application": application,
            "review": {**(context() if context else {}), name: form},
            "panel": f"approvals/panels/{name}.html",
            "attachments": application.attachments.all(),
        },
    )


def _said(decision: str, *, group: bool = False) -> str:
    """What the page says once a tier's decision is recorded: what happened and who is next."""
    if decision == "accept":
        return _("已受理，申请转审核工作小组审核。")
    if decision == "recommend":
        return _("已建议支持，申请提交市联席会议审议。")
    if decision == "return":
        return _("已退回申报单位修改，申报单位将收到通知。")
    if group:
        return _("已记录不予推荐，申报单位将收到通知。")
    return _("已记录不予支持，申报单位将收到通知。")


@login_required
def formal_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = FormalCheckForm(request.POST or None)
    return _submit(
        request,
        application,
        form,
        name="formal_check_form",
        done=lambda: _said(form.cleaned_data["decision"]),
        act=lambda: lead_review.record_formal_check(
            application_id=pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            items=form.items(),
            reason=form.cleaned_data["reason"],
        ),
    )


@login_required
def assign_experts(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = AssignExpertsForm(
        request.POST or None, candidates=eligible_experts(application, request.user)
    )
    return _submit(
        request,
        application,
        form,
        name="experts_form",
        done=_("评审专家已指派。"),
        act=lambda: group_review.assign_experts(
            application_id=pk,
            actor=request.user,
            expert_ids=[e.pk for e in form.cleaned_data["experts"]],
        ),
    )


@login_required
def expert_pool_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The chair filters the pool by field, sees each candidate's open workload, and draws the
    experts at random from the eligible (the draw is recorded with its seed)."""
    application = _application(request, pk)
    if not access.sees_expert_identities(request.user):
        raise PermissionDenied
    form = ExpertDrawForm(request.POST if request.method == "POST" else (request.GET or None))
    chosen = form.cleaned_data["expertise"] if form.is_valid() else []
    codes = [f.code for f in chosen]
    if request.method == "POST" and form.is_valid():
        try:
            group_review.draw_experts(
                application_id=pk,
                actor=request.user,
                count=form.cleaned_data["count"],
                field_codes=codes,
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已随机抽取并指派评审专家。"))
            return redirect("application-detail", pk=pk)
    return render(
        request,
        "approvals/expert_pool.html",
        {
            "application": application,
            "form": form,
            "candidates": expert_pool.pool_candidates(application, request.user, field_codes=codes),
            "draws": ExpertDraw.objects.filter(application=application),
        },
    )


@login_required
def replace_expert(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    taken = current_assignments(application)
    form = ReplaceExpertForm(
        request.POST or None, candidates=eligible_experts(application, request.user, taken)
    )
    return _submit(
        request,
        application,
        form,
        name="replace_form",
        done=_("评分任务已改派。"),
        act=lambda: group_review.replace_expert(
            application_id=pk, actor=request.user, expert_id=form.cleaned_data["expert"].pk
        ),
    )


@login_required
def scores(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = ScoreForm(request.POST or None, rubric=rubric.rubric_for(application.call))
    return _submit(
        request,
        application,
        form,
        name="score_form",
        done=_("评分已提交。"),
        act=lambda: group_review.submit_scores(
            application_id=pk, actor=request.user, scores=form.scores()
        ),
    )


@login_required
def recommendation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = RecommendationForm(request.POST or None)
    return _submit(
        request,
        application,
        form,
        name="recommendation_form",
        done=lambda: _said(form.cleaned_data["decision"], group=True),
        act=lambda: group_review.record_group_recommendation(
            application_id=pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        ),
        # Back after an error, the chair still sees the policy's calculation and the scores.
        context=lambda: review_panels(request.user, application)["review"],
    )


@login_required
def declaration(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk, declaring=True)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = group_review.declare_interest(
                application_id=pk,
                actor=request.user,
                conflict=form.cleaned_data["conflict"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            if assignment.state == ExpertAssignment.State.CONFLICT:
                messages.success(request, _("已申报利益冲突，您已回避该申请。"))
                return redirect("home")
            messages.success(request, _("已声明无利益冲突，请评分。"))
            return redirect("application-detail", pk=pk)
    if request.method != "POST":
        return redirect("application-detail", pk=pk)
    return render(request, "approvals/declaration.html", {"application": application, "form": form})


# --- the joint meeting ----------------------------------------------------------------------


def _meeting_reader(user: Actor) -> None:
    if not access.may_read_meetings(user):
        raise PermissionDenied


@login_required
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    _meeting_reader(request.user)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            people = form.people
            meeting = meetings.create_meeting(
                actor=request.user,
                call_id=data["call"].pk,
                kind=data["kind"],
                held_on=data["held_on"],
                place=data["place"],
                chair=people.chair,
                chair_id=people.chair_person.pk if people.chair_person else None,
                attendee_ids=[u.pk for u in people.attendees],
                observer_ids=[u.pk for u in people.observers],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("会议已创建，请生成议程。"))
            return redirect("approvals:meeting", pk=meeting.pk)
    listing = list_page(
        request,
        _meetings_filter(request),
        MeetingTable,
        export_url=reverse("approvals:meetings-export"),
    )
    return render(request, "approvals/meetings.html", {**listing.context(), "form": form})


def _meetings_filter(request: AuthenticatedRequest) -> MeetingFilter:
    meetings_listed = Meeting.objects.select_related("call").annotate(item_count=Count("items"))
    return MeetingFilter(request.GET or None, queryset=meetings_listed)


@login_required
@require_GET
def meetings_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The list of joint meetings with its filters, as CSV or Excel."""
    _meeting_reader(request.user)
    return export_response(
        request,
        name="meetings",
        label=_("市联席会议"),
        fmt=request.GET.get("format", "csv"),
        columns=MEETING_EXPORT,
        rows=ordered_for_export(_meetings_filter(request), MeetingTable, request.GET),
        filters=export_query(request.GET),
    )


@login_required
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _meeting_reader(request.user)
    meeting = get_object_or_404(Meeting.objects.select_related("call"), pk=pk)
    if request.method == "POST" and access.role_of(request.user) != Role.MEETING_SECRETARY:
        raise PermissionDenied
    lines = meetings.meeting_agenda(meeting)
    items = [line.item for line in lines]
    batch_error = ""
    if request.method == "POST" and "as_recommended" in request.POST:
        # "Approve all as recommended": one confirmation, the batch is the recommendations.
        form = ResolutionsForm(items=items)
        confirmed = BatchConfirmForm(request.POST)
        if confirmed.is_valid():
            try:
                meetings.record_resolutions(
                    meeting_id=pk, actor=request.user, resolutions=meetings.as_recommended(meeting)
                )
            except (InvalidInput, TransitionConflict) as exc:
                batch_error = str(exc.message)
            else:
                return _resolved(request, pk, len(items))
        else:
            batch_error = str(confirmed.errors["confirm"][0])
    else:
        form = ResolutionsForm(request.POST or None, items=items)
        if request.method == "POST" and form.is_valid():
            try:
                meetings.record_resolutions(
                    meeting_id=pk, actor=request.user, resolutions=form.resolutions()
                )
            except (InvalidInput, TransitionConflict) as exc:
                form.add_error(None, exc.message)
            else:
                return _resolved(request, pk, len(items))
    return _meeting_page(request, meeting, lines, form, batch_error=batch_error)


def _meeting_page(
    request: AuthenticatedRequest,
    meeting: Meeting,
    lines: list[meetings.AgendaLine],
    form: ResolutionsForm,
    *,
    batch_error: str = "",
    details_form: MeetingDetailsForm | None = None,
) -> HttpResponse:
    items = [line.item for line in lines]
    planned = meeting.state == Meeting.State.PLANNED
    secretary = access.role_of(request.user) == Role.MEETING_SECRETARY
    if details_form is None and planned and secretary:
        details_form = MeetingDetailsForm(
            initial=MeetingDetailsForm.initial_for(meeting), auto_id="details_%s"
        )
    return render(
        request,
        "approvals/meeting.html",
        {
            "meeting": meeting,
            "rows": [(line, form.row(line.item)) for line in lines],
            "form": form,
            "remaining": meetings.remaining_budget(meeting.call),
            "minutes": meeting.documents.order_by("language", "pk"),
            "batch_error": batch_error,
            "batch_form": BatchConfirmForm(auto_id="batch_%s"),
            "all_recommended": bool(items) and all(i.recommended_amount is not None for i in items),
            "planned": planned,
            "can_resolve": planned and secretary,
            "details_form": details_form,
            "attendees": meeting.attendees.order_by("last_name", "first_name", "username"),
            "observers": meeting.observers.order_by("last_name", "first_name", "username"),
        },
    )


@login_required
@require_POST
def meeting_details(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The secretariat changes a planned meeting's kind, date, place and people."""
    if access.role_of(request.user) != Role.MEETING_SECRETARY:
        raise PermissionDenied
    meeting = get_object_or_404(Meeting.objects.select_related("call"), pk=pk)
    form = MeetingDetailsForm(request.POST, auto_id="details_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.update_meeting(
                meeting_id=pk,
                actor=request.user,
                kind=data["kind"],
                held_on=data["held_on"],
                place=data["place"],
                people=form.people,
            )
        except (InvalidInput, TransitionConflict) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("会议信息已保存。"))
            return redirect("approvals:meeting", pk=pk)
    lines = meetings.meeting_agenda(meeting)
    return _meeting_page(
        request,
        meeting,
        lines,
        ResolutionsForm(items=[line.item for line in lines]),
        details_form=form,
    )


def _resolved(request: AuthenticatedRequest, pk: int, count: int) -> HttpResponse:
    messages.success(
        request, _("会议决议已记录，共 %(n)d 项；纪要生成后可在本页下载。") % {"n": count}
    )
    return redirect("approvals:meeting", pk=pk)


@login_required
@require_POST
def build_agenda(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    items = meetings.build_agenda(meeting_id=pk, actor=request.user)
    messages.success(request, _("议程已生成，共 %(n)d 项。") % {"n": len(items)})
    return redirect("approvals:meeting", pk=pk)


# --- queues ---------------------------------------------------------------------------------


def _queue_reader(user: Actor) -> None:
    if not access.may_use_queue(user):
        raise PermissionDenied


def _queue_filter(request: AuthenticatedRequest, tasks: Any) -> QueueFilter:
    return QueueFilter(request.GET or None, queryset=tasks, user=request.user)


@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """A reviewer's open tasks: searched, filtered, sorted, one keyset page at a time, with
    the counts over the whole queue."""
    _queue_reader(request.user)
    user, now = request.user, timezone.now()
    tasks = selectors.queue_tasks(user)
    listing = list_page(
        request,
        _queue_filter(request, tasks),
        queue_table_for(user),
        export_url=reverse("approvals:queue-export"),
    )
    counts = selectors.queue_counts(user, now)
    summary = selectors.QueueSummary(
        tasks=selectors.with_deadlines(user, listing.page.items, now),
        page=listing.page,
        **counts,
    )
    return render(
        request,
        "approvals/queue.html",
        {
            **listing.context(),
            "summary": summary,
            "profile": access.profile_of(user),
            "more": pages.queue_fragments(request),
        },
    )


@login_required
@require_GET
def queue_export(request: AuthenticatedRequest) -> HttpResponseBase:
    """The reviewer's queue with its filters and order, as CSV or Excel."""
    _queue_reader(request.user)
    tasks = for_queue_export(request.user, selectors.queue_tasks(request.user))
    return export_response(
        request,
        name="queue",
        label=_("我的待办"),
        fmt=request.GET.get("format", "csv"),
        columns=queue_export_columns(request.user, timezone.now()),
        rows=ordered_for_export(
            _queue_filter(request, tasks), queue_table_for(request.user), request.GET
        ),
        filters=export_query(request.GET),
    )
