"""manage.py make_demo_seal PATH: a seal image marked 演示 / DEMO, for demonstrations."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from documents.seal import SealError, make_demo_seal
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Draw a round red seal with the issuer's name, marked 演示专用 / DEMO across its face, "
        "as a PNG, and print the setting that presses it on every decision document. Not a "
        "real seal: an office configures the image of its own."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="where to write the .png file")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, path: str, force: bool, **options: Any) -> None:
        target = Path(path)
        if target.exists() and not force:
            raise CommandError(f"{target} exists; use --force to replace it")
        try:
            make_demo_seal(target, issuer=settings.PROGRAMME_ISSUER)
        except (OSError, SealError) as error:
            raise CommandError(f"cannot write the demo seal to {target}: {error}") from error
        self.stdout.write(f"wrote {target}")
        self.stdout.write("press it on decision documents by setting:")
        self.stdout.write(f"  DOCUMENT_SEAL_IMAGE={target.resolve()}")
