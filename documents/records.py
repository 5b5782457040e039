"""The machine-readable record of a decision, embedded in its PDF as a PDF/A-3 associated file:
application(s), transition, amounts and their split, policy version, audit entry and its hash."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from approvals.models import Meeting
from workflows.audit_checkpoints import document_proof
from workflows.models import AuditEntry, FundingApplication

from .content import (
    TEMPLATE_FOR_KIND,
    Split,
    approval_context,
    minutes_lines,
    review_context,
    template_version,
    verification_url,
)
from .models import Document, DocumentKind
from .render import PdfAttachment


def decision_record(document: Document) -> dict[str, Any]:
    """The decision as data, embedded in the PDF (PDF/A-3 associated file)."""
    record: dict[str, Any] = {
        "number": document.number,
        "kind": document.kind,
        "language": document.language,
        "issuer": settings.PROGRAMME_ISSUER,
        "issued_on": document.issued_on.isoformat() if document.issued_on else None,
        "template_version": template_version(TEMPLATE_FOR_KIND[document.kind]),
        "verification_url": verification_url(document),
    }
    if document.kind == DocumentKind.MEETING_MINUTES:
        record["meeting"] = _meeting_record(cast(Meeting, document.meeting))
        return record
    # Every kind but the minutes is issued for one application's audited decision.
    entry = cast(AuditEntry, document.audit_entry)
    application = cast(FundingApplication, document.application)
    record.update(
        application_id=application.pk,
        national_task_code=application.national_task_code,
        transition=entry.transition,
        tier=entry.tier,
        decided_at=entry.at.isoformat(),
        reason=entry.reason,
        reasons=entry.details.get("reasons", []),
        amount=None,
        policy=None,
        audit_entry=entry.seq,
        audit_hash=entry.entry_hash,
    )
    # The checkpoint it was issued under and its entry's inclusion proof (with a checkpoint key).
    proof = document_proof(entry)
    if proof is not None:
        record["audit_proof"] = proof
    with translation.override(document.language):
        if document.kind == DocumentKind.APPROVAL:
            approval = approval_context(application, entry)
            record["amount"] = _plain(approval["amount"])
            _add_split(record, approval["split"])
        elif document.kind == DocumentKind.REVIEW_OPINION:
            review = review_context(application, entry)
            record["amount"] = _plain(review["recommended_amount"])
            record["weighted_score"] = _plain(review["weighted_score"])
            record["criteria"] = [
                {"name": c["name"], "weight": c["weight"], "mean": _plain(c["mean"])}
                for c in review["criteria"]
            ]
            if review["policy"]:
                record["policy"] = review["policy"]
            _add_split(record, review["split"])
    return record


def _add_split(record: dict[str, Any], split: Split | None) -> None:
    if split is None:
        return
    record.update(split.as_record())
    record["policy"] = {
        "name": split.policy_name,
        "version": split.policy_version,
        "content_hash": split.policy_hash,
    }


def _meeting_record(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "held_on": meeting.held_on.isoformat(),
        "kind": meeting.kind,
        "place": meeting.place,
        "chair": meeting.chair,
        "chair_person": meeting.chair_person_id,
        "attendees": sorted(meeting.attendees.values_list("pk", flat=True)),
        "observers": sorted(meeting.observers.values_list("pk", flat=True)),
        "items": [
            {
                "position": line.position,
                "application_id": line.application.pk,
                "national_task_code": line.application.national_task_code,
                "resolution": line.item.resolution,
                "transition": line.entry.transition if line.entry else None,
                "requested_amount": _plain(line.item.requested_amount),
                "recommended_amount": _plain(line.item.recommended_amount),
                "amount": _plain(line.item.approved_amount),
                "reason": line.item.reason,
                "audit_entry": line.entry.seq if line.entry else None,
                "audit_hash": line.entry.entry_hash if line.entry else None,
            }
            for line in minutes_lines(meeting)
        ],
    }


def _plain(value: Any) -> Any:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def record_attachment(document: Document) -> PdfAttachment:
    content = json.dumps(decision_record(document), ensure_ascii=False, indent=2)
    return PdfAttachment(
        filename="decision.json",
        content=content.encode(),
        description=_("决定的机器可读记录"),
        mime_type="application/json",
    )
