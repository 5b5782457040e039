"""Celery tasks of this app, where Celery's autodiscovery looks for them; each is defined beside
the service it wraps."""

from .deadlines import process_deadlines_task
from .notifications import send_transition_notices_task

__all__ = ["process_deadlines_task", "send_transition_notices_task"]
