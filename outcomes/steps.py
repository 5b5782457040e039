"""The outcome stages' steps that move no status, on the audit trail like every other step:
appended in the service's transaction, under the application's row lock, and announced to the
documents app (``transition_recorded``) so that the step's documents are numbered with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from workflows import permissions as rights
from workflows.audit import record_event
from workflows.errors import NotAllowed
from workflows.models import AuditEntry, FundingApplication
from workflows.review_path import Tier
from workflows.signals import transition_recorded

if TYPE_CHECKING:
    from collections.abc import Callable

    from workflows.actors import Actor


def record_step(
    application: FundingApplication,
    *,
    actor: Actor | None,
    name: str,
    tier: Tier | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = record_event(
        application,
        actor=actor,
        name=name,
        tier=tier or "",
        reason=(reason or "").strip(),
        details=details,
    )
    transition_recorded.send(
        sender=FundingApplication, application=application, transition=name, audit_entry=entry
    )
    return entry


_RIGHTS: dict[Tier | None, Callable[[FundingApplication, Any], bool]] = {
    None: rights.is_applicant_of,
    Tier.LEAD: rights.is_lead_officer_for,
    Tier.MEETING: rights.is_meeting_secretary,
}


def ensure_acts(application: FundingApplication, actor: Actor, tier: Tier | None) -> None:
    """Refuse (NotAllowed, saying why) anybody but the applicant (``None``), the officers of
    the lead department, or the joint meeting's secretariat."""
    if not _RIGHTS[tier](application, actor):
        why = rights.why_not(application, actor, tier) if tier else None
        raise NotAllowed(why or _("您无权执行此操作。"))
