"""The demonstration of the outcome stages: reports, completion acceptance and recovery.

``run`` takes requests in execution (the funding agreement signed) and takes each through two
reporting periods — the second short of its target — and its completion acceptance: the first
passes and is closed, the second fails, the joint meeting orders the money back, it is repaid in
two parts and the project is closed. Every step goes through the outcomes app's public
services; the requests reach execution through the agreement's
(``demo.after_approval.carry_to_execution``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from outcomes import acceptance, recovery, reports
from outcomes.acceptance import ACCEPTANCE_RUBRIC
from outcomes.models import OutcomeReport
from outcomes.reports import ReportFigures
from workflows.models import FundingApplication

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# When an outcome request's implementation began, and how long it runs: two half-years are
# over and the end is near enough to request the acceptance.
STARTED_DAYS_AGO = 380
RUNS_DAYS = 410


@dataclass(frozen=True)
class OutcomesRun:
    reports: int = 0
    shortfalls: int = 0
    passed: int = 0
    failed: int = 0
    recovered: Decimal = Decimal("0.00")


def run(
    application_ids: list[int],
    *,
    applicants: dict[int, User],
    officers: dict[int, User],
    experts: list[User],
    secretary: User,
) -> OutcomesRun:
    """Drive each request in execution through its outcome stages (the first passes, every
    other one fails and is recovered)."""
    result = OutcomesRun()
    for n, pk in enumerate(application_ids):
        applicant, officer = applicants[pk], officers[pk]
        submitted = [_report(pk, applicant, index, short=(index == 2)) for index in (1, 2)]
        for report in submitted:
            reports.review_report(
                application_id=pk,
                actor=officer,
                period_index=report.period_index,
                decision="accept",
                reason=""
                if not report.shortfalls
                else "新增销售收入未达任务书目标，请加快产业化进度。",
            )
        passes = n % 2 == 0
        _acceptance(pk, applicant, officer, experts, passes=passes)
        recovered = Decimal("0.00")
        if passes:
            recovery.close_project(application_id=pk, actor=officer, reason="验收通过，予以结项。")
        else:
            recovered = _recovery(pk, officer, secretary)
        result = OutcomesRun(
            result.reports + len(submitted),
            result.shortfalls + sum(1 for r in submitted if r.shortfalls),
            result.passed + passes,
            result.failed + (not passes),
            result.recovered + recovered,
        )
    return result


def _report(pk: int, applicant: User, index: int, *, short: bool) -> OutcomeReport:
    application = FundingApplication.objects.get(pk=pk)
    share = (application.expected_sales_revenue / 2).quantize(Decimal("1"))
    revenue = share * (Decimal("0.4") if short else Decimal("1.2"))
    return reports.submit_report(
        application_id=pk,
        actor=applicant,
        period_index=index,
        figures=ReportFigures(
            sales_revenue=revenue,
            of_which_industrial=(revenue * Decimal("0.45")).quantize(Decimal("0.01")),
            patents_filed=max(application.expected_patents // 2, 1),
            patents_granted=1,
            jobs=application.expected_jobs // 2 + 1,
            district=application.landing_district_id,
            industrialised_in_beijing=application.industrialised_in_beijing,
            narrative="完成样机研制，进入小批量生产。" if not short else "市场推广慢于预期。",
        ),
    )


def _acceptance(
    pk: int, applicant: User, officer: User, experts: list[User], *, passes: bool
) -> None:
    acceptance.request_acceptance(
        application_id=pk, actor=applicant, summary="任务书各项研发任务已完成，成果已在京转化。"
    )
    acceptance.assign_acceptance_experts(
        application_id=pk, actor=officer, expert_ids=[e.pk for e in experts]
    )
    for n, expert in enumerate(experts):
        acceptance.declare_acceptance_interest(application_id=pk, actor=expert, conflict=False)
        value = (82 if passes else 48) + n * 3
        acceptance.submit_acceptance_scores(
            application_id=pk,
            actor=expert,
            scores={c.code: (value, f"{c.name}：意见见验收报告。") for c in ACCEPTANCE_RUBRIC},
        )
    acceptance.record_acceptance_outcome(
        application_id=pk,
        actor=officer,
        outcome="pass" if passes else "fail",
        reason="" if passes else "新增销售收入远低于任务书目标，产业化未实现。",
    )


def _recovery(pk: int, officer: User, secretary: User) -> Decimal:
    application = FundingApplication.objects.get(pk=pk)
    amount = (application.approved_amount or Decimal(0)) * Decimal("0.6")
    amount = amount.quantize(Decimal("0.01"))
    recovery.set_recovery_amount(
        application_id=pk, actor=secretary, amount=amount, reason="联席会议决定追回60%。"
    )
    first = (amount / 2).quantize(Decimal("0.01"))
    today = timezone.localdate()
    for part, days_ago in ((first, 10), (amount - first, 1)):
        recovery.record_repayment(
            application_id=pk,
            actor=officer,
            amount=part,
            paid_on=today - datetime.timedelta(days=days_ago),
            reference=f"HK-{pk}-{days_ago}",
        )
    recovery.close_recovery(application_id=pk, actor=officer)
    return amount
