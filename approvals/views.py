"""Pages of the three review tiers: the lead department's formal check, the review group's
experts, scores and recommendation, the joint meeting's agenda and resolutions, and each
reviewer's queue.

Thin, like ``workflows.views``: each form is parsed and handed to one service. A refusal the
user can correct (``InvalidInput``) comes back as a form error; any other domain error goes to
the error page through ``workflows.middleware``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows import permissions as rights
from workflows import selectors
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication, Status
from workflows.services import open_tasks

from . import meetings, review
from .assessment import assess
from .forms import (
    AssignExpertsForm,
    DeclarationForm,
    FormalCheckForm,
    MeetingForm,
    RecommendationForm,
    ReplaceExpertForm,
    ResolutionsForm,
    ScoreForm,
)
from .models import ExpertAssignment, Meeting

GROUP_TASKS = ("assign_experts", "score", "group_decision")


# --- reads for the application page ---------------------------------------------------------


def latest_assignment(application: FundingApplication, user: Any) -> ExpertAssignment | None:
    """The user's most recent assignment as an expert on this application, if any."""
    return (
        ExpertAssignment.objects.filter(application=application, expert=user)
        .order_by("-revision", "-id")
        .first()
    )


def expert_gate(request: HttpRequest, application: FundingApplication) -> HttpResponse | None:
    """What an expert (a review-group member who is not the chair) may see of an application.

    Nothing, unless the chair assigned them; only the declaration of interest until they
    declare no conflict; nothing again once they declared a conflict. ``None`` lets the
    caller show the application as usual."""
    profile = rights.profile_of(request.user)
    if profile is None or profile.role != "group_member":
        return None
    assignment = latest_assignment(application, request.user)
    if assignment is None:
        raise Http404
    if assignment.state == ExpertAssignment.State.CONFLICT:
        raise NotAllowed(_("您已就该申请申报利益冲突，须回避。"))
    if assignment.state == ExpertAssignment.State.ASSIGNED:
        if application.status != Status.GROUP_REVIEW:
            raise Http404
        return render(
            request,
            "approvals/declaration.html",
            {"application": application, "form": DeclarationForm()},
        )
    return None


def review_panels(user: Any, application: FundingApplication) -> dict[str, Any]:
    """What the tier panels on the application page need for this user, under ``review``:
    empty when no panel applies."""
    panels: dict[str, Any] = {}
    if application.status == Status.LEAD_REVIEW:
        if any(t.owner_id == user.pk for t in open_tasks(application, "lead_review")):
            panels["formal_check_form"] = FormalCheckForm()
    elif rights.is_group_chair(application, user):
        panels.update(_chair_panels(application, user))
    elif application.status == Status.GROUP_REVIEW:
        assignment = latest_assignment(application, user)
        if assignment is not None:
            panels["my_assignment"] = assignment
            if assignment.state == ExpertAssignment.State.DECLARED:
                panels["score_form"] = ScoreForm(rubric=review.rubric_for(application.call))
            elif assignment.state == ExpertAssignment.State.SCORED:
                panels["my_scores"] = list(assignment.scores.all())
    return {"review": panels}


def _chair_panels(application: FundingApplication, chair: Any) -> dict[str, Any]:
    assignments = list(
        ExpertAssignment.objects.filter(application=application)
        .select_related("expert")
        .order_by("-revision", "id")
    )
    summary = review.group_summary(application)
    weighted = {expert.pk: total for expert, total in summary.by_expert}
    panels: dict[str, Any] = {
        "chair": True,
        "summary": summary,
        "experts": [
            (a, weighted.get(a.expert_id) if a.revision == application.revision else None)
            for a in assignments
        ],
    }
    if application.status != Status.GROUP_REVIEW:
        return panels
    tasks = open_tasks(application, *GROUP_TASKS)
    held = {t.flow_task.name for t in tasks if t.owner_id == chair.pk}
    waiting = [t for t in tasks if t.flow_task.name == "score" and t.owner_id is None]
    if "assign_experts" in held:
        panels["experts_form"] = AssignExpertsForm(candidates=eligible_experts(application, chair))
    if waiting:
        panels["waiting_tasks"] = waiting
        panels["replace_form"] = ReplaceExpertForm(
            candidates=eligible_experts(application, chair, exclude=assignments)
        )
    if "group_decision" in held:
        panels["recommendation_form"] = RecommendationForm()
        assessed = assess(application)
        panels["assessment"] = assessed.as_dict() if assessed else None
    return panels


