"""Drive a realistic batch of requests through the three tiers without a browser."""

from __future__ import annotations

import datetime
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management.base import CommandError, CommandParser
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone

from approvals import group_review, lead_review, meetings, rubric
from approvals.assessment import assess
from approvals.models import CheckItem
from demo import outcomes_demo
from demo.after_approval import carry_to_execution, run_after_approval
from demo.data import DEMO_CALL_BUDGET, ensure_call, ensure_demo_data
from documents.models import Document, DocumentStatus
from workflows import assignments, drafts, submission
from workflows.audit import verify_chain
from workflows.deadlines import DeadlineReport, process_deadlines
from workflows.flows import ReviewFlow
from workflows.management.base import ProjectCommand
from workflows.models import (
    AuditEntry,
    FundingApplication,
    FundingCall,
    Organisation,
    SpecialProject,
    Status,
)

# What happens to each request: the steps before the meeting, then the meeting's resolutions.
SCENARIOS = {
    "approved": (["accept", "score", "recommend"], ["approve"]),
    "returned by lead, resubmitted, approved": (
        ["return_lead", "resubmit", "accept", "score", "recommend"],
        ["approve"],
    ),
    "returned by group, resubmitted, approved": (
        ["accept", "score", "return_group", "resubmit", "score", "recommend"],
        ["approve"],
    ),
    "returned by meeting, resubmitted, approved": (
        ["accept", "score", "recommend"],
        ["return", "approve"],
    ),
    "expert conflict, reassigned, approved": (
        ["accept", "score_with_conflict", "recommend"],
        ["approve"],
    ),
    "deferred, then approved": (["accept", "score", "recommend"], ["defer", "approve"]),
    "rejected by lead department": (["reject_lead"], []),
    "rejected by review group": (["accept", "score", "reject_group"], []),
    "rejected by joint meeting": (["accept", "score", "recommend"], ["reject"]),
    "withdrawn during group review": (["accept", "withdraw"], []),
    "deferred twice, awaiting next meeting": (["accept", "score", "recommend"], ["defer", "defer"]),
    "returned, awaiting revision": (["return_lead"], []),
}
RETURN_REASONS = {
    "lead": [{"item": "national_approval_present", "text": "缺少国家课题任务书及预算批复。"}],
    "group": [{"item": "", "text": "产业化方案与市场前景论证不足，请补充。"}],
    "meeting": [{"item": "", "text": "请明确在京落地转化的时间安排。"}],
}
# Where the demonstration's projects land: the sixteen districts, in turn.
DISTRICTS = [
    "dongcheng",
    "xicheng",
    "chaoyang",
    "haidian",
    "fengtai",
    "shijingshan",
    "mentougou",
    "fangshan",
    "tongzhou",
    "shunyi",
    "changping",
    "daxing",
    "huairou",
    "pinggu",
    "miyun",
    "yanqing",
]
CHECKS_PASSED = {item: {"passed": True, "note": ""} for item in CheckItem.values}


def writable_folder(out: str) -> Path:
    """The folder for the PDFs, made if missing, once a file could be written into it."""
    if not out.strip():
        raise CommandError("--out is empty: name a folder for the decision PDFs (--out demo-out)")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"--out {out} is a file: name a folder for the decision PDFs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CommandError(
            f"cannot write the decision PDFs into {out} ({exc.strerror}): name a folder you may "
            "write to; nothing was stored",
            returncode=2,
        ) from exc
    return folder


def call_of_this_run() -> FundingCall:
    """The demonstration call while no request was filed under it; then, on every later run,
    a call of the run's own (same period and special projects, a fresh budget), so that each
    run has the whole budget and pooled balances to itself however often the demo is run."""
    call = ensure_call()
    if not call.applications.exists():
        return call
    runs = FundingCall.objects.filter(year=call.year, title__startswith=call.title).count()
    own = FundingCall.objects.create(
        year=call.year,
        title=f"{call.title}（演示第 {runs + 1} 轮）",
        opens_at=call.opens_at,
        closes_at=call.closes_at,
        total_budget=DEMO_CALL_BUDGET,
    )
    own.special_projects.set(call.special_projects.all())
    return own


