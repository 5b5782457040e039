"""Celery tasks: thin wrappers over services."""

from celery import shared_task

from .deadlines import process_deadlines


@shared_task(name="workflows.process_deadlines")  # type: ignore[untyped-decorator]  # celery is untyped
def process_deadlines_task() -> dict[str, int]:
    report = process_deadlines()
    return {"reminded": report.reminded, "escalated": report.escalated}
