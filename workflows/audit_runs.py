"""Verification runs started from the auditors' page: in the background, never in a request.

With a Celery broker configured the run is a task for a worker; embedded (no broker), a thread
of the web process. Either way the run's row carries its progress and, at the end, its result,
which the page reads.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry, AuditVerification

log = logging.getLogger(__name__)

_threads: dict[int, threading.Thread] = {}


def start_verification(*, actor: Any) -> AuditVerification:
    """Queue a verification of the whole audit trail; it starts once this transaction commits.
    The run's total starts as the last entry's number (one look-up on the key, where counting
    would read the whole log inside the request); the run sets the exact total as it goes."""
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    with transaction.atomic():
        run = AuditVerification.objects.create(
            started_by=actor if getattr(actor, "pk", None) else None,
            total=last or 0,
        )
    transaction.on_commit(lambda: _launch(run.pk))
    return run


def _launch(run_id: int) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # embedded: no broker, no worker
        thread = threading.Thread(
            target=_in_thread, args=(run_id,), name=f"audit-verification-{run_id}", daemon=True
        )
        _threads[run_id] = thread
        thread.start()
        return
    from .tasks import verify_audit_task

    verify_audit_task.delay(run_id)


def _in_thread(run_id: int) -> None:
    try:
        run_verification(run_id)
    finally:
        connection.close()


def wait_for(run_id: int, timeout: float | None = None) -> None:
    """Wait for a run this process started in a thread (for the embedded server's tests)."""
    thread = _threads.pop(run_id, None)
    if thread is not None:
        thread.join(timeout)


def run_verification(run_id: int) -> AuditVerification:
    """Verify, recording progress on the run as stretches of the log are done."""
    from .audit import verify_chain

    updated = AuditVerification.objects.filter(pk=run_id, state=AuditVerification.State.QUEUED)
    if not updated.update(state=AuditVerification.State.RUNNING):
        return AuditVerification.objects.get(pk=run_id)  # already run (a redelivered task)

    def progress(checked: int, total: int) -> None:
        AuditVerification.objects.filter(pk=run_id).update(checked=checked, total=total)

    try:
        result = verify_chain(progress=progress)
    except Exception as exc:
        log.exception("audit verification %s failed", run_id)
        AuditVerification.objects.filter(pk=run_id).update(
            state=AuditVerification.State.FAILED,
            result={"error": f"{type(exc).__name__}: {exc}"},
            finished_at=timezone.now(),
        )
        raise
    AuditVerification.objects.filter(pk=run_id).update(
        state=AuditVerification.State.DONE,
        intact=result.intact,
        checked=result.count,
        total=result.count,
        result=result.as_json(),
        finished_at=timezone.now(),
    )
    return AuditVerification.objects.get(pk=run_id)
