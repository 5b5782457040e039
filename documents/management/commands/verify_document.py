"""manage.py verify_document FILE|NUMBER: exit 0 when genuine, 1 otherwise, with one line why.

Given a file whose record carries an audit proof, it also checks that proof: the checkpoint's
signature with the programme's public key, and the path from the document's audit entry to
the checkpoint's root. ``--offline`` checks only that, from the file and the public key, with
no database at all.
"""

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from documents.verification import verify_content, verify_number
from workflows.audit_checkpoints import (
    CheckpointError,
    check_proof,
    checkpoints_enabled,
    load_public_key,
    signing_key,
)
from workflows.management.base import ProjectCommand


def _is_file(path: Path) -> bool:
    """False for a path the system cannot even look up (a name over 255 bytes, say): such an
    argument is a document number, or no document at all."""
    try:
        return path.is_file()
    except OSError:
        return False


class Command(ProjectCommand):
    help = (
        "Verify a decision document, given its PDF file or its number (文号): its hash and, "
        "when signed, its signature; for a file, its audit entry's inclusion proof. "
        "Exit status 0 when genuine, 1 otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("document", help="a PDF file, or a document number")
        parser.add_argument(
            "--public-key",
            type=Path,
            help="the audit checkpoints' Ed25519 public key (PEM); by default the configured key's",
        )
        parser.add_argument(
            "--offline",
            action="store_true",
            help="check only the file's audit proof, with the public key, without the database",
        )

    def handle(self, *args: Any, document: str, **options: Any) -> None:
        path = Path(document)
        if options["offline"]:
            if not _is_file(path):
                raise CommandError(f"no such file: {document}", returncode=2)
            self.stdout.write(self._proof(path.read_bytes(), options, required=True))
            return
        if _is_file(path):
            content = path.read_bytes()
            result = verify_content(content)
        elif document.lower().endswith(".pdf"):
            raise CommandError(f"no such file: {document}", returncode=2)
        else:
            result = verify_number(document)
        if not result.genuine:
            raise CommandError(result.summary(), returncode=1)
        line = result.summary()
        if path.is_file():
            proven = self._proof(content, options, required=False)
            line = f"{line} · {proven}" if proven else line
        self.stdout.write(line)

    def _proof(self, content: bytes, options: dict[str, Any], *, required: bool) -> str:
        record = _record(content)
        proof = record.get("audit_proof") if record else None
        if not record or not proof:
            if required:
                raise CommandError("the file carries no audit proof", returncode=1)
            return ""
        if not required and not (options["public_key"] or checkpoints_enabled()):
            return ""  # no key to check it with here; --offline --public-key does
        problem = check_proof(proof, str(record.get("audit_hash", "")), _public_key(options))
        if problem:
            raise CommandError(problem, returncode=1)
        return f"audit entry #{proof['entry']} is in signed checkpoint {proof['checkpoint']}"


def _record(content: bytes) -> dict[str, Any] | None:
    try:
        attachments = PdfReader(io.BytesIO(content)).attachments
        data = attachments.get("decision.json")
        return json.loads(data[0]) if data else None
    except (PdfReadError, ValueError, KeyError):
        return None


def _public_key(options: dict[str, Any]) -> Any:
    if options["public_key"]:
        try:
            return load_public_key(options["public_key"].read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the public key: {exc}", returncode=2) from exc
    if not checkpoints_enabled():
        raise CommandError(
            "checking the audit proof needs the public key: give --public-key", returncode=2
        )
    try:
        return signing_key().public_key()
    except CheckpointError as exc:
        raise CommandError(str(exc), returncode=2) from exc
