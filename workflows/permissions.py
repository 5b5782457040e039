"""Who may act on an application: one predicate per kind of actor, with the separation of
duties and conflicts of interest folded in.

These are the ``permission`` callables of the state machine's transitions and the object
permissions viewflow asks for when it routes a task; the service layer checks them again after
it has locked the row, and ``why_not`` gives the refused user the reason in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import acting
from .access import profile_of as profile_of
from .audit import chain_state
from .models import FundingApplication
from .models.application import TRANSITION_RIGHTS
from .review_path import Role, Tier

if TYPE_CHECKING:
    from .actors import Viewer

LEAD, GROUP, MEETING = Tier.LEAD, Tier.GROUP, Tier.MEETING
REVIEW_TIERS = (LEAD, GROUP, MEETING)
CONFLICT_DECLARED = "declare_conflict"
# A conflict declared on any panel of the request (its review, its completion acceptance) keeps
# the expert away from it for good.
CONFLICTS_DECLARED = (CONFLICT_DECLARED, "declare_acceptance_conflict")


# --- conflicts of interest and separation of duties -----------------------------------------


def belongs_to_applicant(application: FundingApplication, user: Viewer | None) -> bool:
    profile = profile_of(user)
    return (
        profile is not None
        and profile.organisation_id is not None
        and profile.organisation_id == application.organisation_id
    )


def _past_involvement(
    application: FundingApplication, user: Viewer | None, tier: str
) -> tuple[bool, bool]:
    """(declared a conflict, acted at another tier): a person acts at most at one tier of one
    application, so nobody approves their own recommendation.

    Read from the application's chain as the transaction sees it (``audit.chain_state``: one
    query for everybody involved and for the append that follows, kept on the application
    object and moved on by every entry recorded through it), so a service may ask it several
    times under one lock (the queue, viewflow's routing, the transition's own permission, each
    expert a chair assigns)."""
    rows = chain_state(application).involved.get(getattr(user, "pk", None), ())
    conflict = any(t in CONFLICTS_DECLARED for t, _ in rows)
    elsewhere = any(
        t not in CONFLICTS_DECLARED and other in REVIEW_TIERS and other != tier for t, other in rows
    )
    return conflict, elsewhere


def why_not(application: FundingApplication, user: Viewer | None, tier: str | None) -> str | None:
    """The reason a reviewer with the right role is still kept away from this application."""
    if tier not in REVIEW_TIERS or application.pk is None:
        return None
    if belongs_to_applicant(application, user):
        return _("您所在单位是该申请的申报单位，须回避。")
    conflict, elsewhere = _past_involvement(application, user, tier)
    if conflict:
        return _("您已就该申请申报利益冲突，须回避。")
    if elsewhere:
        return _("您已在该申请的其他审核环节办理过，同一人不得在两个环节办理同一申请。")
    return None


def _reviewer(
    application: FundingApplication, user: Viewer | None, tier: str, roles: tuple[Role, ...]
) -> bool:
    profile = profile_of(user)
    if profile is None or profile.role not in roles:
        return False
    if tier == LEAD and (
        profile.department_id is None
        or profile.department_id != application.special_project.lead_department_id
    ):
        return False
    return why_not(application, user, tier) is None


# --- the predicates -------------------------------------------------------------------------


def is_applicant_of(application: FundingApplication, user: Viewer | None) -> bool:
    profile = profile_of(user)
    return (
        profile is not None
        and profile.role == Role.APPLICANT
        and profile.organisation_id == application.organisation_id
    )


def is_lead_officer_for(application: FundingApplication, user: Viewer | None) -> bool:
    """Officers of the lead department of the application's special project, and nobody else."""
    return _reviewer(application, user, LEAD, (Role.LEAD_OFFICER,))


def is_group_member(application: FundingApplication, user: Viewer | None) -> bool:
    return _reviewer(application, user, GROUP, (Role.GROUP_MEMBER, Role.GROUP_CHAIR))


