from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from workflows.audit_checkpoints import key_id, make_key, public_pem
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Make an Ed25519 key that signs the audit checkpoints (for AUDIT_CHECKPOINT_KEY), "
        "and print its public half for auditors. Keeps an existing key with --if-missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--if-missing", action="store_true")

    def handle(self, *args: Any, path: Path, if_missing: bool, **options: Any) -> None:
        if path.exists():
            if if_missing:
                return
            raise CommandError(f"{path} exists: remove it first or give --if-missing")
        public = make_key(path)
        path.with_suffix(".pub").write_bytes(public_pem(public))
        self.stdout.write(f"key {key_id(public)} written to {path}, public key beside it")
