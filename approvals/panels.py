"""What the review tiers add to the application pages, through ``workflows.pages``: the
experts' declaration gate, and the fragments — the tier panels, the chair's view of the group,
the applicant's estimate — rendered here from this app's own templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from workflows import access
from workflows import permissions as rights
from workflows.access import ExpertStanding
from workflows.errors import NotAllowed
from workflows.models import FundingApplication, Status
from workflows.review_path import APPLICANT_EDITS, Role
from workflows.selectors import open_tasks

from . import group_review, rubric
from .assessment import assess, preview_for
from .forms import (
    AssignExpertsForm,
    DeclarationForm,
    FormalCheckForm,
    RecommendationForm,
    ReplaceExpertForm,
    ScoreForm,
)
from .models import ExpertAssignment
from .returns import return_reasons
from .selectors import assignments_of, eligible_experts, latest_assignment

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

    from workflows.actors import Actor

GROUP_TASKS = ("assign_experts", "score", "group_decision")


def expert_gate(request: HttpRequest, application: FundingApplication) -> HttpResponse | None:
    """An expert asked to score the request who has not declared yet sees the declaration of
    interest in place of the request; ``None`` lets the caller show the request as the access
    policy allows."""
    standing = access.expert_standing(request.user, application)
    if standing == ExpertStanding.CONFLICTED:
        raise NotAllowed(_("您已就该申请申报利益冲突，须回避。"))
    if standing == ExpertStanding.UNDECLARED:
        if not access.may_declare(request.user, application):
            raise Http404
        return render(
            request,
            "approvals/declaration.html",
            {"application": application, "form": DeclarationForm()},
        )
    return None


def review_panels(user: Actor, application: FundingApplication) -> dict[str, Any]:
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
                panels["score_form"] = ScoreForm(rubric=rubric.rubric_for(application.call))
            elif assignment.state == ExpertAssignment.State.SCORED:
                panels["my_scores"] = list(assignment.scores.all())
    return {"review": panels}


def _chair_panels(application: FundingApplication, chair: Actor) -> dict[str, Any]:
    assignments = assignments_of(application)
    summary = group_review.group_summary(application)
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


def application_fragments(
    request: HttpRequest, application: FundingApplication, page: str
) -> dict[str, SafeString]:
    """The tier panels and the chair's view of the group on the application page; the
    estimate under the policy in force for the applicant editing a draft or a return."""
    user = cast("Actor", request.user)  # the application pages are behind login_required
    shown: dict[str, SafeString] = {}
    if page == "detail":
        context = {"application": application, **review_panels(user, application)}
        shown["summary"] = render_to_string("approvals/group.html", context, request=request)
        shown["actions"] = render_to_string("approvals/panels.html", context, request=request)
    returned = return_reasons(application) if application.pk else None
    if returned is not None:
        shown["banner"] = render_to_string(
            "approvals/_returned.html",
            {"application": application, "returned": returned, "editing": page == "form"},
            request=request,
        )
    is_applicant = access.role_of(user) == Role.APPLICANT
    if is_applicant and application.pk and application.status in APPLICANT_EDITS:
        estimate = preview_for(application)
        if estimate is not None:
            shown["preview"] = render_to_string(
                "approvals/_assessment.html",
                {"assessment": estimate.as_dict(), "preview": True, "plain": True},
                request=request,
            )
    return shown
