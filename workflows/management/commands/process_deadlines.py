from typing import Any

from django.core.management.base import BaseCommand

from workflows.deadlines import process_deadlines


class Command(BaseCommand):
    help = (
        "Remind overdue tasks and escalate those still open after the escalation delay "
        "(the same job Celery beat runs hourly). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = process_deadlines()
        self.stdout.write(f"reminded {report.reminded}, escalated {report.escalated}")
