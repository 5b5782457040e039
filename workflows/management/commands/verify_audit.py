from typing import Any

from django.core.management.base import CommandError

from workflows.audit import verify_chain
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Verify the hash chain of the audit trail; exit non-zero naming the first bad entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if not result.intact:
            raise CommandError(
                f"audit chain broken at entry #{result.first_bad_seq}: {result.problem} "
                f"({result.count} entries verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {result.count} entries"))
