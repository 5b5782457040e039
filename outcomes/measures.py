"""What a report's figures mean: growth on the same period a year earlier, and the measures
that fell short of the period's target. Computed, never typed in."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from .models import Measure, OutcomeReport

if TYPE_CHECKING:
    from .targets import PeriodTarget

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Growth:
    """Growth in per cent on the same period a year earlier; None without an earlier period
    (or when it had nothing to grow from)."""

    sales_revenue: Decimal | None
    of_which_industrial: Decimal | None


def year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _percent(now: Decimal, before: Decimal) -> Decimal | None:
    if not before:
        return None
    return ((now - before) / before * 100).quantize(ONE_PLACE, ROUND_HALF_UP)


def earlier_report(report: OutcomeReport) -> OutcomeReport | None:
    """The application's report of the period that started a year before this one's (the one
    the lead department accepted, or the one submitted)."""
    return (
        OutcomeReport.objects.filter(
            application_id=report.application_id,
            period_start=year_earlier(report.period_start),
            state__in=(OutcomeReport.State.SUBMITTED, OutcomeReport.State.ACCEPTED),
        )
        .exclude(pk=report.pk)
        .first()
    )


def growth(report: OutcomeReport, earlier: OutcomeReport | None = None) -> Growth:
    earlier = earlier or earlier_report(report)
    if earlier is None:
        return Growth(None, None)
    return Growth(
        _percent(report.sales_revenue, earlier.sales_revenue),
        _percent(report.of_which_industrial, earlier.of_which_industrial),
    )


def shortfalls(report: OutcomeReport, target: PeriodTarget) -> list[str]:
    """The measures (``Measure`` codes) below the period's target."""
    return [m for m in Measure.values if getattr(report, m) < getattr(target, m)]


@dataclass(frozen=True)
class MeasureLine:
    """One row of targets against actuals."""

    code: str
    label: str
    target: Decimal | int | None
    actual: Decimal | int
    short: bool


def measure_lines(report: OutcomeReport) -> list[MeasureLine]:
    """The report's measures beside the target it was checked against."""
    target = report.target or {}
    lines = []
    for measure in Measure:
        raw = target.get(measure.value)
        value: Decimal | int | None
        if raw is None:
            value = None
        elif measure.value in ("sales_revenue", "of_which_industrial"):
            value = Decimal(str(raw))
        else:
            value = int(raw)
        lines.append(
            MeasureLine(
                measure.value,
                str(measure.label),
                value,
                getattr(report, measure.value),
                measure.value in (report.shortfalls or []),
            )
        )
    return lines
