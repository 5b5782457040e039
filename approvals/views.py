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
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows import access, selectors
from workflows.actors import Actor, AuthenticatedRequest
from workflows.errors import InvalidInput, TransitionConflict
from workflows.models import FundingApplication
from workflows.review_path import Role

from . import expert_pool, group_review, lead_review, meetings, rubric
from .forms import (
    AssignExpertsForm,
    DeclarationForm,
    ExpertDrawForm,
    FormalCheckForm,
    MeetingForm,
    RecommendationForm,
    ReplaceExpertForm,
    ResolutionsForm,
    ScoreForm,
)
from .models import ExpertAssignment, ExpertDraw, Meeting
from .panels import expert_gate
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
    done: str,
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
            messages.success(request, done)
            return redirect("application-detail", pk=application.pk)
    gated = expert_gate(request, application)
    if gated is not None:
        return gated
    return render(
        request,
        "approvals/form_page.html",
        {
            "application": application,
            "review": {name: form},
            "panel": f"approvals/panels/{name}.html",
        },
    )


@login_required
def formal_check(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = FormalCheckForm(request.POST or None)
    return _submit(
        request,
        application,
        form,
        name="formal_check_form",
        done=_("形式审查已记录。"),
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
        done=_("审核工作小组意见已记录。"),
        act=lambda: group_review.record_group_recommendation(
            application_id=pk, actor=request.user, **form.cleaned_data
        ),
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
            meeting = meetings.create_meeting(
                actor=request.user,
                call_id=data["call"].pk,
                held_on=data["held_on"],
                place=data["place"],
                chair=data["chair"],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("会议已创建，请生成议程。"))
            return redirect("approvals:meeting", pk=meeting.pk)
    listed = Meeting.objects.select_related("call").annotate(item_count=Count("items"))
    return render(request, "approvals/meetings.html", {"meetings": listed, "form": form})


@login_required
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _meeting_reader(request.user)
    meeting = get_object_or_404(Meeting.objects.select_related("call"), pk=pk)
    if request.method == "POST" and access.role_of(request.user) != Role.MEETING_SECRETARY:
        raise PermissionDenied
    lines = meetings.meeting_agenda(meeting)
    form = ResolutionsForm(request.POST or None, items=[line.item for line in lines])
    if request.method == "POST" and form.is_valid():
        try:
            meetings.record_resolutions(
                meeting_id=pk, actor=request.user, resolutions=form.resolutions()
            )
        except (InvalidInput, TransitionConflict) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("会议决议已记录。"))
            return redirect("approvals:meeting", pk=pk)
    return render(
        request,
        "approvals/meeting.html",
        {
            "meeting": meeting,
            "rows": [(line, form.row(line.item)) for line in lines],
            "form": form,
            "remaining": meetings.remaining_budget(meeting.call),
            "planned": meeting.state == Meeting.State.PLANNED,
            "can_resolve": meeting.state == Meeting.State.PLANNED
            and access.role_of(request.user) == Role.MEETING_SECRETARY,
        },
    )


@login_required
@require_POST
def build_agenda(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    items = meetings.build_agenda(meeting_id=pk, actor=request.user)
    messages.success(request, _("议程已生成，共 %(n)d 项。") % {"n": len(items)})
    return redirect("approvals:meeting", pk=pk)


# --- queues ---------------------------------------------------------------------------------


@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    if not access.may_use_queue(request.user):
        raise PermissionDenied
    return render(
        request,
        "approvals/queue.html",
        {
            "summary": selectors.queue_summary(request.user),
            "profile": access.profile_of(request.user),
        },
    )
