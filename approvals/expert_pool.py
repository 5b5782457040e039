"""The expert pool as the chair sees it: the review group's members who may score a request
(conflict rules applied), filtered by field, with each one's open workload; and the replay of
a recorded random draw for an auditor."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count

from workflows.models import AuditEntry, FundingApplication, Status

from .models import ExpertAssignment, ExpertDraw, ExpertProfile
from .selectors import eligible_experts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from workflows.actors import Actor

OPEN_WORK = (ExpertAssignment.State.ASSIGNED, ExpertAssignment.State.DECLARED)


@dataclass(frozen=True)
class Candidate:
    expert: User
    fields: tuple[str, ...]
    affiliation: str
    open_workload: int


def same_affiliation_group(application: FundingApplication, expert: Any) -> bool:
    """The expert works for the applicant, or for the same group or system."""
    profile = getattr(expert, "expert_profile", None)
    if profile is None:
        return False
    organisation = application.organisation
    if profile.affiliation and profile.affiliation == organisation.name:
        return True
    group = (organisation.affiliation_group or "").strip()
    return bool(group) and profile.affiliation_group.strip() == group


def involved_before(application: FundingApplication) -> set[int]:
    """Everybody asked to score an earlier revision of the request or who acted on it."""
    earlier = ExpertAssignment.objects.filter(
        application=application, revision__lt=application.revision
    ).values_list("expert_id", flat=True)
    acted = AuditEntry.objects.filter(application=application, actor__isnull=False).values_list(
        "actor_id", flat=True
    )
    return {*earlier, *(a for a in acted if a is not None)}


def pool_candidates(
    application: FundingApplication,
    chair: Actor,
    *,
    field_codes: Sequence[str] = (),
    exclude: Sequence[ExpertAssignment] = (),
) -> list[Candidate]:
    """The members who may score the request, in a stable order (by id): not the chair, not
    of the applicant organisation or its group or system, never involved with the request
    before, no declared conflict; of at least one of ``field_codes`` when given."""
    involved = involved_before(application)
    members = [
        m
        for m in eligible_experts(application, chair, exclude)
        if m.pk not in involved and not same_affiliation_group(application, m)
    ]
    ids = [m.pk for m in members]
    workload = dict(
        ExpertAssignment.objects.filter(
            expert_id__in=ids,
            state__in=OPEN_WORK,
            application__status=Status.GROUP_REVIEW,
        )
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    fields_of: dict[int, list[str]] = {}
    affiliation: dict[int, str] = {}
    for profile in ExpertProfile.objects.filter(user_id__in=ids).prefetch_related("fields"):
        fields_of[profile.user_id] = [f.code for f in profile.fields.all()]
        affiliation[profile.user_id] = profile.affiliation
    wanted = set(field_codes)
    return [
        Candidate(
            m, tuple(fields_of.get(m.pk, ())), affiliation.get(m.pk, ""), workload.get(m.pk, 0)
        )
        for m in sorted(members, key=lambda m: m.pk)
        if not wanted or wanted & set(fields_of.get(m.pk, ()))
    ]


def draw_from(candidate_ids: Sequence[int], *, seed: str, count: int) -> list[int]:
    """The experts a seed draws from the candidates (in their recorded order)."""
    # Reproducible on purpose: an auditor replays the draw from its seed.
    return random.Random(seed).sample(list(candidate_ids), count)  # noqa: S311


def replay_draw(draw: ExpertDraw) -> bool:
    """Does the recorded seed, over the recorded candidates, draw the recorded experts?"""
    replayed = draw_from(draw.candidate_ids, seed=draw.seed, count=draw.count)
    return bool(replayed == list(draw.drawn_ids))


def assignment_history(expert: Any) -> Any:
    """Every request the expert was asked to score, latest first."""
    return (
        ExpertAssignment.objects.filter(expert=expert)
        .select_related("application")
        .order_by("-assigned_at")
    )
