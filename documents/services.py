"""Issuing decision documents: numbering in the decision's transaction, rendering after it.

``open_document`` and ``open_meeting_minutes`` run inside the decision's transaction, so a
decision and its document's number commit together (numbers stay gapless: the counter row is
locked until the decision commits, and a rolled-back decision takes its number with it) and a
pending document survives a broker outage. ``render_document`` runs after commit; it is
idempotent, so a retried, redelivered or duplicated task never produces a second file, a
failure never touches the decision, and a document that keeps failing is marked failed after
``settings.DOCUMENT_RENDER_MAX_ATTEMPTS`` attempts.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from approvals.models import Meeting
from workflows.models import AuditEntry, FundingApplication
from workflows.review_path import documents_for

from .content import (
    TEMPLATE_FOR_KIND,
    document_context,
    document_html,
    page_limit,
    template_version,
    verification_url,
)
from .models import Document, DocumentCounter, DocumentKind, DocumentStatus
from .records import record_attachment
from .render import RenderError, render_pdf
from .signing import SigningError, sign_pdf, signing_enabled

__all__ = [
    "TEMPLATE_FOR_KIND",
    "document_context",
    "kinds_for_decision",
    "open_document",
    "open_meeting_minutes",
    "open_translations",
    "render_document",
    "template_version",
    "verification_url",
]

log = logging.getLogger(__name__)


def kinds_for_decision(transition: str, tier: str) -> list[str]:
    """The documents a decision issues, as the review path says (its notice, and the review
    group's opinion when the group recommends, returns or rejects)."""
    return list(documents_for(transition, tier or None))


# --- Opening (inside the decision's transaction) --------------------------------------------


def open_document(
    *, application: FundingApplication, audit_entry: AuditEntry, kind: str
) -> Document:
    """Create the pending document for a decision, with its number. Idempotent."""
    existing = Document.objects.filter(
        audit_entry=audit_entry, kind=kind, translation_of__isnull=True
    ).first()
    if existing is not None:
        return existing
    issued_on = timezone.localtime(audit_entry.at).date()
    document = _numbered(kind, issued_on, application=application, audit_entry=audit_entry)
    document.applications.add(application)
    return document


def open_meeting_minutes(*, meeting: Meeting) -> Document:
    """Create the pending minutes of a meeting whose resolutions are being recorded, with
    their number; they list every application on the agenda. Idempotent."""
    existing = Document.objects.filter(
        meeting=meeting, kind=DocumentKind.MEETING_MINUTES, translation_of__isnull=True
    ).first()
    if existing is not None:
        return existing
    issued_on = timezone.localtime(meeting.resolved_at or timezone.now()).date()
    document = _numbered(DocumentKind.MEETING_MINUTES, issued_on, meeting=meeting)
    document.applications.set(meeting.items.values_list("application_id", flat=True))
    return document


def open_translations(document: Document) -> list[Document]:
    """The document's translations into ``settings.DOCUMENT_TRANSLATIONS``: same number,
    kind and cause, pending. Idempotent."""
    translations = []
    for language in settings.DOCUMENT_TRANSLATIONS:
        if language == document.language or language not in dict(settings.LANGUAGES):
            continue
        translation, _created = Document.objects.get_or_create(
            number=document.number,
            language=language,
            defaults={
                "kind": document.kind,
                "year": document.year,
                "serial": document.serial,
                "issued_on": document.issued_on,
                "application": document.application,
                "audit_entry": document.audit_entry,
                "meeting": document.meeting,
                "translation_of": document,
            },
        )
        translation.applications.set(document.applications.all())
        translations.append(translation)
    return translations


def _numbered(kind: str, issued_on: Any, **cause: Any) -> Document:
    serial = _next_serial(kind, issued_on.year)
    number = settings.DOCUMENT_NUMBER_PATTERNS[kind].format(year=issued_on.year, serial=serial)
    return Document.objects.create(
        number=number,
        kind=kind,
        language=settings.LANGUAGE_CODE,
        year=issued_on.year,
        serial=serial,
        issued_on=issued_on,
        **cause,
    )


def _next_serial(kind: str, year: int) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a document number is drawn inside the decision's transaction")
    counter, _ = DocumentCounter.objects.select_for_update().get_or_create(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


# --- Rendering (after commit) ---------------------------------------------------------------


def render_document(document_id: int) -> Document:
    """Render, sign (when a certificate is configured) and store one document. Does nothing
    when it is ready or failed. Raises ``RenderError`` (after recording it on the document):
    transient when trying again may help and attempts remain, non-transient otherwise."""
    document = _claim(document_id)
    if document.status != DocumentStatus.PENDING:
        return document
    try:
        html = document_html(document)
        pdf = render_pdf(
            html, attachments=[record_attachment(document)], page_limit=page_limit(document)
        )
        fingerprint = ""
        if signing_enabled():
            pdf, fingerprint = sign_pdf(pdf)
    except RenderError as error:
        raise _failed(document_id, error) from error
    except SigningError as error:
        raise _failed(document_id, RenderError(str(error), transient=False)) from error
    except Exception as error:  # a template or data error fails the same way every time
        failure = RenderError(f"{type(error).__name__}: {error}", transient=False)
        raise _failed(document_id, failure) from error
    return _store(document_id, pdf, fingerprint)


def _claim(document_id: int) -> Document:
    """Count an attempt before rendering, so that a render which kills its worker (and is
    redelivered) is given up after the same number of attempts as one that fails."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.PENDING:
            return document
        if document.attempts >= settings.DOCUMENT_RENDER_MAX_ATTEMPTS:
            document.status = DocumentStatus.FAILED
            document.last_error = (
                f"gave up after {document.attempts} attempts; last error: {document.last_error}"
            )[:2000]
            document.save(update_fields=["status", "last_error"])
            log.error("document %s failed: %s", document.number, document.last_error)
            return document
        document.attempts += 1
        document.save(update_fields=["attempts"])
    return Document.objects.select_related(
        "application__organisation",
        "application__special_project",
        "application__call",
        "audit_entry",
        "meeting__call",
    ).get(pk=document_id)


def _failed(document_id: int, error: RenderError) -> RenderError:
    """Record a failed attempt; the error to raise (non-transient once no attempt is left)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:  # another worker succeeded meanwhile
            return error
        document.last_error = str(error)[:2000]
        final = not error.transient or document.attempts >= settings.DOCUMENT_RENDER_MAX_ATTEMPTS
        if final:
            document.status = DocumentStatus.FAILED
        document.save(update_fields=["last_error", "status"])
    (log.error if final else log.warning)(
        "rendering document %s failed (attempt %s): %s", document_id, document.attempts, error
    )
    return error if not final else RenderError(str(error), transient=False)


def _store(document_id: int, pdf: bytes, fingerprint: str) -> Document:
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.READY:  # another worker finished first
            return document
        # The file is written only now, whole, under a name no other document can have.
        document.file.save(
            f"documents/{document.year}/{document.kind}-{document.serial:05d}"
            f"-{document.language}-{digest[:12]}.pdf",
            ContentFile(pdf),
            save=False,
        )
        document.sha256 = digest
        document.size = len(pdf)
        document.template_version = template_version(TEMPLATE_FOR_KIND[document.kind])
        document.signer_fingerprint = fingerprint
        document.status = DocumentStatus.READY
        document.last_error = ""
        document.rendered_at = timezone.now()
        document.save(
            update_fields=[
                "file",
                "sha256",
                "size",
                "template_version",
                "signer_fingerprint",
                "status",
                "last_error",
                "rendered_at",
            ]
        )
    return document


def requeue_failed(document_ids: list[int]) -> int:
    """An administrator gives failed documents another round of attempts (``render_pending
    --failed``), after fixing what made them fail."""
    return Document.objects.filter(pk__in=document_ids, status=DocumentStatus.FAILED).update(
        status=DocumentStatus.PENDING, attempts=0
    )


# --- Finding --------------------------------------------------------------------------------
