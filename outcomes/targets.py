"""The outcome targets of each reporting period.

The funding agreement (任务书) commits the targets per period; the app that keeps it registers
a provider here (``register``). Without one, each period of ``settings.OUTCOME_REPORT_MONTHS``
months over the project's implementation period gets an even share of the figures the
application expected (new sales revenue, patents, jobs), so reports can be checked from the
start.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings

from workflows.models import FundingApplication

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PeriodTarget:
    """What one reporting period must reach (each measure for the period alone)."""

    index: int
    start: datetime.date
    end: datetime.date  # the last day of the period
    sales_revenue: Decimal
    of_which_industrial: Decimal
    patents_filed: int
    patents_granted: int
    jobs: int

    def as_record(self) -> dict[str, str | int]:
        return {
            "sales_revenue": str(self.sales_revenue),
            "of_which_industrial": str(self.of_which_industrial),
            "patents_filed": self.patents_filed,
            "patents_granted": self.patents_granted,
            "jobs": self.jobs,
        }


TargetProvider = Callable[[FundingApplication], list[PeriodTarget]]
_providers: list[TargetProvider] = []


def register(provider: TargetProvider) -> None:
    """Let the agreement's targets replace the default ones (registering again replaces)."""
    _providers[:] = [provider]


def targets_for(application: FundingApplication) -> list[PeriodTarget]:
    """The reporting periods of the application, in order, with their targets."""
    if _providers:
        return _providers[0](application)
    return default_targets(application)


def target_for(application: FundingApplication, index: int) -> PeriodTarget | None:
    return next((t for t in targets_for(application) if t.index == index), None)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has 28 days


def periods(
    start: datetime.date, end: datetime.date, months: int
) -> list[tuple[datetime.date, datetime.date]]:
    """The periods of ``months`` months from ``start``; the last one ends on ``end``."""
    found = []
    begin = start
    while begin <= end:
        following = add_months(begin, months)
        found.append((begin, min(following - datetime.timedelta(days=1), end)))
        begin = following
    return found


def _shares(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i >= parts - extra else 0) for i in range(parts)]


def default_targets(application: FundingApplication) -> list[PeriodTarget]:
    """An even share of the expected figures per period (the last periods take what does not
    divide evenly, so the shares add up to the expectation exactly)."""
    spans = periods(application.period_start, application.period_end, report_months())
    count = len(spans)
    revenue = application.expected_sales_revenue or Decimal(0)
    share = (revenue / count).quantize(CENT, ROUND_DOWN)
    revenues = [share] * (count - 1) + [revenue - share * (count - 1)]
    patents = _shares(application.expected_patents or 0, count)
    jobs = _shares(application.expected_jobs or 0, count)
    return [
        PeriodTarget(
            index=i + 1,
            start=begin,
            end=end,
            sales_revenue=revenues[i],
            of_which_industrial=Decimal("0.00"),
            patents_filed=patents[i],
            patents_granted=0,
            jobs=jobs[i],
        )
        for i, (begin, end) in enumerate(spans)
    ]


def report_months() -> int:
    return int(getattr(settings, "OUTCOME_REPORT_MONTHS", 6))
