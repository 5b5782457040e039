from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from demo.data import DEMO_PASSWORD, ensure_demo_data
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Load the reference catalogue and demonstration logins (idempotent), and print them."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "loaddemo makes logins that share a printed password: "
                "run it only for a demonstration, with DJANGO_DEBUG=1."
            )
        if not settings.STAFF_2FA_REQUIRED:
            self.stdout.write(
                "两步验证未启用（演示） Second factor for staff: off in this demo "
                "(STAFF_2FA_REQUIRED=1 turns it on)"
            )
        logins = ensure_demo_data()
        self.stdout.write(self.style.SUCCESS(f"演示账号 Demo logins (password: {DEMO_PASSWORD})"))
        for login in logins:
            self.stdout.write(f"  {login.username:<32} {login.description}")
