"""Celery tasks: thin wrappers over services."""

from celery import shared_task

from .deadlines import process_deadlines
from .notifications import send_transition_notices


@shared_task(name="workflows.process_deadlines")  # type: ignore[untyped-decorator]  # celery is untyped
def process_deadlines_task() -> dict[str, int]:
    report = process_deadlines()
    return {"reminded": report.reminded, "escalated": report.escalated}


@shared_task(name="workflows.send_transition_notices")  # type: ignore[untyped-decorator]  # celery is untyped
def send_transition_notices_task(application_id: int, transition: str) -> None:
    send_transition_notices(application_id, transition)
