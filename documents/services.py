"""Issuing decision documents: numbering in the decision's transaction, rendering after it.

``open_document`` runs inside the transition's transaction, so a decision and its document's
number commit together (numbers stay gapless) and a pending document survives a broker outage.
``render_document`` runs after commit; it is idempotent, so a retried or duplicated task never
produces a second file, and a failure never touches the decision.
"""

from __future__ import annotations

import hashlib
import json
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from workflows.models import AuditEntry, FundingApplication

from .models import Document, DocumentCounter, DocumentKind, DocumentStatus
from .numerals import amount_in_chinese_capitals, format_yuan
from .render import PdfAttachment, RenderError, render_pdf

log = logging.getLogger(__name__)

# Which transitions produce which document.
DOCUMENT_FOR_TRANSITION = {
    "approve": DocumentKind.APPROVAL,
    "return_for_revision": DocumentKind.RETURN_NOTICE,
    "reject": DocumentKind.REJECTION,
}
TEMPLATE_FOR_KIND = {
    DocumentKind.APPROVAL: "documents/approval.html",
    DocumentKind.RETURN_NOTICE: "documents/return_notice.html",
    DocumentKind.REJECTION: "documents/rejection_notice.html",
}


def open_document(
    *, application: FundingApplication, audit_entry: AuditEntry, kind: str
) -> Document:
    """Create the pending document for a decision, with its number. Idempotent."""
    existing = Document.objects.filter(audit_entry=audit_entry, kind=kind).first()
    if existing is not None:
        return existing
    year = timezone.localtime(audit_entry.at).year
    serial = _next_serial(kind, year)
    number = settings.DOCUMENT_NUMBER_PATTERNS[kind].format(year=year, serial=serial)
    return Document.objects.create(
        number=number,
        kind=kind,
        year=year,
        serial=serial,
        application=application,
        audit_entry=audit_entry,
    )


def _next_serial(kind: str, year: int) -> int:
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def render_document(document_id: int) -> Document:
    """Render and store one document. Does nothing when it is already ready; raises
    ``RenderError`` (after recording it) when rendering fails."""
    document = Document.objects.select_related(
        "application__organisation",
        "application__special_project",
        "application__call",
        "audit_entry",
    ).get(pk=document_id)
    if document.status == DocumentStatus.READY:
        return document
    template = TEMPLATE_FOR_KIND[document.kind]
    try:
        html = render_to_string(template, document_context(document))
        pdf = render_pdf(html, attachments=[_decision_record(document)])
    except RenderError as exc:
        _record_failure(document_id, exc)
        raise
    except Exception as exc:  # a template or data error will fail the same way every time
        failure = RenderError(f"{type(exc).__name__}: {exc}", transient=False)
        _record_failure(document_id, failure)
        raise failure from exc
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document_id)
        if locked.status == DocumentStatus.READY:  # another worker finished first
            return locked
        digest = hashlib.sha256(pdf).hexdigest()
        locked.file.save(
            f"documents/{locked.year}/{locked.kind}-{locked.serial:05d}-{digest[:12]}.pdf",
            ContentFile(pdf),
            save=False,
        )
        locked.sha256 = digest
        locked.size = len(pdf)
        locked.template_version = template_version(template)
        locked.status = DocumentStatus.READY
        locked.attempts += 1
        locked.last_error = ""
        locked.rendered_at = timezone.now()
        locked.save(
            update_fields=[
                "file",
                "sha256",
                "size",
                "template_version",
                "status",
                "attempts",
                "last_error",
                "rendered_at",
            ]
        )
    return locked


def _record_failure(document_id: int, exc: RenderError) -> None:
    log.error("rendering document %s failed: %s", document_id, exc)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:
            return
        document.attempts += 1
        document.last_error = str(exc)[:2000]
        if not exc.transient:
            document.status = DocumentStatus.FAILED
        document.save(update_fields=["attempts", "last_error", "status"])


def template_version(template_name: str) -> str:
    source = get_template(template_name).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def document_context(document: Document) -> dict[str, Any]:
    application = document.application
    entry = document.audit_entry
    amount = entry.details.get("amount")
    amount = Decimal(amount) if amount is not None else None
    with translation.override("zh-hans"):
        return {
            "document": document,
            "number": document.number,
            "title": document.get_kind_display(),
            "issuer": settings.PROGRAMME_ISSUER,
            "application": application,
            "entry": entry,
            "tier_label": _tier_label(entry.tier),
            "reason": entry.reason,
            "amount": amount,
            "amount_figures": format_yuan(amount) if amount is not None else "",
            "amount_capitals": amount_in_chinese_capitals(amount) if amount is not None else "",
            "date": timezone.localtime(entry.at).date(),
            "verification_text": verification_url(document),
        }


def verification_url(document: Document) -> str:
    return f"{settings.DOCUMENT_VERIFY_BASE_URL}/documents/verify/?number={document.number}"


def _tier_label(tier: str) -> str:
    from workflows.models import Tier

    try:
        return str(Tier(tier).label)
    except ValueError:
        return ""


def _decision_record(document: Document) -> PdfAttachment:
    entry = document.audit_entry
    record = {
        "number": document.number,
        "kind": document.kind,
        "application_id": document.application_id,
        "national_task_code": document.application.national_task_code,
        "transition": entry.transition,
        "tier": entry.tier,
        "amount": entry.details.get("amount"),
        "reason": entry.reason,
        "decided_at": entry.at.isoformat(),
        "audit_entry": entry.seq,
        "audit_hash": entry.entry_hash,
    }
    return PdfAttachment(
        filename="decision.json",
        content=json.dumps(record, ensure_ascii=False, indent=2).encode(),
        description="Machine-readable decision record",
        mime_type="application/json",
    )


def find_document(*, number: str | None = None, sha256: str | None = None) -> Document | None:
    """The document with this number or this file hash, if one was issued."""
    qs = Document.objects.filter(status=DocumentStatus.READY)
    if number:
        return qs.filter(number=number.strip()).first()
    if sha256:
        return qs.filter(sha256=sha256.strip().lower()).first()
    return None


def verify_file(content: bytes) -> Document | None:
    return find_document(sha256=hashlib.sha256(content).hexdigest())
