"""The calendar the public notice counts its working days in: list it, or set a day."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from awards.models import Holiday
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "List the holiday calendar, or set one day: a public holiday (the default) or, with "
        "--working, a weekend day worked in its place (调休)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("day", nargs="?", help="YYYY-MM-DD; without it, the calendar is listed")
        parser.add_argument("name", nargs="?", default="", help="the holiday's name")
        parser.add_argument("--working", action="store_true", help="a weekend day worked")
        parser.add_argument("--remove", action="store_true", help="take the day off the calendar")

    def handle(
        self, *args: Any, day: str | None, name: str, working: bool, remove: bool, **options: Any
    ) -> None:
        if day is None:
            for holiday in Holiday.objects.order_by("day"):
                kind = "working" if holiday.working else "holiday"
                self.stdout.write(f"{holiday.day.isoformat()}  {kind:<8} {holiday.name}")
            return
        try:
            date = datetime.date.fromisoformat(day)
        except ValueError as exc:
            raise CommandError(f"{day!r} is not a date: write it as YYYY-MM-DD") from exc
        if remove:
            deleted, _ = Holiday.objects.filter(day=date).delete()
            self.stdout.write(f"{date.isoformat()} removed" if deleted else f"{date} not listed")
            return
        if not name.strip():
            raise CommandError("name the day, e.g. `manage.py holidays 2026-10-01 国庆节`")
        Holiday.objects.update_or_create(
            day=date, defaults={"name": name.strip()[:60], "working": working}
        )
        self.stdout.write(f"{date.isoformat()} {'working' if working else 'holiday'} {name}")
