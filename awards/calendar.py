"""Working days: Monday to Friday, except the public holidays in the calendar, plus the weekend
days worked in their place (``Holiday.working``)."""

from __future__ import annotations

import datetime

from .models import Holiday


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The ``days``-th working day after ``start`` (the day itself does not count)."""
    horizon = start + datetime.timedelta(days=days * 3 + 30)
    exceptions = dict(
        Holiday.objects.filter(day__gt=start, day__lte=horizon).values_list("day", "working")
    )
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if exceptions.get(day, day.weekday() < 5):
            counted += 1
    return day
