"""The audited steps after the approval that leave the status as it is (an objection lodged, an
agreement confirmed, a tranche released): their entry on the audit trail, and the documents the
review path says they issue, opened with it as for a transition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import translation

from workflows.audit import record_event
from workflows.models import AuditEntry, FundingApplication
from workflows.signals import transition_recorded

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from workflows.actors import Actor


def in_both_languages(label: StrOrPromise) -> dict[str, str]:
    """A label kept on the audit trail for the documents, which are issued in either language."""
    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return {"zh": zh, "en": en}


def record_step(
    application: FundingApplication,
    *,
    actor: Actor | None,
    name: str,
    tier: str,
    details: dict[str, Any],
    reason: str = "",
) -> AuditEntry:
    """Append the step's entry in the caller's transaction and open its documents."""
    entry = record_event(
        application, actor=actor, name=name, tier=tier, reason=reason, details=details
    )
    transition_recorded.send(
        sender=FundingApplication, application=application, transition=name, audit_entry=entry
    )
    return entry
