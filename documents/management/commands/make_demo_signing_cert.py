"""manage.py make_demo_signing_cert PATH: a self-signed PKCS#12 signing certificate, for demos."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from documents.signing import make_demo_certificate
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Create a self-signed certificate and key (PKCS#12) for signing decision documents in a "
        "demonstration, and print the settings that turn signing on. Not for production: "
        "nobody outside this installation trusts it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="where to write the .p12 file")
        parser.add_argument(
            "--passphrase",
            default=None,
            help="the file's passphrase (default: DOCUMENT_SIGNING_PASSPHRASE, else a random one)",
        )
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(
        self, *args: Any, path: str, passphrase: str | None, force: bool, **options: Any
    ) -> None:
        target = Path(path)
        if target.exists() and not force:
            raise CommandError(f"{target} exists; use --force to replace it")
        passphrase = passphrase or settings.DOCUMENT_SIGNING_PASSPHRASE or secrets.token_urlsafe(18)
        fingerprint = make_demo_certificate(
            target, passphrase=passphrase, common_name=settings.PROGRAMME_ISSUER
        )
        self.stdout.write(f"wrote {target} (certificate SHA-256 {fingerprint})")
        self.stdout.write("sign decision documents with it by setting:")
        self.stdout.write(f"  DOCUMENT_SIGNING_PKCS12={target.resolve()}")
        self.stdout.write(f"  DOCUMENT_SIGNING_PASSPHRASE={passphrase}")
