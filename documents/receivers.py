"""Decisions produce documents: numbered with the decision, rendered after it commits."""

import logging

from django.db import transaction
from django.dispatch import receiver

from workflows.signals import transition_recorded

from .services import DOCUMENT_FOR_TRANSITION, open_document

log = logging.getLogger(__name__)


@receiver(transition_recorded, dispatch_uid="documents.open_decision_document")
def open_decision_document(sender, *, application, transition, audit_entry, **kwargs) -> None:
    kind = DOCUMENT_FOR_TRANSITION.get(transition)
    if kind is None:
        return
    document = open_document(application=application, audit_entry=audit_entry, kind=kind)
    transaction.on_commit(lambda: enqueue_render(document.pk))


def enqueue_render(document_id: int) -> None:
    from .tasks import render_document_task

    try:
        render_document_task.delay(document_id)
    except Exception:  # the broker is down: the document stays pending for render_pending
        log.exception("could not queue document %s; it stays pending", document_id)
