"""Decisions produce documents: numbered with the decision, rendered after it commits."""

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from approvals.models import Meeting
from approvals.signals import meeting_resolved
from workflows.models import AuditEntry, FundingApplication
from workflows.signals import transition_recorded

from .models import Document
from .services import kinds_for_decision, open_document, open_meeting_minutes, open_translations

log = logging.getLogger(__name__)

# How long the request that made a decision may wait for an unreachable broker before the
# document is left pending for render_pending.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


@receiver(transition_recorded, dispatch_uid="documents.open_decision_documents")
def open_decision_documents(
    sender: object,
    *,
    application: FundingApplication,
    transition: str,
    audit_entry: AuditEntry,
    **kwargs: Any,
) -> None:
    for kind in kinds_for_decision(transition, audit_entry.tier):
        document = open_document(application=application, audit_entry=audit_entry, kind=kind)
        _render_after_commit(document)


@receiver(meeting_resolved, dispatch_uid="documents.open_meeting_minutes")
def open_minutes(sender: object, *, meeting: Meeting, **kwargs: Any) -> None:
    _render_after_commit(open_meeting_minutes(meeting=meeting))


def _render_after_commit(document: Document) -> None:
    for issued in (document, *open_translations(document)):
        transaction.on_commit(partial(enqueue_render, issued.pk))


def enqueue_render(document_id: int) -> None:
    """Queue the rendering of a document; without a broker it runs here and now."""
    from .tasks import render_document_task

    try:
        render_document_task.apply_async(
            (document_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception:  # the broker is down: the document stays pending for render_pending
        log.exception("could not queue document %s; it stays pending", document_id)
