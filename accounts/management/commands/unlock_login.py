import ipaddress
from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts.lockout import unlock
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = "Lift the login lockout of an account (USERNAME) and/or a client address (--address)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--address", default="", help="client IP address to unlock")

    def handle(self, *args: Any, **options: Any) -> None:
        username, address = options["username"], options["address"]
        if not username and not address:
            raise CommandError("Name the account to unlock (USERNAME) or --address IP.")
        if address:
            try:
                ipaddress.ip_address(address)
            except ValueError as exc:
                raise CommandError(f"--address {address!r} is not an IP address.") from exc
        removed = unlock(username=username, address=address)
        what = " and ".join(part for part in (username, address) if part)
        if removed:
            self.stdout.write(f"Unlocked {what} ({removed} failure counters removed).")
        else:
            self.stdout.write(f"{what} was not locked out.")
