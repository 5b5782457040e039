"""Celery tasks: thin wrappers over ``documents.services``."""

from celery import shared_task

from .render import RenderError
from .services import render_document


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=5,
    name="documents.render_document",
)
def render_document_task(self, document_id: int) -> str:
    try:
        return render_document(document_id).status
    except RenderError as exc:
        if exc.transient:
            raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 300)) from exc
        return "failed"
