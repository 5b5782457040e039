from typing import Any

from django.core.management.base import CommandError

from workflows.audit_checkpoints import CheckpointError, seal_checkpoint
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Sign a checkpoint of the audit log now and write it to AUDIT_CHECKPOINT_DIR."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = seal_checkpoint()
        except CheckpointError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"checkpoint {checkpoint.size} {checkpoint.root}")
