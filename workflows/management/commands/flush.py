"""``flush``, refused while the audit trail is protected: the audit tables are append-only.

With ``AUDIT_ALLOW_FLUSH`` on (the test suite's settings) it empties the database as Django's
own command does, letting the append-only triggers through for that one statement batch.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from workflows.audit_guard import flushing
from workflows.management.base import ProjectCommand


class Command(ProjectCommand, DjangoFlush):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            raise CommandError(
                "the audit trail is append-only: flush is refused (set AUDIT_ALLOW_FLUSH=1 "
                "only for a throwaway database)"
            )
        with flushing(connections[options["database"]]):
            super().handle(**options)
