from typing import Any

from demo.data import DEMO_PASSWORD, ensure_demo_data
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Load the reference catalogue and demonstration logins (idempotent), and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = ensure_demo_data()
        self.stdout.write(self.style.SUCCESS(f"演示账号 Demo logins (password: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.username:<32} {login.description}")
