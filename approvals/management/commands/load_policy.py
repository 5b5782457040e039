"""manage.py load_policy FILE [--activate]: store a matching-fund policy version."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from approvals.policy import PolicyValidationError
from approvals.policy_store import load_policy
from workflows.errors import DomainError
from workflows.management.base import ProjectCommand


def refusal_for(path: str, exc: PolicyValidationError) -> CommandError:
    """One line saying what to fix first; below it every problem, when there are several."""
    problems = exc.problems
    first = problems[0]
    lines = [
        f"{path}: fix {len(problems)} problem(s) in the policy, starting with "
        f"{first.location} — {first.message_en} / {first.message_zh}; nothing was stored.",
        *(f"  - {p}" for p in problems if len(problems) > 1),
    ]
    return CommandError("\n".join(lines))


def read_policy_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read the policy file ({exc})") from exc


class Command(ProjectCommand):
    help = (
        "Validate a matching-fund policy document (YAML or JSON) and store it as a version; "
        "--activate puts it in force for its effective period. A version used by a decision "
        "cannot be changed: load a new version instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the policy document")
        parser.add_argument(
            "--activate", action="store_true", help="put the version in force for its period"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        text = read_policy_file(path)
        try:
            loaded = load_policy(text=text, activate=options["activate"])
        except PolicyValidationError as exc:
            raise refusal_for(path, exc) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message), returncode=exc.exit_code) from exc
        policy = loaded.policy
        period = f"{policy.effective_from} – {policy.effective_to or '…'}"
        what = {
            "created": "stored",
            "replaced": "replaced (the version was not used yet)",
            "unchanged": "unchanged (identical content already stored)",
        }[loaded.outcome]
        state = "active" if loaded.record.active else "not active (use --activate)"
        self.stdout.write(
            f"policy {policy.name} version {policy.version} {what}; "
            f"hash {policy.content_hash[:12]}; in force {period}; {state}"
        )
