"""Drive a realistic batch of requests through the three tiers without a browser."""

from __future__ import annotations

import datetime
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum
from django.utils import timezone

from documents.models import Document, DocumentStatus
from workflows import services
from workflows.audit import verify_chain
from workflows.demo_data import ensure_call, ensure_demo_data
from workflows.models import District, FundingApplication, Organisation, SpecialProject, Status

# Each scenario is the list of steps one request goes through; "claim" takes the open task.
SCENARIOS = {
    "approved": ["submit", "claim", "accept", "claim", "recommend", "claim", "approve"],
    "returned by lead, resubmitted, approved": [
        "submit", "claim", "return", "resubmit", "claim", "accept", "claim", "recommend",
        "claim", "approve"],
    "returned by group, resubmitted, approved": [
        "submit", "claim", "accept", "claim", "return", "resubmit", "claim", "recommend",
        "claim", "approve"],
    "returned by meeting, resubmitted, approved": [
        "submit", "claim", "accept", "claim", "recommend", "claim", "return", "resubmit",
        "claim", "approve"],
    "deferred, then approved": [
        "submit", "claim", "accept", "claim", "recommend", "claim", "defer", "claim", "approve"],
    "rejected by lead department": ["submit", "claim", "reject"],
    "rejected by review group": ["submit", "claim", "accept", "claim", "reject"],
    "rejected by joint meeting": [
        "submit", "claim", "accept", "claim", "recommend", "claim", "reject"],
    "withdrawn during group review": ["submit", "claim", "accept", "withdraw"],
    "deferred, awaiting next meeting": [
        "submit", "claim", "accept", "claim", "recommend", "claim", "defer"],
    "returned, awaiting revision": ["submit", "claim", "return"],
    "awaiting review group": ["submit", "claim", "accept"],
}
REASONS = {
    "lead": "国家批复文件不完整，请补充课题任务书及预算批复。",
    "group": "产业化方案与市场前景论证不足，请补充。",
    "meeting": "请明确在京落地转化的时间安排。",
}
REJECTIONS = {
    "lead": "不属于本批次覆盖的重大专项方向。",
    "group": "技术经济可行性不足，不予推荐。",
    "meeting": "经联席会议审议，不予支持。",
}
DISTRICTS = [d for d in District.values if d != District.OUTSIDE_BEIJING]


