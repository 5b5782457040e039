"""Time the five transitions of one application's path, ours against plain viewflow.

    .venv/bin/python bench/transitions.py            # SQLite and, when reachable, PostgreSQL
    .venv/bin/python bench/transitions.py sqlite     # one database
    BENCH_STATEMENTS=1 .venv/bin/python bench/transitions.py   # and every statement, listed

Ours: every transition from draft to approval (submit, receive, accept, recommend, approve)
through the service layer, with everything people do in between (claims, three experts'
declarations and scores), audit entries and flow tasks, but no PDF and no e-mail (both are
queued after commit). The comparator: a minimal ``viewflow.workflow`` flow of the same shape
(start, lead task, group task, meeting task, end) on a simple model declared here, its tasks
claimed and completed the standard way (assign, start, execute), no audit and no lock. Both run
interleaved in one process; printed per transition and in total, ours/plain in wall time
(median) and in SQL statements. Target in the issue: ≤ 1.3 for both.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROUNDS = 40
TRANSITIONS = ("submit", "receive", "accept", "recommend", "approve")


def run(database: str) -> None:
    import _django

    _django.setup(database)
    from _paths import Path as ReviewPath

    ours_path = ReviewPath(database)
    plain = plain_viewflow()
    ours: dict[str, list[tuple[float, int]]] = defaultdict(list)
    theirs: dict[str, list[tuple[float, int]]] = defaultdict(list)
    whole: list[float] = []

    def keep(into):
        def record(kind, name, elapsed, statements):
            if kind == "transition":
                into[name].append((elapsed, statements))
            elif into is ours:
                whole[-1] += elapsed

        return record

    for _ in range(5):  # warm-up: connections, caches, first-query costs
        ours_path.run(lambda *args: None)
        plain(lambda *args: None)
    for _ in range(ROUNDS):  # interleaved, so both see the machine in the same state
        whole.append(0.0)
        ours_path.run(keep(ours))
        plain(keep(theirs))

    def median_ms(samples):
        return statistics.median(s[0] for s in samples) * 1000

    def statements(samples):
        return statistics.median(s[1] for s in samples)

    print(f"[{database}] per transition, ours / plain viewflow ({ROUNDS} rounds, median):")
    for name in TRANSITIONS:
        a, b = ours[name], theirs[name]
        print(
            f"[{database}]   {name:9} {median_ms(a):6.2f} ms / {median_ms(b):6.2f} ms = "
            f"{median_ms(a) / median_ms(b):.2f}x wall; {statements(a):.0f} / {statements(b):.0f}"
            f" = {statements(a) / statements(b):.2f}x statements"
        )
    total = [sum(ours[n][i][0] for n in TRANSITIONS) for i in range(ROUNDS)]
    total_plain = [sum(theirs[n][i][0] for n in TRANSITIONS) for i in range(ROUNDS)]
    count = sum(statements(ours[n]) for n in TRANSITIONS)
    count_plain = sum(statements(theirs[n]) for n in TRANSITIONS)
    ms, ms_plain = statistics.median(total) * 1000, statistics.median(total_plain) * 1000
    print(
        f"[{database}]   5 transitions {ms:.1f} ms / {ms_plain:.1f} ms = {ms / ms_plain:.2f}x "
        f"wall; {count:.0f} / {count_plain:.0f} = {count / count_plain:.2f}x statements "
        f"({5 / ms * 1000:.0f} transitions/s from one process, plain {5 / ms_plain * 1000:.0f})"
    )
    people_ms = statistics.median(whole) * 1000
    print(
        f"[{database}] the people's 11 steps between them (claims, experts' declarations and "
        f"scores): median {people_ms:.1f} ms"
    )
    if os.environ.get("BENCH_STATEMENTS"):
        list_statements(database, ours_path.run, plain)
    if database == "sqlite":
        render_figures(lambda: ours_path.run(lambda *args: None))


def list_statements(database: str, *paths) -> None:
    """One more round of each, printing every statement of each transition (ours, then plain
    viewflow's), shortened."""
    from django.db import connection

    seen: list[str] = []

    def collect(execute, sql, params, many, context):
        seen.append(" ".join(sql.split())[:110])
        return execute(sql, params, many, context)

    listed: list[dict[str, list[str]]] = []
    for run_path in paths:
        steps: dict[str, list[str]] = {}

        def record(kind, name, elapsed, statements, steps=steps):
            if kind == "transition":
                steps[name] = seen[len(seen) - statements :]
            seen.clear()

        with connection.execute_wrapper(collect):
            run_path(record)
        listed.append(steps)
    ours, theirs = listed
    for name in TRANSITIONS:
        for who, steps in (("ours", ours), ("plain", theirs)):
            print(f"[{database}] {name}, {who} ({len(steps[name])} statements):")
            for sql in steps[name]:
                print(f"[{database}]     {sql}")


def plain_viewflow(*, create_table: bool = True):
    """The comparator: a minimal viewflow flow of the same shape on a simple model, declared
    here. Returns ``run(record)``, which takes one request from draft to approval. Its table is
    created unless ``create_table`` is false (another process made it)."""
    import types
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection, models, transaction
    from viewflow import this
    from viewflow.workflow import STATUS, flow

    # viewflow finds a flow by its module's path inside an installed app.
    module = types.ModuleType("workflows.bench_plain")
    sys.modules[module.__name__] = module

    class PlainRequest(models.Model):  # noqa: DJ008
        __module__ = module.__name__
        status = models.CharField(max_length=20, default="draft")
        amount = models.DecimalField(max_digits=14, decimal_places=2, null=True)

        class Meta:
            app_label = "workflows"
            db_table = "bench_plain_request"

    def page(request, **kwargs):  # never served: the tasks are completed below
        from django.http import HttpResponseNotFound

        return HttpResponseNotFound()

    class PlainFlow(flow.Flow):
        __module__ = module.__name__
        start = flow.StartHandle(this.start_process).Next(this.lead)
        lead = flow.View(page).Next(this.group)
        group = flow.View(page).Next(this.meeting)
        meeting = flow.View(page).Next(this.end)
        end = flow.End()

        def start_process(self, activation, request):
            activation.process.artifact = request
            return activation.process

    module.PlainRequest, module.PlainFlow = PlainRequest, PlainFlow
    if create_table:
        with connection.schema_editor() as editor:
            editor.create_model(PlainRequest)
    user = get_user_model().objects.order_by("pk").first()
    tasks = PlainFlow.task_class._default_manager

    def open_task(process, node):
        return tasks.get(process=process, flow_task=node, status__in=[STATUS.NEW, STATUS.ASSIGNED])

    def claim(process, node):
        task = open_task(process, node)
        task.flow_task.activation_class(task).assign(user)

    def complete(process, node):
        task = open_task(process, node)
        activation = task.flow_task.activation_class(task)
        activation.start(None)
        activation.execute()

    def run(record):
        request = PlainRequest.objects.create()
        statements = [0]

        def counting(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        def step(kind, name, action):
            statements[0] = 0
            with connection.execute_wrapper(counting):
                start = time.perf_counter()
                with transaction.atomic():
                    action()
                elapsed = time.perf_counter() - start
            record(kind, name, elapsed, statements[0])

        def move(status, amount=None):
            request.status = status
            if amount is not None:
                request.amount = amount
            request.save(update_fields=["status", "amount"])

        process = []
        step(
            "transition",
            "submit",
            lambda: (move("submitted"), process.append(PlainFlow.start.run(request=request))),
        )
        p = process[0]
        step("transition", "receive", lambda: (claim(p, PlainFlow.lead), move("lead_review")))
        step("transition", "accept", lambda: (complete(p, PlainFlow.lead), move("group_review")))
        step("people", "claim", lambda: claim(p, PlainFlow.group))
        step(
            "transition",
            "recommend",
            lambda: (complete(p, PlainFlow.group), move("meeting_review", Decimal("4000000"))),
        )
        step("people", "claim", lambda: claim(p, PlainFlow.meeting))
        step(
            "transition",
            "approve",
            lambda: (complete(p, PlainFlow.meeting), move("approved", Decimal("4000000"))),
        )

    return run


def render_figures(full_path_to_approval) -> None:
    """Approve documents with rendering held back, then time render_document on each."""
    from documents import receivers
    from documents.models import Document, DocumentStatus
    from documents.services import render_document
    from workflows.signals import transition_recorded

    receivers.enqueue_render = lambda document_id: None  # keep them pending to time them here
    transition_recorded.connect(
        receivers.open_decision_documents, dispatch_uid="documents.open_decision_documents"
    )
    for _ in range(33):
        full_path_to_approval()
    pending = list(Document.objects.filter(status=DocumentStatus.PENDING).order_by("id"))
    for document in pending[:3]:
        render_document(document.pk)
    times, sizes = [], []
    for document in pending[3:]:
        start = time.perf_counter()
        rendered = render_document(document.pk)
        times.append(time.perf_counter() - start)
        sizes.append(rendered.size)
    print(
        f"[documents] approval decision PDF (PDF/A-3b, stored, hashed): "
        f"median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {sorted(times)[int(0.95 * len(times))] * 1000:.0f} ms, "
        f"mean size {statistics.mean(sizes) / 1024:.0f} KB over {len(times)} documents"
    )


def main() -> None:
    import _django

    _django.run_on_each_database(run, __file__, sys.argv[1:])


if __name__ == "__main__":
    main()
