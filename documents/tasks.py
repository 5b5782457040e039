"""Celery tasks: thin wrappers over ``documents.services``."""

import logging
import random
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_init
from django.conf import settings

from .models import Document
from .render import RenderError, start_renderer
from .services import render_document

log = logging.getLogger(__name__)


def backoff_seconds(retries: int) -> float:
    """5 s, 10 s, 20 s … at most 5 minutes, spread by up to a quarter so that documents that
    failed together do not come back together."""
    delay: int = min(5 * 2**retries, 300)
    return delay * (1 + random.random() / 4)  # noqa: S311 -- jitter, not a secret


@shared_task(  # type: ignore[untyped-decorator]  # celery is untyped
    bind=True,
    name="documents.render_document",
    # Acknowledged only when done, and redelivered if the worker dies mid-render; each delivery
    # counts as an attempt (services._claim), so a poisonous document ends up failed.
    acks_late=True,
    reject_on_worker_lost=True,
    # The document's attempts cap the retries; this is a second bound, never the first.
    max_retries=settings.DOCUMENT_RENDER_MAX_ATTEMPTS + 1,
    soft_time_limit=240,
    time_limit=300,
)
def render_document_task(self: Task, document_id: int) -> str:
    try:
        return render_document(document_id).status
    except Document.DoesNotExist:
        log.warning("document %s does not exist (any more)", document_id)
        return "missing"
    except RenderError as error:
        if error.transient and not self.request.is_eager:
            raise self.retry(exc=error, countdown=backoff_seconds(self.request.retries)) from error
        # Eager (no broker): the request that decided does not wait for retries; the document
        # stays pending with its attempt counted, for render_pending.
        return "pending" if error.transient else "failed"


@worker_process_init.connect(dispatch_uid="documents.start_renderer")  # type: ignore[untyped-decorator]  # celery is untyped
def _start_renderer_in_worker(**kwargs: Any) -> None:
    """Each Celery worker process starts its renderer before its first task."""
    try:
        start_renderer()
    except RenderError:
        log.exception("the document renderer did not start; it will be tried per document")
