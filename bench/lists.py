"""Time every list, queue and dashboard page, first and last page, as each role; the CSV export
of every request; and a search on a Chinese word — at 10,000 requests and at the full size.

    .venv/bin/python bench/lists.py sqlite              # 20,000 requests, 100,000 entries
    .venv/bin/python bench/lists.py postgres            # 100,000 requests, 1,000,000 entries
    .venv/bin/python bench/lists.py postgres --build-only   # build the data and stop
    .venv/bin/python bench/lists.py postgres --reuse    # measure the data built last time
    BENCH_LIST_SIZE=50000 .venv/bin/python bench/lists.py sqlite
    BENCH_PAGES=queue,dashboard .venv/bin/python bench/lists.py postgres --reuse   # only these

The requests are written with bulk inserts (no services: minutes instead of hours), spread over
the demo's special projects, 200 organisations, the districts, both forms of support, a year
of creation dates and these statuses: waiting at each tier with its open flow task, approved,
rejected, draft; each past its draft has the finished flow tasks of its path (some 310,000 at
100,000 requests, beside 60,000 open ones). Each has its audit trail (the moves that brought
it to its status, then people-side entries up to twelve per request on PostgreSQL, 1,080,000
at 100,000; five on SQLite; hashes are not chained: nothing here verifies them), two
access-log entries, and its decision documents (the acceptance once past the lead department,
the approval once approved: some 110,000 at 100,000 requests; no files, nothing here downloads
them).

Each page is fetched through Django's test client (median of RUNS after a warm-up) and its
queries are counted; the query count must not grow with the data. The export is timed once
as served, and its peak memory measured in a second run with tracemalloc (Python's
allocations; the process's peak RSS is printed beside it). Figures only; targets: page
median < 150 ms with a constant query count, export < 10 s and < 150 MB, search < 200 ms.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

FULL = {"sqlite": 20_000, "postgres": 100_000}
ENTRIES_PER_REQUEST = {"sqlite": 5, "postgres": 12}
FIRST_STEP = 10_000
RUNS = 5
WORDS = ("芯片", "光刻", "新药", "传感器", "量子通信", "航空发动机", "数控机床", "宽带网络")
SEARCH_WORD = "光刻"
# How the requests are spread over the statuses (and the open task of those waiting).
SPREAD = (
    ("submitted", "lead_review", 0.25),
    ("group_review", "assign_experts", 0.2),
    ("meeting_review", "meeting_review", 0.15),
    ("approved", None, 0.2),
    ("rejected", None, 0.1),
    ("draft", None, 0.1),
)
PATH = {  # the moves that bring a request to its status: (transition, source, target, tier)
    "draft": [],
    "submitted": [("submit", "draft", "submitted", "")],
    "group_review": [
        ("submit", "draft", "submitted", ""),
        ("receive", "submitted", "lead_review", "lead"),
        ("accept_for_review", "lead_review", "group_review", "lead"),
    ],
}
PATH["meeting_review"] = [
    *PATH["group_review"],
    ("recommend", "group_review", "meeting_review", "group"),
]
PATH["approved"] = [*PATH["meeting_review"], ("approve", "meeting_review", "approved", "meeting")]
PATH["rejected"] = [*PATH["group_review"], ("reject", "group_review", "rejected", "group")]
# The flow tasks a request's path has finished (a queue reads only the open ones, among all).
REVIEWED = ["lead_review", "assign_experts", "score", "score", "score", "group_decision"]
FINISHED = {
    "draft": [],
    "submitted": [],
    "group_review": ["lead_review"],
    "meeting_review": REVIEWED,
    "approved": [*REVIEWED, "meeting_review"],
    "rejected": REVIEWED,
}


def run(database: str, reuse: bool, build_only: bool = False) -> None:
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["STAFF_2FA_REQUIRED"] = "0"
    os.environ["DJANGO_SSL_REDIRECT"] = "0"
    import _django

    if reuse and database == "postgres":
        _reconnect()
    else:
        _django.setup(database)
    from django.core.management import call_command

    from workflows.models import FundingApplication

    call_command("createcachetable", verbosity=0)  # the dashboard keeps its figures there
    full = int(os.environ.get("BENCH_LIST_SIZE", FULL[database]))
    print(f"[{database}] load: {_load()}")
    sizes = sorted({min(FIRST_STEP, full), full})
    if reuse:  # measure the data as it was left, at its size
        sizes = [max(FundingApplication.objects.count(), full)]
    if build_only:
        sizes = [full]
    for size in sizes:
        have = FundingApplication.objects.count()
        if have < size:
            started = time.perf_counter()
            grow(size - have, ENTRIES_PER_REQUEST[database])
            print(f"[{database}] built {size:,} requests in {time.perf_counter() - started:.0f} s")
        if not build_only:
            measure(database, size)
    if os.environ.get("BENCH_PROFILE"):
        profile(os.environ["BENCH_PROFILE"], os.environ.get("BENCH_PROFILE_USER", "auditor"))


def _reconnect() -> None:
    import _django

    sys.path.insert(0, str(_django.ROOT))
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", _django.PG_URL)
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DOCUMENT_VERIFY_BASE_URL", "https://funds.example.invalid")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from demo.data import ensure_demo_data

    ensure_demo_data()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


# --- the data -------------------------------------------------------------------------------


def grow(count: int, entries_per_request: int) -> None:
    """``count`` more requests, with their processes, open tasks, audit entries and access-log
    entries, written in bulk."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import AccessEvent, AccessKind
    from demo.data import ensure_call
    from workflows.flows import ReviewFlow
    from workflows.models import District, FundingApplication, Organisation, SpecialProject
    from workflows.review_path import STATUS_TIER, furthest_tier_after

    rng = random.Random(count)
    call = ensure_call()
    projects = list(SpecialProject.objects.order_by("code"))
    organisations = _organisations(Organisation)
    applicant = get_user_model().objects.get(username="applicant_enterprise")
    districts = list(District.objects.exclude(code="outside").values_list("code", flat=True))
    content_type = ContentType.objects.get_for_model(FundingApplication)
    now = timezone.now()
    start = FundingApplication.objects.count()
    statuses = [s for s, _t, share in SPREAD for _ in range(int(share * 100))]
    task_of = {s: t for s, t, _share in SPREAD}
    furthest = dict.fromkeys(task_of, "")  # as the moves of each status's path leave it
    for status, moves in PATH.items():
        for _transition, _source, target, _tier in moves:
            furthest[status] = furthest_tier_after(furthest[status], target)
    zero = datetime.timedelta(0)
    tier_of = {str(status): str(tier) for status, tier in STATUS_TIER.items()}
    chunk = 5000
    for first in range(0, count, chunk):
        with transaction.atomic():
            rows = []
            for n in range(start + first, start + min(first + chunk, count)):
                status = statuses[n % len(statuses)]
                created = now - datetime.timedelta(seconds=rng.randrange(365 * 86400))
                requested = Decimal(rng.randrange(1_000, 9_000)) * 1000
                times = dict.fromkeys(("lead", "group", "meeting"))
                since = None
                for (_t, source, _target, _tier), at in zip(
                    PATH[status], _move_times(created, PATH[status]), strict=True
                ):
                    tier = tier_of.get(source)
                    if tier and since is not None:
                        times[tier] = (times[tier] or zero) + (at - since)
                    since = at
                rows.append(
                    FundingApplication(
                        organisation=rng.choice(organisations),
                        call=call,
                        special_project=rng.choice(projects),
                        national_task_code=f"2026ZX{n:07d}",
                        title=f"{rng.choice(WORDS)}关键技术研发与产业化（{n}）",
                        national_approval_number=f"国科发专〔2026〕{n}号",
                        national_funding=Decimal("20000000.00"),
                        own_funds=Decimal("10000000.00"),
                        requested_amount=requested,
                        approved_amount=requested * Decimal("0.8")
                        if status == "approved"
                        else None,
                        funding_form=rng.choice(("grant", "grant", "equity", "mixed")),
                        landing_district_id=rng.choice(districts),
                        period_start=created.date(),
                        period_end=created.date() + datetime.timedelta(days=1000),
                        status=status,
                        furthest_tier=furthest[status],
                        status_since=since,
                        time_at_lead=times["lead"],
                        time_at_group=times["group"],
                        time_at_meeting=times["meeting"],
                        created_by=applicant,
                        created_at=created,
                        submitted_at=None if status == "draft" else created,
                        decided_at=created + datetime.timedelta(days=40)
                        if status in ("approved", "rejected")
                        else None,
                    )
                )
            reviewed = [a for a in rows if a.status != "draft"]
            processes = ReviewFlow.process_class._default_manager.bulk_create(
                [
                    ReviewFlow.process_class(
                        flow_class=ReviewFlow, status="NEW" if task_of[a.status] else "DONE"
                    )
                    for a in reviewed
                ]
            )
            for application, process in zip(reviewed, processes, strict=True):
                application.review_process = process
            FundingApplication.objects.bulk_create(rows, batch_size=1000)
            tasks = []
            for application in reviewed:
                for position, name in enumerate(FINISHED[application.status], 1):
                    node = getattr(ReviewFlow, name)
                    done = application.created_at + datetime.timedelta(days=2 * position)
                    tasks.append(
                        ReviewFlow.task_class(
                            process=application.review_process,
                            flow_task=node,
                            flow_task_type=node.task_type,
                            status="DONE",
                            created=done - datetime.timedelta(days=1),
                            finished=done,
                        )
                    )
            waiting = [a for a in rows if task_of[a.status]]
            for application in waiting:
                node = getattr(ReviewFlow, task_of[application.status])
                tasks.append(
                    ReviewFlow.task_class(
                        process=application.review_process,
                        flow_task=node,
                        flow_task_type=node.task_type,
                        status="NEW",
                        owner_permission=node._owner_permission,
                        owner_permission_content_type=content_type,
                        owner_permission_obj_pk=str(application.pk),
                        created=application.created_at + datetime.timedelta(days=30),
                    )
                )
            ReviewFlow.task_class._default_manager.bulk_create(tasks, batch_size=1000)
            _write_entries(connection, rows, entries_per_request)
            _write_documents(rows)
            AccessEvent.objects.bulk_create(
                [
                    AccessEvent(
                        kind=AccessKind.READ_APPLICATION,
                        username="auditor",
                        application_id=a.pk,
                        target=a.national_task_code,
                        at=a.created_at + datetime.timedelta(hours=h),
                    )
                    for a in rows
                    for h in (1, 2)
                ],
                batch_size=2000,
            )
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
        cursor.execute("ANALYZE")