def is_group_chair(application: FundingApplication, user: Viewer | None) -> bool:
    return _reviewer(application, user, GROUP, (Role.GROUP_CHAIR,))


def is_meeting_secretary(application: FundingApplication, user: Viewer | None) -> bool:
    return _reviewer(application, user, MEETING, (Role.MEETING_SECRETARY,))


# Who decides for each tier (the group's decision is its chair's).
TIER_RIGHT = {LEAD: is_lead_officer_for, GROUP: is_group_chair, MEETING: is_meeting_secretary}


def acts_at_tier(application: FundingApplication, user: Viewer | None, tier: str | None) -> bool:
    right = TIER_RIGHT.get(Tier(tier)) if tier in Tier.values else None
    return right is not None and right(application, user)


def acts_at_current_tier(application: FundingApplication, user: Viewer | None) -> bool:
    return acts_at_tier(application, user, application.current_tier)


def is_tier_head(user: Viewer | None, tier: str | None, application: FundingApplication) -> bool:
    """The head of the tier for this application: the group chair, the head of the
    application's lead department, the head of the meeting secretariat — or the person a head
    named to act for them today (``workflows.acting``)."""
    if _heads_in_own_right(user, tier, application):
        return True
    if user is None or not user.is_authenticated:
        return False
    return any(
        _heads_in_own_right(head, tier, application) for head in acting.heads_stood_in_for(user)
    )


def _heads_in_own_right(
    user: Viewer | None, tier: str | None, application: FundingApplication
) -> bool:
    profile = profile_of(user)
    if profile is None:
        return False
    if tier == GROUP:
        return profile.role == Role.GROUP_CHAIR
    if tier == LEAD:
        return (
            profile.role == Role.LEAD_OFFICER
            and profile.is_head
            and profile.department_id == application.special_project.lead_department_id
        )
    return tier == MEETING and profile.role == Role.MEETING_SECRETARY and profile.is_head


PERMISSION_RIGHT = {
    "workflows.act_lead_tier": is_lead_officer_for,
    "workflows.act_group_tier": is_group_member,
    "workflows.chair_group_tier": is_group_chair,
    "workflows.act_meeting_tier": is_meeting_secretary,
    "workflows.act_as_applicant": is_applicant_of,
}
_ROLES_FOR_PERM = {
    "workflows.act_lead_tier": (Role.LEAD_OFFICER,),
    "workflows.act_group_tier": (Role.GROUP_MEMBER, Role.GROUP_CHAIR),
    "workflows.chair_group_tier": (Role.GROUP_CHAIR,),
    "workflows.act_meeting_tier": (Role.MEETING_SECRETARY,),
    "workflows.act_as_applicant": (Role.APPLICANT,),
}

# The state machine's transitions ask these (``FundingApplication``'s ``permission=``).
TRANSITION_RIGHTS.update(
    is_applicant_of=is_applicant_of,
    is_lead_officer_for=is_lead_officer_for,
    is_group_chair=is_group_chair,
    is_meeting_secretary=is_meeting_secretary,
    acts_at_current_tier=acts_at_current_tier,
)


class TierPermissionBackend:
    """Object permissions for the review tiers, so viewflow routes each task to the right people.

    ``user.has_perm("workflows.act_lead_tier", application)`` is true only for officers of
    that application's lead department who need not stay away from it. Without an object it
    answers for the role alone.
    """

    def authenticate(self, request: Any, **credentials: Any) -> None:
        return None

    def has_perm(self, user: Viewer | None, perm: str, obj: Any = None) -> bool:
        right = PERMISSION_RIGHT.get(perm)
        if right is None:
            return False
        if obj is None:
            profile = profile_of(user)
            return profile is not None and profile.role in _ROLES_FOR_PERM[perm]
        application = getattr(obj, "application", obj)
        return right(application, user)
