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


@shared_task(name="workflows.verify_audit")  # type: ignore[untyped-decorator]  # celery is untyped
def verify_audit_task(run_id: int) -> None:
    from .audit_runs import run_verification

    run_verification(run_id)


@shared_task(name="workflows.seal_audit_checkpoint")  # type: ignore[untyped-decorator]  # celery is untyped
def seal_audit_checkpoint_task() -> int | None:
    """The periodic checkpoint; nothing to do without a key."""
    from .audit_checkpoints import checkpoints_enabled, seal_checkpoint

    return seal_checkpoint().size if checkpoints_enabled() else None
