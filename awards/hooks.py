"""What the outcome reports tell the disbursement, without this app importing theirs: the app
that keeps the progress reports registers whether a request has an accepted one. With nothing
registered, a tranche paid on an accepted report is never due."""

from __future__ import annotations

from collections.abc import Callable

from workflows.models import FundingApplication

AcceptedReport = Callable[[FundingApplication], bool]

_accepted_report: list[AcceptedReport] = []


def register_accepted_report(answer: AcceptedReport) -> None:
    """Register ``has_accepted_report(application) -> bool``; registering twice is harmless."""
    if answer not in _accepted_report:
        _accepted_report.append(answer)


def has_accepted_report(application: FundingApplication) -> bool:
    return any(answer(application) for answer in _accepted_report)
