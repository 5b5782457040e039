from typing import Any

from workflows.deadlines import process_deadlines
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Remind overdue tasks and escalate those still open after the escalation delay "
        "(the same job Celery beat runs hourly). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = process_deadlines()
        self.stdout.write(f"reminded {report.reminded}, escalated {report.escalated}")