def eligible_experts(
    application: FundingApplication, chair: Any, exclude: Sequence[ExpertAssignment] = ()
) -> list[Any]:
    """Review-group members who may score this application: not the chair, not anybody who
    must stay away from it, and not anybody already asked on this revision."""
    taken = {a.expert_id for a in exclude if a.revision == application.revision}
    members = (
        get_user_model()
        .objects.filter(profile__role="group_member", is_active=True)
        .exclude(pk__in={chair.pk, *taken})
        .select_related("profile")
        .order_by("first_name", "username")
    )
    return [m for m in members if rights.is_group_member(application, m)]


# --- tier forms -----------------------------------------------------------------------------


def _application(request: HttpRequest, pk: int) -> FundingApplication:
    application = selectors.awaiting_declaration(request.user, pk) or get_object_or_404(
        selectors.applications_visible_to(request.user), pk=pk
    )
    if not rights.can_view(application, request.user):
        raise PermissionDenied
    return application


def _submit(
    request: HttpRequest,
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
def formal_check(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = FormalCheckForm(request.POST or None)
    return _submit(
        request,
        application,
        form,
        name="formal_check_form",
        done=_("形式审查已记录。"),
        act=lambda: review.record_formal_check(
            application_id=pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            items=form.items(),
            reason=form.cleaned_data["reason"],
        ),
    )


@login_required
def assign_experts(request: HttpRequest, pk: int) -> HttpResponse:
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
        act=lambda: review.assign_experts(
            application_id=pk,
            actor=request.user,
            expert_ids=[e.pk for e in form.cleaned_data["experts"]],
        ),
    )


@login_required
def replace_expert(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    taken = list(
        ExpertAssignment.objects.filter(application=application, revision=application.revision)
    )
    form = ReplaceExpertForm(
        request.POST or None, candidates=eligible_experts(application, request.user, taken)
    )
    return _submit(
        request,
        application,
        form,
        name="replace_form",
        done=_("评分任务已改派。"),
        act=lambda: review.replace_expert(
            application_id=pk, actor=request.user, expert_id=form.cleaned_data["expert"].pk
        ),
    )


@login_required
def scores(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = ScoreForm(request.POST or None, rubric=review.rubric_for(application.call))
    return _submit(
        request,
        application,
        form,
        name="score_form",
        done=_("评分已提交。"),
        act=lambda: review.submit_scores(
            application_id=pk, actor=request.user, scores=form.scores()
        ),
    )


@login_required
def recommendation(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = RecommendationForm(request.POST or None)
    return _submit(
        request,
        application,
        form,
        name="recommendation_form",
        done=_("审核工作小组意见已记录。"),
        act=lambda: review.record_group_recommendation(
            application_id=pk, actor=request.user, **form.cleaned_data
        ),
    )


@login_required
def declaration(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = review.declare_interest(
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


def _meeting_reader(user: Any) -> None:
    profile = rights.profile_of(user)
    if not (
        getattr(user, "is_superuser", False)
        or (
            profile is not None
            and profile.role in ("meeting_secretary", "auditor", "administrator")
        )
    ):
        raise PermissionDenied


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
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
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _meeting_reader(request.user)
    meeting = get_object_or_404(Meeting.objects.select_related("call"), pk=pk)
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
            and getattr(rights.profile_of(request.user), "role", None) == "meeting_secretary",
        },
    )


@login_required
@require_POST
def build_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    items = meetings.build_agenda(meeting_id=pk, actor=request.user)
    messages.success(request, _("议程已生成，共 %(n)d 项。") % {"n": len(items)})
    return redirect("approvals:meeting", pk=pk)


# --- queues ---------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "approvals/queue.html",
        {
            "summary": selectors.queue_summary(request.user),
            "profile": rights.profile_of(request.user),
        },
    )
