"""Reads of the review tiers: experts' assignments and standing, the candidates a chair may ask,
and the tier panels' data. Who may see what is ``workflows.access``'s answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet

from workflows import permissions as rights
from workflows.access import ExpertDeclarations, ExpertStanding
from workflows.models import FundingApplication
from workflows.review_path import Role

from .models import ExpertAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from workflows.actors import Actor

_SEEN = (ExpertAssignment.State.DECLARED, ExpertAssignment.State.SCORED)


def latest_assignment(application: FundingApplication, user: Actor) -> ExpertAssignment | None:
    """The user's most recent assignment as an expert on this application, if any."""
    return (
        ExpertAssignment.objects.filter(application=application, expert_id=user.pk)
        .order_by("-revision", "-id")
        .first()
    )


def expert_standing(user: Actor, application: FundingApplication) -> ExpertStanding:
    """Nothing after a conflict declared on any revision; on the current revision: asked and
    not declared yet, or declared no conflict (and perhaps scored)."""
    rows = list(
        ExpertAssignment.objects.filter(application=application, expert_id=user.pk).values_list(
            "state", "revision"
        )
    )
    if any(state == ExpertAssignment.State.CONFLICT for state, _ in rows):
        return ExpertStanding.CONFLICTED
    current = [state for state, revision in rows if revision == application.revision]
    if any(s in _SEEN for s in current):
        return ExpertStanding.DECLARED
    if ExpertAssignment.State.ASSIGNED in current:
        return ExpertStanding.UNDECLARED
    return ExpertStanding.NOT_ASSIGNED


def declared_applications(user: Actor) -> QuerySet[Any]:
    """Ids of the applications the expert declared no conflict on for their current revision,
    and never declared a conflict on."""
    conflicted = ExpertAssignment.objects.filter(
        expert_id=user.pk, state=ExpertAssignment.State.CONFLICT
    ).values("application_id")
    return (
        ExpertAssignment.objects.filter(
            expert_id=user.pk, state__in=_SEEN, revision=F("application__revision")
        )
        .exclude(application_id__in=conflicted)
        .values("application_id")
    )


EXPERT_DECLARATIONS = ExpertDeclarations(standing=expert_standing, declared=declared_applications)


def eligible_experts(
    application: FundingApplication, chair: Actor, exclude: Sequence[ExpertAssignment] = ()
) -> list[User]:
    """Review-group members who may score this application: not the chair, not anybody who
    must stay away from it, and not anybody already asked on this revision."""
    taken = {a.expert_id for a in exclude if a.revision == application.revision}
    members = (
        get_user_model()
        ._default_manager.filter(profile__role=Role.GROUP_MEMBER, is_active=True)
        .exclude(pk__in={chair.pk, *taken})
        .select_related("profile", "expert_profile")
        .order_by("first_name", "username")
    )
    return [m for m in members if rights.is_group_member(application, m)]


def assignments_of(application: FundingApplication) -> list[ExpertAssignment]:
    """Every expert asked on the application, latest revision first (for the chair)."""
    return list(
        ExpertAssignment.objects.filter(application=application)
        .select_related("expert")
        .order_by("-revision", "id")
    )


def current_assignments(application: FundingApplication) -> list[ExpertAssignment]:
    return list(
        ExpertAssignment.objects.filter(application=application, revision=application.revision)
    )