def _organisations(model) -> list:
    from demo.data import credit_code

    have = list(model.objects.filter(name__startswith="基准单位"))
    if have:
        return have
    model.objects.bulk_create(
        [
            model(
                name=f"基准单位{n:03d}（北京）科技有限公司",
                kind="enterprise",
                district_id="haidian",
                credit_code=credit_code(f"9111{n:013d}"),
            )
            for n in range(200)
        ]
    )
    return list(model.objects.filter(name__startswith="基准单位"))


def _move_times(created: datetime.datetime, moves: list) -> list[datetime.datetime]:
    """When each move of a request's path was made: the first two days and three hours after
    its creation, each next one two days more after the one before."""
    times = []
    at = created
    for position in range(1, len(moves) + 1):
        at += datetime.timedelta(days=position * 2, hours=3)
        times.append(at)
    return times


def _write_entries(connection, applications, per_request: int) -> None:
    """The audit entries of freshly written requests: the moves of their path, a day apart,
    then people-side entries at their current tier."""
    from workflows.models import AuditEntry

    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    rows = []
    for application in applications:
        at = application.created_at
        moves = PATH[application.status]
        position = 0
        for (transition, source, target, tier), at in zip(
            moves, _move_times(application.created_at, moves), strict=True
        ):
            position += 1
            rows.append((application.pk, position, transition, source, target, tier, at))
        while moves and position < per_request:
            position += 1
            at += datetime.timedelta(hours=1)
            status = application.status
            rows.append((application.pk, position, "score", status, status, "group", at))
    entries = []
    for offset, (pk, position, transition, source, target, tier, at) in enumerate(rows, 1):
        seq = last + offset
        digest = hashlib.sha256(f"bench{seq}".encode()).hexdigest()
        entries.append(
            AuditEntry(
                seq=seq,
                application_id=pk,
                app_seq=position,
                transition=transition,
                source=source,
                target=target,
                actor_name="基准",
                actor_role="lead_officer" if tier == "lead" else "group_chair",
                tier=tier,
                at=at,
                reason="",
                content_digest=digest,
                prev_hash=digest,
                entry_hash=digest,
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval('workflows_auditentry_seq', (SELECT MAX(seq) FROM"
                " workflows_auditentry))"
            )


def _write_documents(applications) -> None:
    """The acceptance of every request past the lead department and the approval of every
    approved one, numbered after the request, dated at the audit entry that issued them."""
    from documents.models import Document, DocumentKind, DocumentStatus
    from workflows.models import AuditEntry

    kinds = {"accept_for_review": DocumentKind.ACCEPTANCE, "approve": DocumentKind.APPROVAL}
    marks = {DocumentKind.ACCEPTANCE: "受", DocumentKind.APPROVAL: ""}
    issuing = AuditEntry.objects.filter(
        application_id__in=[a.pk for a in applications], transition__in=kinds
    ).values_list("pk", "application_id", "transition", "at")
    Document.objects.bulk_create(
        [
            Document(
                number=f"京科配{marks[kinds[transition]]}〔2026〕{application_id}号",
                kind=kinds[transition],
                year=2026,
                serial=application_id,
                issued_on=at.date(),
                application_id=application_id,
                audit_entry_id=entry_id,
                status=DocumentStatus.READY,
                created_at=at,
            )
            for entry_id, application_id, transition, at in issuing
        ],
        batch_size=2000,
    )


# --- the measurements -----------------------------------------------------------------------


def pages() -> list[tuple[str, str, str]]:
    """(role, page, path) for every list, queue and dashboard page, first and last."""
    from workflows.models import Department

    department = Department.objects.filter(code="miit").first() or Department.objects.first()
    officer = f"officer_{department.code}"
    lists = [
        ("auditor", "applications", "/"),
        ("auditor", "applications, last page", "/?last=1"),
        ("auditor", f"search {SEARCH_WORD}", f"/?q={SEARCH_WORD}"),
        (officer, "applications", "/"),
        (officer, "applications, last page", "/?last=1"),
        ("applicant_enterprise", "applications", "/"),
        ("applicant_enterprise", "applications, last page", "/?last=1"),
        (officer, "queue", "/review/queue/"),
        (officer, "queue, last page", "/review/queue/?last=1"),
        ("group_chair", "queue", "/review/queue/"),
        ("group_chair", "queue, last page", "/review/queue/?last=1"),
        ("secretary", "queue", "/review/queue/"),
        ("secretary", "queue, last page", "/review/queue/?last=1"),
        (officer, f"queue, search {SEARCH_WORD}", f"/review/queue/?q={SEARCH_WORD}"),
        (officer, "queue, overdue, last page", "/review/queue/?overdue=on&last=1"),
        ("group_chair", "queue, by district, last page", "/review/queue/?district=haidian&last=1"),
        ("secretary", f"queue, search {SEARCH_WORD}", f"/review/queue/?q={SEARCH_WORD}"),
        ("secretary", "meetings", "/review/meetings/"),
        ("secretary", "meetings, last page", "/review/meetings/?last=1"),
        ("auditor", "audit trail", "/audit/"),
        ("auditor", "audit trail, last page", "/audit/?last=1"),
        ("auditor", "documents", "/documents/"),
        ("auditor", "documents, last page", "/documents/?last=1"),
        ("auditor", f"documents, search {SEARCH_WORD}", f"/documents/?q={SEARCH_WORD}"),
        (officer, "documents", "/documents/"),
        (officer, "documents, last page", "/documents/?last=1"),
        ("applicant_enterprise", "documents", "/documents/"),
        ("applicant_enterprise", "documents, last page", "/documents/?last=1"),
        ("auditor", "access log", "/accounts/access-log/"),
        ("auditor", "access log, last page", "/accounts/access-log/?last=1"),
        ("admin", "dashboard", "/dashboard/"),
        ("auditor", "dashboard", "/dashboard/"),
        ("secretary", "dashboard", "/dashboard/"),
        (officer, "dashboard", "/dashboard/"),
    ]
    return lists


def profile(path: str, username: str = "auditor") -> None:
    """``BENCH_PROFILE=/audit/`` prints where one page's time goes (after the measurements)."""
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    fetch(client, path)
    profiler = cProfile.Profile()
    profiler.runcall(fetch, client, path)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def measure(database: str, size: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    users = {u.username: u for u in get_user_model().objects.all()}
    clients: dict[str, Client] = {}
    only = [w for w in os.environ.get("BENCH_PAGES", "").split(",") if w]
    for role, label, path in pages():
        if only and not any(w in label for w in only):
            continue
        client = clients.get(role)
        if client is None:
            client = clients[role] = Client()
            client.force_login(users[role])
        cold = ""
        if path.startswith("/dashboard/"):  # computed, then kept DASHBOARD_CACHE_SECONDS
            cache.clear()
            started = time.perf_counter()
            fetch(client, path)
            cold = f"computed {(time.perf_counter() - started) * 1000:.0f} ms, then kept: "
        fetch(client, path)  # warm-up: connection, templates, caches
        queries = QueryCount()
        with connection.execute_wrapper(queries):
            fetch(client, path)
        times, cpu = [], []
        for _ in range(RUNS):
            started, started_cpu = time.perf_counter(), time.process_time()
            fetch(client, path)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(
            f"[{database} {size:,}] {label} as {role}: {cold}median"
            f" {statistics.median(times) * 1000:.0f} ms (max {max(times) * 1000:.0f};"
            f" this process's CPU {statistics.median(cpu) * 1000:.0f} ms),"
            f" {queries.count} queries"
        )
    if not only or "export" in only:
        client = Client()
        client.force_login(users["auditor"])
        export(database, size, client)
    print(f"[{database} {size:,}] {_load()}")


def export(database: str, size: int, client) -> None:
    started, started_cpu = time.perf_counter(), time.process_time()
    rows = consume(client.get("/applications/export/", {"format": "csv"}, secure=True))
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    tracemalloc.start()
    consume(client.get("/applications/export/", {"format": "csv"}, secure=True))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"[{database} {size:,}] CSV export of {rows - 1:,} requests: {seconds:.1f} s"
        f" (this process's CPU {cpu:.1f} s), "
        f"peak Python allocations {peak / 2**20:.1f} MB (process peak RSS so far {rss:.0f} MB,"
        " which includes building the data)"
    )


def consume(response) -> int:
    assert response.status_code == 200, response.status_code
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    return lines


def fetch(client, path: str):
    response = client.get(path, secure=True)
    assert response.status_code == 200, (path, response.status_code)
    return response


class QueryCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    reuse = "--reuse" in sys.argv
    build_only = "--build-only" in sys.argv
    import _django

    _django.run_on_each_database(lambda database: run(database, reuse, build_only), __file__, args)


if __name__ == "__main__":
    main()