class Command(ProjectCommand):
    help = (
        "Load the demo data if needed, drive a batch of requests through the three tiers "
        "(experts, a conflict of interest, two joint meetings with deferrals, an escalation), "
        "write every decision PDF into --out, print a summary and verify the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="folder for the decision PDFs")
        parser.add_argument("--count", type=int, default=36, help="requests to drive (≥ 30)")

    def handle(self, *args: Any, out: str, count: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo fills the database with made-up requests and logins: "
                "run it only for a demonstration, with DJANGO_DEBUG=1."
            )
        if count < 1:
            raise CommandError("--count must be at least 1")
        out_dir = writable_folder(out)  # before anything is stored
        ensure_demo_data()
        self.users = {u.username: u for u in get_user_model().objects.filter(profile__isnull=False)}
        self.call = call_of_this_run()
        started = timezone.now()
        names = list(SCENARIOS)
        plans: dict[int, str] = {}
        # Notifications are counted, not printed, during the demo.
        settings_override = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        )
        settings_override.enable()
        mail.outbox = []
        for i in range(count):
            scenario = names[i % len(names)]
            application = self._create(i)
            plans[application.pk] = scenario
            for step in SCENARIOS[scenario][0]:
                self._step(application.pk, step, i)
        # Two requests whose implementation began a while ago, for the stages after the approval.
        executed = []
        for n in range(2):
            application = self._create(n, started_days_ago=outcomes_demo.STARTED_DAYS_AGO)
            plans[application.pk] = "approved"
            executed.append(application.pk)
            for step in ("accept", "score", "recommend"):
                self._step(application.pk, step, n)
        meetings_held = self._meetings(plans)
        after = run_after_approval(self.users, self.call, exclude=executed)
        outcomes = self._outcomes(executed)
        escalation = self._escalation()
        settings_override.disable()
        self._write_documents(out_dir, started)
        self._summary(started, Counter(plans.values()), meetings_held, escalation)
        self.stdout.write(
            f"After the approval: {outcomes.reports} progress reports "
            f"({outcomes.shortfalls} short of target), acceptance {outcomes.passed} passed and "
            f"{outcomes.failed} failed, ¥{outcomes.recovered:,.2f} recovered; "
            f"{after.noticed} notice(s), objections "
            f"{after.objections_dismissed} dismissed / {after.objections_upheld} upheld, "
            f"{after.final} final, {after.signed} agreement(s) signed, "
            f"{after.amendments} amendment(s), {after.tranches_released} tranche(s) released, "
            f"{len(after.equity)} equity holding(s) exited"
        )
        self.stdout.write(f"Notifications sent: {len(mail.outbox)} e-mails")

    # --- one request --------------------------------------------------------------------------
    def _create(self, i: int, *, started_days_ago: int = 0) -> FundingApplication:
        organisations = list(Organisation.objects.order_by("kind", "name"))
        projects = list(SpecialProject.objects.select_related("lead_department").order_by("code"))
        organisation = organisations[i % len(organisations)]
        project = projects[(i * 7) % len(projects)]
        applicant = self.users[f"applicant_{organisation.kind}"]
        serial = FundingApplication.objects.count() + 1
        start = timezone.localdate() - datetime.timedelta(days=started_days_ago)
        application = drafts.create_application(
            actor=applicant,
            data={
                "call": self.call,
                "special_project": project,
                "national_task_code": f"{self.call.year}{project.code}-{serial:04d}",
                "title": f"{project.name.split('、')[0]}关键技术在京产业化（示例{serial}）",
                "national_approval_number": f"国科发专〔{self.call.year}〕{100 + serial}号",
                "national_funding": Decimal(20_000_000 + 1_500_000 * (i % 9)),
                "own_funds": Decimal(8_000_000 + 500_000 * (i % 5)),
                "requested_amount": Decimal(4_000_000 + 500_000 * (i % 11)),
                "funding_form": ("grant", "equity", "mixed")[i % 3],
                "landing_district": DISTRICTS[i % len(DISTRICTS)],
                "industrialised_in_beijing": i % 6 != 5,
                "period_start": start,
                "period_end": start
                + datetime.timedelta(
                    days=outcomes_demo.RUNS_DAYS if started_days_ago else 365 * (2 + i % 3)
                ),
                "expected_sales_revenue": Decimal(50_000_000 + 10_000_000 * (i % 7)),
                "expected_patents": 3 + i % 10,
                "expected_jobs": 20 + 5 * (i % 8),
                "summary": "面向首都产业需求，推动国家科技重大专项成果在京落地转化。",
            },
        )
        return submission.submit_application(application_id=application.pk, actor=applicant)

    def _step(self, pk: int, step: str, i: int) -> None:
        application = FundingApplication.objects.select_related(
            "organisation", "special_project__lead_department"
        ).get(pk=pk)
        applicant = self.users[f"applicant_{application.organisation.kind}"]
        officer = self.users[f"officer_{application.special_project.lead_department.code}"]
        chair = self.users["group_chair"]
        if step == "accept":
            assignments.claim_task(application_id=pk, actor=officer)
            lead_review.record_formal_check(
                application_id=pk,
                actor=officer,
                decision="accept",
                items=CHECKS_PASSED,
                reason="材料齐全，符合受理条件。",
            )
        elif step in ("score", "score_with_conflict"):
            self._score(pk, i, conflict=step == "score_with_conflict")
        elif step == "recommend":
            assignments.claim_task(application_id=pk, actor=chair)
            # Under a policy in force the group recommends the assessed amount; without one,
            # the chair enters it by hand.
            amount = (
                None
                if assess(application)
                else (application.requested_amount * Decimal("0.8")).quantize(Decimal("10000"))
            )
            group_review.record_group_recommendation(
                application_id=pk,
                actor=chair,
                decision="recommend",
                amount=amount,
                reason="符合区县功能定位，市场前景良好，建议支持。",
            )
        elif step == "return_lead":
            assignments.claim_task(application_id=pk, actor=officer)
            items = {
                **CHECKS_PASSED,
                "national_approval_present": {
                    "passed": False,
                    "note": RETURN_REASONS["lead"][0]["text"],
                },
            }
            lead_review.record_formal_check(
                application_id=pk, actor=officer, decision="return", items=items
            )
        elif step == "return_group":
            assignments.claim_task(application_id=pk, actor=chair)
            group_review.record_group_recommendation(
                application_id=pk,
                actor=chair,
                decision="return",
                reason=RETURN_REASONS["group"][0]["text"],
            )
        elif step == "reject_lead":
            assignments.claim_task(application_id=pk, actor=officer)
            lead_review.record_formal_check(
                application_id=pk,
                actor=officer,
                decision="reject",
                items=CHECKS_PASSED,
                reason="不属于本批次覆盖的重大专项支持方向。",
            )
        elif step == "reject_group":
            assignments.claim_task(application_id=pk, actor=chair)
            group_review.record_group_recommendation(
                application_id=pk,
                actor=chair,
                decision="reject",
                reason="技术经济可行性不足，不予推荐。",
            )
        elif step == "resubmit":
            submission.resubmit_application(application_id=pk, actor=applicant)
        elif step == "withdraw":
            submission.withdraw_application(
                application_id=pk, actor=applicant, reason="单位调整实施计划，主动撤回。"
            )

    def _score(self, pk: int, i: int, *, conflict: bool) -> None:
        chair = self.users["group_chair"]
        experts = [self.users[f"expert{n}"] for n in (1, 2, 3)]
        assignments.claim_task(application_id=pk, actor=chair)
        group_review.assign_experts(
            application_id=pk, actor=chair, expert_ids=[e.pk for e in experts]
        )
        if conflict:
            group_review.declare_interest(
                application_id=pk,
                actor=experts[0],
                conflict=True,
                reason="本人曾参与该课题的前期研究。",
            )
            group_review.replace_expert(
                application_id=pk, actor=chair, expert_id=self.users["expert4"].pk
            )
            experts = [self.users["expert4"], *experts[1:]]
        criteria = rubric.rubric_for(self.call)
        for n, expert in enumerate(experts):
            group_review.declare_interest(application_id=pk, actor=expert, conflict=False)
            group_review.submit_scores(
                application_id=pk,
                actor=expert,
                scores={
                    c.code: (60 + (i * 7 + n * 5 + len(c.code)) % 36, f"{c.name}：论证较充分。")
                    for c in criteria
                },
            )

    # --- the joint meetings -------------------------------------------------------------------
    def _meetings(self, plans: dict[int, str]) -> int:
        secretary = self.users["secretary"]
        held = 0
        for round_no in (0, 1):
            meeting = meetings.create_meeting(
                actor=secretary,
                call_id=self.call.pk,
                held_on=timezone.localdate() - datetime.timedelta(days=7 * (2 - round_no)),
                place="北京市人民政府第一会议室",
                chair="主管副市长",
            )
            items = meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
            if not items:
                meeting.delete()
                continue
            resolutions = []
            for item in items:
                decisions = SCENARIOS[plans.get(item.application_id, "approved")][1] or ["defer"]
                decision = decisions[min(round_no, len(decisions) - 1)]
                amount = (
                    (cast(Decimal, item.recommended_amount) * Decimal("0.9")).quantize(
                        Decimal("10000")
                    )
                    if decision == "approve"
                    else None
                )
                reason = {
                    "approve": "同意给予配套支持。",
                    "reject": "经审议，不予支持。",
                    "defer": "待补充区县落地承诺后再议。",
                    "return": RETURN_REASONS["meeting"][0]["text"],
                }[decision]
                resolutions.append(
                    meetings.Resolution(item.application_id, decision, amount, reason)
                )
            meetings.record_resolutions(
                meeting_id=meeting.pk, actor=secretary, resolutions=resolutions
            )
            held += 1
            for resolution in resolutions:  # the applicant answers the meeting's return
                if resolution.decision == "return":
                    application = FundingApplication.objects.select_related("organisation").get(
                        pk=resolution.application_id
                    )
                    submission.resubmit_application(
                        application_id=application.pk,
                        actor=self.users[f"applicant_{application.organisation.kind}"],
                    )
        return held

    def _outcomes(self, application_ids: list[int]) -> outcomes_demo.OutcomesRun:
        """The approved ones of ``application_ids`` through execution: reports, acceptance,
        recovery (demo/outcomes_demo.py)."""
        approved = list(
            FundingApplication.objects.filter(pk__in=application_ids, status=Status.APPROVED)
            .select_related("organisation", "special_project__lead_department")
            .order_by("pk")
        )
        applicants = {a.pk: self.users[f"applicant_{a.organisation.kind}"] for a in approved}
        officers = {
            a.pk: self.users[f"officer_{a.special_project.lead_department.code}"] for a in approved
        }
        pks = [a.pk for a in approved]
        carry_to_execution(pks, self.users)
        return outcomes_demo.run(
            pks,
            applicants=applicants,
            officers=officers,
            experts=[self.users[f"expert{n}"] for n in (1, 2, 5)],
            secretary=self.users["secretary"],
        )

    def _escalation(self) -> DeadlineReport:
        """An overdue request at tier 1: its task is dated back past the limit and the
        deadline job reminds the officer, then escalates to the department head."""
        application = self._create(0)
        ReviewFlow.task_class._default_manager.filter(
            process_id=application.review_process_id
        ).update(
            created=timezone.now()
            - datetime.timedelta(days=self.call.lead_days + self.call.escalate_after_days + 1)
        )
        return process_deadlines()

    # --- output ---------------------------------------------------------------------------------
    def _write_documents(self, out_dir: Path, since: datetime.datetime) -> None:
        written = 0
        for document in Document.objects.filter(created_at__gte=since).order_by("id"):
            if document.status != DocumentStatus.READY:
                self.stderr.write(
                    f"document {document.number} is {document.status}: {document.last_error}"
                )
                continue
            with (
                document.file.open("rb") as source,
                open(out_dir / f"{document.number}.pdf", "wb") as target,
            ):
                shutil.copyfileobj(source, target)
            written += 1
        self.stdout.write(f"\n{written} decision documents written to {out_dir}/")

    def _summary(
        self,
        since: datetime.datetime,
        outcomes: Counter[str],
        meetings_held: int,
        escalation: DeadlineReport,
    ) -> None:
        batch = FundingApplication.objects.filter(created_at__gte=since)
        self.stdout.write("\nScenario                                        requests")
        for scenario, n in outcomes.items():
            self.stdout.write(f"  {scenario:<46}{n:>6}")
        self.stdout.write("\nFinal state                        count")
        by_state = Counter(batch.values_list("status", flat=True))
        for status in Status:
            if by_state[status.value]:
                self.stdout.write(
                    f"  {status.value:<16}{status.label!s:<14}{by_state[status.value]:>6}"
                )
        self.stdout.write(f"  {'total':<30}{batch.count():>6}")
        events = Counter(
            AuditEntry.objects.filter(at__gte=since).values_list("transition", flat=True)
        )
        total = batch.aggregate(total=Sum("approved_amount"))["total"] or Decimal("0")
        self.stdout.write(
            f"\nExperts assigned: {events['assign_experts']} panels, "
            f"{events['score']} score sheets, "
            f"{events['declare_conflict']} conflict(s) of interest declared and "
            f"reassigned ({events['reassign']})"
        )
        self.stdout.write(f"Joint meetings held: {meetings_held}; deferrals: {events['defer']}")
        self.stdout.write(
            f"Deadlines: {escalation.reminded} reminder(s), {escalation.escalated} escalation(s)"
        )
        self.stdout.write(
            f"Total approved amount: ¥{total:,.2f} (call budget ¥{self.call.total_budget:,.2f})"
        )
        result = verify_chain()
        if not result.intact:
            raise CommandError(f"audit chain broken at #{result.first_bad_seq}: {result.problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.count} entries"))
