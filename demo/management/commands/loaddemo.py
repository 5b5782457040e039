from typing import Any

from django.core.management.base import BaseCommand

from demo.data import DEMO_PASSWORD, ensure_demo_data


class Command(BaseCommand):
    help = "Load the reference catalogue and demonstration logins (idempotent), and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = ensure_demo_data()
        self.stdout.write(self.style.SUCCESS(f"演示账号 Demo logins (password: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.username:<32} {login.description}")
