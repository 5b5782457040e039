"""manage.py verify_document FILE|NUMBER: exit 0 when genuine, 1 otherwise, with one line why."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from documents.verification import verify_content, verify_number
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
        "when signed, its signature. Exit status 0 when genuine, 1 otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("document", help="a PDF file, or a document number")

    def handle(self, *args: Any, document: str, **options: Any) -> None:
        path = Path(document)
        if _is_file(path):
            result = verify_content(path.read_bytes())
        elif document.lower().endswith(".pdf"):
            raise CommandError(f"no such file: {document}", returncode=2)
        else:
            result = verify_number(document)
        if not result.genuine:
            raise CommandError(result.summary(), returncode=1)
        self.stdout.write(result.summary())
