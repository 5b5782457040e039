"""Who may act on an application: one predicate per kind of actor.

These are the ``permission`` callables of the state machine's transitions and the object
permissions viewflow asks for when it routes a task; the service layer checks them again
after it has locked the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import FundingApplication, Profile

LEAD, GROUP, MEETING = "lead", "group", "meeting"


def profile_of(user: Any) -> Profile | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    # A user without a programme role (a bare superuser) raises RelatedObjectDoesNotExist,
    # which is an AttributeError.
    return getattr(user, "profile", None)


def is_applicant_of(application: FundingApplication, user: Any) -> bool:
    profile = profile_of(user)
    return (
        profile is not None
        and profile.role == "applicant"
        and profile.organisation_id == application.organisation_id
    )


def is_lead_officer_for(application: FundingApplication, user: Any) -> bool:
    """Officers of the lead department of the application's special project, and nobody else."""
    profile = profile_of(user)
    return (
        profile is not None
        and profile.role == "lead_officer"
        and profile.department_id is not None
        and profile.department_id == application.special_project.lead_department_id
    )


def is_group_member(application: FundingApplication, user: Any) -> bool:
    profile = profile_of(user)
    return profile is not None and profile.role in ("group_member", "group_chair")


def is_meeting_secretary(application: FundingApplication, user: Any) -> bool:
    profile = profile_of(user)
    return profile is not None and profile.role == "meeting_secretary"


TIER_RIGHT = {LEAD: is_lead_officer_for, GROUP: is_group_member, MEETING: is_meeting_secretary}


def acts_at_tier(application: FundingApplication, user: Any, tier: str | None) -> bool:
    right = TIER_RIGHT.get(tier or "")
    return right is not None and right(application, user)


def acts_at_current_tier(application: FundingApplication, user: Any) -> bool:
    return acts_at_tier(application, user, application.current_tier)


def can_view(application: FundingApplication, user: Any) -> bool:
    """Applicants see their organisation's requests; reviewers those that reached their tier."""
    profile = profile_of(user)
    if profile is None:
        return bool(getattr(user, "is_superuser", False))
    if profile.role in ("auditor", "administrator"):
        return True
    if profile.role == "applicant":
        return profile.organisation_id == application.organisation_id
    if application.status == "draft":
        return False
    if profile.role == "lead_officer":
        return is_lead_officer_for(application, user)
    return profile.role in ("group_member", "group_chair", "meeting_secretary")


PERMISSION_RIGHT = {
    "workflows.act_lead_tier": is_lead_officer_for,
    "workflows.act_group_tier": is_group_member,
    "workflows.act_meeting_tier": is_meeting_secretary,
    "workflows.act_as_applicant": is_applicant_of,
}


class TierPermissionBackend:
    """Object permissions for the review tiers, so viewflow routes each task to the right people.

    ``user.has_perm("workflows.act_lead_tier", application)`` is true only for officers of
    that application's lead department. Without an object it answers for the role alone.
    """

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user: Any, perm: str, obj: Any = None) -> bool:
        right = PERMISSION_RIGHT.get(perm)
        if right is None:
            return False
        if obj is None:
            profile = profile_of(user)
            return profile is not None and profile.role in _ROLES_FOR_PERM[perm]
        application = getattr(obj, "application", obj)
        return right(application, user)


_ROLES_FOR_PERM = {
    "workflows.act_lead_tier": ("lead_officer",),
    "workflows.act_group_tier": ("group_member", "group_chair"),
    "workflows.act_meeting_tier": ("meeting_secretary",),
    "workflows.act_as_applicant": ("applicant",),
}
