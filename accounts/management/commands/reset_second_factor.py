from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from accounts import second_factor
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Remove a user's authenticator and backup codes (a lost phone): they enrol again at "
        "their next login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        second_factor.reset(user, actor=None)
        self.stdout.write(f"Second factor of {user.get_username()} reset: they enrol again.")
