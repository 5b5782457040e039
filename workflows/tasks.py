"""Celery tasks of this app, where Celery's autodiscovery looks for them; each is defined beside
the service it wraps."""

from celery import shared_task

from .deadlines import process_deadlines_task
from .notifications import send_transition_notices_task

__all__ = [
    "process_deadlines_task",
    "seal_audit_checkpoint_task",
    "send_transition_notices_task",
    "verify_audit_task",
]


@shared_task(name="workflows.verify_audit")  # type: ignore[untyped-decorator]  # celery is untyped
def verify_audit_task(run_id: int) -> None:
    from .audit_runs import run_verification

    run_verification(run_id)


@shared_task(name="workflows.seal_audit_checkpoint")  # type: ignore[untyped-decorator]  # celery is untyped
def seal_audit_checkpoint_task() -> int | None:
    """The periodic checkpoint; nothing to do without a key."""
    from .audit_checkpoints import checkpoints_enabled, seal_checkpoint

    return seal_checkpoint().size if checkpoints_enabled() else None