class Command(BaseCommand):
    help = ("Load the demo data if needed, drive a batch of requests through the three tiers, "
            "write every decision PDF into --out, print a summary and verify the audit trail.")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="folder for the decision PDFs")
        parser.add_argument("--count", type=int, default=36, help="requests to drive (≥ 30)")

    def handle(self, *args, out: str, count: int, **options):
        if count < 1:
            raise CommandError("--count must be at least 1")
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        ensure_demo_data()
        users = {u.username: u for u in get_user_model().objects.filter(profile__isnull=False)}
        organisations = list(Organisation.objects.order_by("kind", "name"))
        projects = list(SpecialProject.objects.select_related("lead_department").order_by("code"))
        call = ensure_call()
        batch = FundingApplication.objects.count()
        started = timezone.now()
        outcomes: Counter[str] = Counter()
        names = list(SCENARIOS)
        for i in range(count):
            scenario = names[i % len(names)]
            organisation = organisations[i % len(organisations)]
            project = projects[(i * 7) % len(projects)]
            applicant = users[f"applicant_{organisation.kind}"]
            application = services.create_application(actor=applicant, data={
                "call": call,
                "special_project": project,
                "national_task_code": f"{call.year}{project.code}-{batch + i + 1:04d}",
                "title": f"{project.name.split('、')[0]}关键技术在京产业化（示例{i + 1}）",
                "national_approval_number": f"国科发专〔{call.year}〕{100 + i}号",
                "national_funding": Decimal(20_000_000 + 1_500_000 * (i % 9)),
                "own_funds": Decimal(8_000_000 + 500_000 * (i % 5)),
                "requested_amount": Decimal(4_000_000 + 500_000 * (i % 11)),
                "funding_form": ("grant", "equity", "mixed")[i % 3],
                "landing_district": DISTRICTS[i % len(DISTRICTS)],
                "industrialised_in_beijing": i % 6 != 5,
                "period_start": timezone.localdate(),
                "period_end": timezone.localdate() + datetime.timedelta(days=365 * (2 + i % 3)),
                "expected_sales_revenue": Decimal(50_000_000 + 10_000_000 * (i % 7)),
                "expected_patents": 3 + i % 10,
                "expected_jobs": 20 + 5 * (i % 8),
                "summary": "面向首都产业需求，推动国家科技重大专项成果在京落地转化。",
            })
            self._drive(application, SCENARIOS[scenario], users, project, applicant, i)
            outcomes[scenario] += 1
        self._write_documents(out_dir, started)
        self._summary(started, outcomes)

    def _drive(self, application, steps, users, project, applicant, i):
        pk = application.pk
        tier_actor = {
            "lead": users[f"officer_{project.lead_department.code}"],
            "group": users[f"expert{1 + i % 3}"],
            "meeting": users["secretary"],
        }
        for step in steps:
            tier = FundingApplication.objects.get(pk=pk).current_tier
            actor = tier_actor.get(tier)
            if step == "submit":
                services.submit_application(application_id=pk, actor=applicant)
            elif step == "resubmit":
                services.resubmit_application(application_id=pk, actor=applicant)
            elif step == "withdraw":
                services.withdraw_application(application_id=pk, actor=applicant,
                                              reason="单位调整实施计划，主动撤回。")
            elif step == "claim":
                services.claim_task(application_id=pk, actor=actor)
            elif step == "accept":
                services.accept_for_review(application_id=pk, actor=actor,
                                           reason="材料齐全，符合受理条件。")
            elif step == "recommend":
                requested = FundingApplication.objects.get(pk=pk).requested_amount
                services.recommend_application(application_id=pk, actor=actor,
                                               amount=(requested * Decimal("0.8")).quantize(
                                                   Decimal("10000")),
                                               reason="符合区县功能定位，市场前景良好。")
            elif step == "approve":
                requested = FundingApplication.objects.get(pk=pk).requested_amount
                services.approve_application(application_id=pk, actor=actor,
                                             amount=(requested * Decimal("0.75")).quantize(
                                                 Decimal("10000")),
                                             reason="同意给予配套支持。")
            elif step == "defer":
                services.defer_application(application_id=pk, actor=actor,
                                           reason="待补充区县落地承诺后再议。")
            elif step == "return":
                services.return_application(application_id=pk, actor=actor, reason=REASONS[tier])
            elif step == "reject":
                services.reject_application(application_id=pk, actor=actor,
                                            reason=REJECTIONS[tier])

    def _write_documents(self, out_dir: Path, since) -> None:
        documents = Document.objects.filter(created_at__gte=since).order_by("id")
        written = 0
        for document in documents:
            if document.status != DocumentStatus.READY:
                self.stderr.write(f"document {document.number} is {document.status}: "
                                  f"{document.last_error}")
                continue
            with document.file.open("rb") as source, open(
                out_dir / f"{document.number}.pdf", "wb"
            ) as target:
                shutil.copyfileobj(source, target)
            written += 1
        self.stdout.write(f"\n{written} decision documents written to {out_dir}/")

    def _summary(self, since, outcomes: Counter[str]) -> None:
        batch = FundingApplication.objects.filter(created_at__gte=since)
        self.stdout.write("\nScenario                                        requests")
        for scenario, n in outcomes.items():
            self.stdout.write(f"  {scenario:<46}{n:>6}")
        self.stdout.write("\nFinal state            count")
        by_state = Counter(batch.values_list("status", flat=True))
        for status in Status:
            if by_state[status.value]:
                self.stdout.write(f"  {status.label:<20}{by_state[status.value]:>6}  "
                                  f"({status.value})")
        total = batch.aggregate(total=Sum("approved_amount"))["total"] or Decimal("0")
        self.stdout.write(f"  {'合计 total':<20}{batch.count():>6}")
        self.stdout.write(f"\nTotal approved amount: ¥{total:,.2f}")
        result = verify_chain()
        if not result.intact:
            raise CommandError(f"audit chain broken at #{result.first_bad_seq}: {result.problem}")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.count} entries"))
