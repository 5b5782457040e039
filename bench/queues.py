"""Time the tiers' queue pages with 10,000 applications in the database, and a joint meeting's
batch of 50 resolutions.

    .venv/bin/python bench/queues.py            # SQLite and, when reachable, PostgreSQL
    .venv/bin/python bench/queues.py sqlite     # one database

The 10,000 waiting applications are bulk-inserted with their review processes and open tasks
(``tests.factories.bulk_awaiting``: no history but the audit entry of their arrival at the
group or the meeting, ``tests.approvals.bulk``; enough for a read benchmark), spread over the
special projects and the three tiers. The queue page is the home view rendered through Django's
test client, as a lead-department officer and as the meeting secretary (median of 20 after a
warm-up). The batch is ``record_resolutions`` on 50 applications brought to the meeting through
the real services, without PDF rendering (the documents receiver is disconnected, as in
bench/transitions.py); notifications still go out after commit, to the in-memory mail backend.
Figures only; the targets are a queue page under 100 ms and a 50-item batch under 2 s.
"""

from __future__ import annotations

import datetime
import os
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

APPLICATIONS = 10_000
# How the waiting applications are spread over the tiers' tasks.
SPREAD = {"lead_review": 0.6, "assign_experts": 0.2, "meeting_review": 0.2}
PAGE_ROUNDS = 20
BATCH_SIZE = 50
BATCH_ROUNDS = 3


def run(database: str) -> None:
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import _django

    _django.setup(database)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from workflows import selectors
    from workflows.models import FundingApplication, SpecialProject

    without_documents()
    users = {u.username: u for u in get_user_model().objects.select_related("profile")}

    start = time.perf_counter()
    seed_waiting(list(SpecialProject.objects.order_by("code")))
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
        cursor.execute("ANALYZE")
    seeded = time.perf_counter() - start
    print(
        f"[{database}] seeded {FundingApplication.objects.count():,} applications "
        f"(bulk inserts with processes and open tasks) in {seeded:.1f} s"
    )

    project = SpecialProject.objects.select_related("lead_department").get(code="ZX01")
    officer = users[f"officer_{project.lead_department.code}"]
    for label, user in (("lead officer", officer), ("meeting secretary", users["secretary"])):
        client = Client()
        client.force_login(user)
        for _ in range(3):  # warm-up: connection, templates, caches
            page(client)
        queries = QueryCount()
        with connection.execute_wrapper(queries):
            response = page(client)
        times = [timed(lambda c=client: page(c)) for _ in range(PAGE_ROUNDS)]
        wall, cpu = (statistics.median(t[i] for t in times) * 1000 for i in (0, 1))
        print(
            f"[{database}] queue page as {label}: median {wall:.1f} ms "
            f"(this process's CPU {cpu:.1f} ms), max {max(t[0] for t in times) * 1000:.1f} ms "
            f"({listed(response)} tasks listed of "
            f"{selectors.queue_for(user).count():,} waiting, {queries.count} queries) "
            "— target < 100 ms"
        )

    batches = [time_batch(users, project, n) for n in range(BATCH_ROUNDS)]
    wall, cpu = (statistics.median(t[i] for t in batches) for i in (0, 1))
    print(
        f"[{database}] {BATCH_SIZE}-item batch resolution (record_resolutions, no PDF): "
        f"median {wall:.2f} s (this process's CPU {cpu:.2f} s) over {BATCH_ROUNDS} meetings "
        f"({', '.join(f'{t[0]:.2f}' for t in batches)} s) — target < 2 s"
    )


def timed(action) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of one call: on a shared machine the CPU time
    shows what the code costs when the wall clock also counts waiting for a core."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def without_documents() -> None:
    """No PDFs: this measures the queues and the batch, not the rendering."""
    from workflows.signals import transition_recorded

    for uid in ("documents.open_decision_document", "documents.open_decision_documents"):
        transition_recorded.disconnect(dispatch_uid=uid)
    try:
        from approvals.signals import meeting_resolved
    except ImportError:  # no minutes of meetings yet
        return
    meeting_resolved.disconnect(dispatch_uid="documents.open_meeting_minutes")


