"""Who may take the steps after the approval that move no status (drafting, confirming,
releasing, recording): the review path names the role, ``workflows.permissions`` the right on
this very request, as for the steps that move it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from workflows import access
from workflows import permissions as rights
from workflows.errors import NotAllowed
from workflows.models import FundingApplication
from workflows.review_path import STEP, Role, Tier

if TYPE_CHECKING:
    from workflows.actors import Actor

_RIGHT = {
    Role.LEAD_OFFICER: rights.is_lead_officer_for,
    Role.MEETING_SECRETARY: rights.is_meeting_secretary,
    Role.APPLICANT: rights.is_applicant_of,
}


def ensure_may_record(
    step: str, *, tier: Tier | None, application: FundingApplication, actor: Actor
) -> None:
    """Refuse (NotAllowed, saying why) unless the actor's role is the step's and they may act
    on this request: the lead department of its special project, its own organisation, the
    secretariat, never a reviewer of their own organisation's request."""
    who = STEP[(step, tier)].who
    role = access.role_of(actor)
    if role not in who:
        raise NotAllowed()
    right = _RIGHT[role]
    if not right(application, actor):
        reason = rights.why_not(application, actor, tier) if tier else None
        raise NotAllowed(reason or _("您无权办理该项目的此项事务。"))
