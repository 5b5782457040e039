"""What lets the append-only triggers through, and only that: emptying the whole database with
``flush`` when the setting ``AUDIT_ALLOW_FLUSH`` is on (the test suite does so between tests).

On SQLite the triggers ask the function ``workflows_audit_flushing()``, which every connection
the application opens defines; a connection that does not define it (the ``sqlite3`` shell)
fails the trigger, so it cannot delete either. On PostgreSQL they read the session setting
``workflows.audit_flush``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.signals import connection_created

AUDIT_TABLES = (
    "workflows_auditentry",
    "workflows_auditchainhead",
    "workflows_refusedattempt",
    "workflows_auditcheckpoint",
    "workflows_audittreenode",
)

_flushing = False


def _define_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "workflows_audit_flushing", 0, lambda: int(_flushing), deterministic=False
        )


def connect() -> None:
    connection_created.connect(_define_functions, dispatch_uid="workflows_audit_flushing")


@contextmanager
def flushing(connection: Any) -> Iterator[None]:
    """Let the triggers pass the deletes and truncations of a flush, for its duration."""
    global _flushing
    postgres = connection.vendor == "postgresql"
    _flushing = True
    try:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('workflows.audit_flush', 'on', false)")
        yield
    finally:
        _flushing = False
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('workflows.audit_flush', 'off', false)")
