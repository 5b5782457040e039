"""manage.py render_pending: queue again every document still pending (and, with --failed,
every failed one, with a fresh round of attempts)."""

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from documents.models import Document, DocumentStatus
from documents.receivers import enqueue_render
from documents.services import requeue_failed
from workflows.management.base import ProjectCommand

MAX_AGE_SECONDS = 10 * 366 * 24 * 3600  # ten years: older than any document


class Command(ProjectCommand):
    help = (
        "Queue the rendering of pending decision documents (left pending by a broker outage, "
        "a lost task or a transient failure). Rendering is idempotent: a document whose task "
        "is still queued is rendered once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--failed",
            action="store_true",
            help="also documents that failed, with their attempts reset (after fixing the cause)",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=0,
            metavar="SECONDS",
            help="only documents created at least this long ago (leave fresh ones to their task)",
        )

    def handle(self, *args: Any, failed: bool, older_than: int, **options: Any) -> None:
        if not 0 <= older_than <= MAX_AGE_SECONDS:
            raise CommandError(f"--older-than must be between 0 and {MAX_AGE_SECONDS} seconds")
        cutoff = timezone.now() - datetime.timedelta(seconds=older_than)
        documents = Document.objects.filter(created_at__lte=cutoff)
        reset = 0
        if failed:
            failed_ids = list(
                documents.filter(status=DocumentStatus.FAILED).values_list("pk", flat=True)
            )
            reset = requeue_failed(failed_ids)
        pending = list(
            documents.filter(status=DocumentStatus.PENDING)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)
        )
        for document_id in pending:
            enqueue_render(document_id)
        self.stdout.write(
            f"queued {len(pending)} pending document(s)"
            + (f", of which {reset} had failed" if failed else "")
        )