class QueryCount:
    """Counts the queries of a request (the test client's request resets Django's query log)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def listed(response) -> int:
    """The number of tasks the page's queue shows (its heading's count)."""
    match = re.search(r'<span class="count">(\d+)</span>', response.content.decode())
    return int(match.group(1)) if match else 0


def page(client):
    response = client.get("/", secure=True)
    assert response.status_code == 200, response.status_code
    return response


def seed_waiting(projects) -> None:
    """APPLICATIONS waiting applications in a call of their own (so they stay off the batch's
    agenda), spread over the special projects and the tiers, each with the audit entry of its
    arrival at the group or the meeting (whose reviewers see only what reached them)."""
    from tests.approvals.bulk import record_arrival
    from tests.factories import FundingCallFactory, bulk_awaiting

    call = FundingCallFactory(title="基准测试批次（批量数据）")
    for task, share in SPREAD.items():
        per_project = int(APPLICATIONS * share) // len(projects)
        for project in projects:
            record_arrival(bulk_awaiting(task, per_project, call=call, special_project=project))


def time_batch(users, project, round_number: int) -> tuple[float, float]:
    """Bring BATCH_SIZE applications to the meeting through the services, then time the
    meeting's resolutions on them."""
    from django.utils import timezone

    from approvals import meetings
    from demo.data import ensure_call

    call = ensure_call()
    applications = [
        to_meeting(users, project, call, f"BQ{round_number}{n:03d}") for n in range(BATCH_SIZE)
    ]
    secretary = users["secretary"]
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        # Held already: resolutions are recorded after the meeting, never before its date.
        held_on=timezone.localdate() - datetime.timedelta(days=30 - round_number),
        place="市政府第一会议室",
        chair="分管副市长",
    )
    agenda = meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    assert sorted(item.application_id for item in agenda) == sorted(a.pk for a in applications)
    resolutions = [
        meetings.Resolution(item.application_id, "approve", Decimal("2000000.00"), "审议通过")
        if n % 5
        else meetings.Resolution(item.application_id, "reject", None, "不符合支持方向")
        for n, item in enumerate(agenda)
    ]
    return timed(
        lambda: meetings.record_resolutions(
            meeting_id=meeting.pk, actor=secretary, resolutions=resolutions
        )
    )


def to_meeting(users, project, call, code: str):
    """One request from draft to the joint meeting's queue, through the real services."""
    from django.utils import timezone

    from approvals import group_review, lead_review, rubric
    from tests.factories import CHECKS_PASSED
    from workflows import assignments, drafts, submission

    applicant = users["applicant_enterprise"]
    officer = users[f"officer_{project.lead_department.code}"]
    chair = users["group_chair"]
    experts = [users[f"expert{n}"] for n in (1, 2, 3)]
    application = drafts.create_application(
        actor=applicant,
        data={
            "call": call,
            "special_project": project,
            "national_task_code": code,
            "title": "基准测试课题",
            "national_approval_number": "国科发专〔2026〕1号",
            "national_funding": Decimal("20000000"),
            "own_funds": Decimal("10000000"),
            "requested_amount": Decimal("5000000"),
            "landing_district": "haidian",
            "period_start": timezone.localdate(),
            "period_end": timezone.localdate() + datetime.timedelta(days=700),
        },
    )
    pk = application.pk
    submission.submit_application(application_id=pk, actor=applicant)
    assignments.claim_task(application_id=pk, actor=officer)
    lead_review.record_formal_check(
        application_id=pk,
        actor=officer,
        decision="accept",
        items=CHECKS_PASSED,
        reason="形式审查合格",
    )
    assignments.claim_task(application_id=pk, actor=chair)
    group_review.assign_experts(application_id=pk, actor=chair, expert_ids=[e.pk for e in experts])
    criteria = rubric.rubric_for(call)
    for expert in experts:
        group_review.declare_interest(application_id=pk, actor=expert, conflict=False)
        group_review.submit_scores(
            application_id=pk, actor=expert, scores={c.code: (80, "论证充分") for c in criteria}
        )
    assignments.claim_task(application_id=pk, actor=chair)
    group_review.record_group_recommendation(
        application_id=pk,
        actor=chair,
        decision="recommend",
        amount=Decimal("3000000"),
        reason="建议支持",
    )
    return application


def main() -> None:
    import _django

    _django.run_on_each_database(run, __file__, sys.argv[1:])


if __name__ == "__main__":
    main()
