"""manage.py verify_audit [--checkpoints DIR] [--public-key PEM]: check the whole audit trail.

Every application's hash chain, the old global chain, the Merkle tree against each checkpoint
(the signed files in DIR when given, which a database administrator cannot rewrite; otherwise
the database's own), and every application's current row against its latest entry.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from workflows.audit import verify_chain
from workflows.audit_checkpoints import (
    CheckpointError,
    SignedHead,
    checkpoints_enabled,
    load_public_key,
    read_checkpoint_dir,
    signing_key,
)
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Verify the audit trail: every chain, every checkpoint, every application's row "
        "against its history. Exit non-zero naming the first thing that does not match."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints", type=Path, help="a directory of signed checkpoint files"
        )
        parser.add_argument(
            "--public-key",
            type=Path,
            help="the checkpoints' Ed25519 public key (PEM); by default the configured key's",
        )
        parser.add_argument(
            "--documents",
            type=Path,
            help="a directory of decision documents (PDF): their checkpoints count as well",
        )
        parser.add_argument("--workers", type=int, default=None, help="processes to verify with")

    def handle(self, *args: Any, **options: Any) -> None:
        heads, key = None, None
        if options["public_key"]:
            try:
                key = load_public_key(options["public_key"].read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read the public key: {exc}", returncode=2) from exc
        elif checkpoints_enabled():
            try:
                key = signing_key().public_key()
            except CheckpointError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        if options["checkpoints"] is not None:
            if not options["checkpoints"].is_dir():
                raise CommandError(f"no such directory: {options['checkpoints']}", returncode=2)
            try:
                heads = read_checkpoint_dir(options["checkpoints"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        if options["documents"] is not None:
            if not options["documents"].is_dir():
                raise CommandError(f"no such directory: {options['documents']}", returncode=2)
            heads = (heads or []) + documents_checkpoints(options["documents"])
        if heads is not None and key is None:
            raise CommandError(
                "checking checkpoint files needs their public key: give --public-key",
                returncode=2,
            )
        result = verify_chain(workers=options["workers"], checkpoints=heads, public_key=key)
        if not result.intact:
            altered = ", ".join(str(pk) for pk in result.altered_applications)
            raise CommandError(
                f"audit trail broken: {result.problem}"
                + (f"; applications changed behind the service layer: {altered}" if altered else "")
                + f" ({len(result.problems)} problems, {result.count} entries read)"
            )
        rate = result.count / result.seconds if result.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"audit trail intact: {result.count} entries, {result.checkpoints} checkpoints "
                f"({result.seconds:.2f} s, {rate:,.0f} entries/s)"
            )
        )


def documents_checkpoints(directory: Path) -> list[SignedHead]:
    """The checkpoints that the decision documents in ``directory`` were issued under."""
    import io
    import json

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    heads = []
    for path in sorted(directory.glob("*.pdf")):
        try:
            data = PdfReader(io.BytesIO(path.read_bytes())).attachments.get("decision.json")
            proof = json.loads(data[0]).get("audit_proof") if data else None
        except (PdfReadError, ValueError, OSError) as exc:
            raise CommandError(f"{path} is not a readable decision document: {exc}") from exc
        if proof:
            heads.append(SignedHead.from_json(proof, source=path.name))
    return heads
