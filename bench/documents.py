"""How fast decision documents are issued, end to end, and how large they are.

Run: .venv/bin/python bench/documents.py [--documents N] [--stages [--profile STEP]]

Each document goes through ``documents.services.render_document``, as the Celery task does:
the template and its context from the database, the QR code, the JSON record, WeasyPrint to
PDF/A-3b with the seal, the PAdES signature (a demo certificate and seal are made for the run,
as ``make run`` makes them), the SHA-256 and the storage. Measured after warm-up, on a
throwaway SQLite database with the demo world:

* the approval decision (two pages, with the split by department and by form), in one process
  and in two worker processes at once (each its own renderer), documents per second, the best
  of three alternating trials (other work on the machine only ever slows a trial down);
* the minutes of a joint meeting with 50 agenda items.

The decisions are recorded through the services (the approvals as one joint meeting's
resolutions); to keep the set-up short the 50 requests on
the agenda are written in bulk at the meeting tier (``tests.factories.bulk_awaiting``) and the
approvals' group recommendations are written directly with a policy assessment.
The same approval's HTML is also written by stock WeasyPrint in this process
(``_render_figures``), and the renderer processes' peak memory is printed.
Targets: one-page signed decision median ≤ 150 ms and ≤ 150 KB through the whole pipeline, its
render ≤ 0.7× stock WeasyPrint; two workers ≥ 1.7× one; 50-item minutes < 2 s; renderer peak
memory ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

WARM_UPS = 3
TRIALS = 3
MINUTES_RUNS = 5
MINUTES_ITEMS = 50
STOCK_RUNS = 15
AMOUNT = Decimal("5000000.00")
ASSESSMENT = {
    "policy": {"name": "示例配套政策", "version": "2026.1", "content_hash": "ab" * 32},
    "amount": str(AMOUNT),
    "by_department": [
        {"code": "kw", "name_zh": "北京市科学技术委员会", "amount": "3000000.00"},
        {"code": "jxj", "name_zh": "北京市经济和信息化局", "amount": "2000000.00"},
    ],
    "by_form": {"grant": "4000000.00", "equity": "1000000.00"},
}


def set_up(documents: int) -> tuple[list[int], int]:
    """Record the approvals and the meeting; return the approvals' and the minutes' ids."""
    import _django

    _django.setup("sqlite")
    from django.conf import settings

    from documents import receivers
    from documents.seal import make_demo_seal
    from documents.signing import make_demo_certificate

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    folder = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    passphrase = secrets.token_urlsafe(12)
    make_demo_certificate(
        folder / "demo.p12", passphrase=passphrase, common_name=settings.PROGRAMME_ISSUER
    )
    settings.DOCUMENT_SIGNING_PKCS12 = str(folder / "demo.p12")
    settings.DOCUMENT_SIGNING_PASSPHRASE = passphrase
    make_demo_seal(folder / "seal.png", issuer=settings.PROGRAMME_ISSUER)
    settings.DOCUMENT_SEAL_IMAGE = str(folder / "seal.png")
    # The decisions only open their documents here; the measurement renders them.
    receivers.enqueue_render = lambda document_id: None
    return _approvals(documents), _minutes()


def _approvals(count: int) -> list[int]:
    import datetime

    from approvals import meetings
    from approvals.meetings import Resolution
    from approvals.models import GroupRecommendation
    from documents.models import Document
    from tests.factories import FundingCallFactory, bulk_awaiting, make_user
    from workflows.models import SpecialProject

    call = FundingCallFactory(total_budget=Decimal("10000000000.00"))
    secretary = make_user("meeting_secretary")
    chair = make_user("group_chair")
    # A special project of the demo world: the meeting draws the approvals on the demo policy's
    # pool, which assesses only the projects it knows.
    project = SpecialProject.objects.get(code="ZX01")
    ids = bulk_awaiting("meeting_review", count, call=call, special_project=project)
    GroupRecommendation.objects.bulk_create(
        GroupRecommendation(
            application_id=pk,
            revision=1,
            chair=chair,
            decision="recommend",
            weighted_score=Decimal("85.50"),
            score_spread=Decimal("6.00"),
            recommended_amount=AMOUNT,
            assessment=ASSESSMENT,
        )
        for pk in ids
    )
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=datetime.date(2026, 11, 1),
        place="市政府第一会议室",
        chair="分管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[Resolution(pk, "approve", AMOUNT, "审议通过") for pk in ids],
    )
    return list(
        Document.objects.filter(kind="approval", application_id__in=ids).values_list(
            "pk", flat=True
        )
    )


def _minutes() -> int:
    import datetime

    from approvals import meetings
    from approvals.meetings import Resolution
    from documents.models import Document
    from tests.factories import FundingCallFactory, bulk_awaiting, make_user
    from workflows.models import SpecialProject

    call = FundingCallFactory(total_budget=Decimal("10000000000.00"))
    secretary = make_user("meeting_secretary")
    # A special project of the demo world, which the demo's matching-fund policy knows.
    project = SpecialProject.objects.get(code="ZX01")
    bulk_awaiting("meeting_review", MINUTES_ITEMS, call=call, special_project=project)
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=datetime.date(2026, 12, 1),
        place="市政府第三会议室",
        chair="分管副市长",
    )
    items = meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    decisions = ("approve", "reject", "defer")
    meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[
            Resolution(
                item.application_id,
                decisions[index % 3],
                Decimal(1_500_000 + 10_000 * index) if index % 3 == 0 else None,
                "" if index % 3 == 0 else "材料待补充完善，下次会议再议",
            )
            for index, item in enumerate(items)
        ],
    )
    return Document.objects.get(meeting=meeting, kind="meeting_minutes").pk


def _reset(ids: list[int]) -> None:
    from documents.models import Document

    Document.objects.filter(pk__in=ids).update(
        status="pending", attempts=0, file="", sha256="", size=None
    )


def render_all(ids: list[int]) -> tuple[list[float], list[int]]:
    """Render each document once; the time and size of each."""
    from documents.services import render_document

    _reset(ids)
    times, sizes = [], []
    for pk in ids:
        start = time.perf_counter()
        document = render_document(pk)
        times.append(time.perf_counter() - start)
        if document.status != "ready":
            raise SystemExit(f"document {pk} did not render: {document.last_error}")
        sizes.append(document.size)
    return times, sizes


def _worker(ids, warm_ids, ready, start, results) -> None:
    from django.db import connection

    connection.close()  # the parent's connection is not ours
    render_all(warm_ids)  # this process's own renderer, warmed up
    ready.wait()
    start.wait()
    began = time.perf_counter()
    render_all(ids)
    results.put(time.perf_counter() - began)


def in_two_workers(ids: list[int], warm_ids: list[int]) -> float:
    """Wall time for two processes to render half of ``ids`` each, started together."""
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    ready, start = context.Barrier(3), context.Barrier(3)
    results = context.Queue()
    half = len(ids) // 2
    workers = [
        context.Process(target=_worker, args=(part, warm, ready, start, results))
        for part, warm in ((ids[:half], warm_ids[:1]), (ids[half:], warm_ids[1:2]))
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    began = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    if any(worker.exitcode for worker in workers):
        raise SystemExit("a worker process failed")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=40, help="approvals per measurement")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="only time each step of the pipeline, in the caller and in the renderer",
    )
    parser.add_argument(
        "--profile",
        default="",
        metavar="STEP",
        help="with --stages: the cProfile listing of one step (claim, compose, record, "
        "render, sign, store) or of the renderer's code (renderer)",
    )
    arguments = parser.parse_args()
    count = arguments.documents
    os.environ.setdefault("DOCUMENT_RENDER_WORKERS", "1")
    print(f"setting up {count + WARM_UPS} approvals and a {MINUTES_ITEMS}-item meeting …")
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run "
        "(other work on the machine slows the two-process figure first)"
    )
    approvals, minutes = set_up(count + WARM_UPS)
    warm, measured = approvals[:WARM_UPS], approvals[WARM_UPS:]

    render_all(warm)
    if arguments.stages:
        from _stages import print_stages

        print_stages(measured, render_all, arguments.profile)
        return
    # Best of a few alternating trials: other work on the machine only ever slows a trial down.
    one = two = 0.0
    for _ in range(TRIALS):
        times, sizes = render_all(measured)
        if len(measured) / sum(times) > one:
            one, best_times, best_sizes = len(measured) / sum(times), times, sizes
        two = max(two, len(measured) / in_two_workers(measured, warm))
    print(
        f"approval decision, 1 process:   {one:6.1f} documents/s   "
        f"median {statistics.median(best_times) * 1000:6.1f} ms   "
        f"mean {statistics.mean(best_times) * 1000:6.1f} ms   "
        f"p95 {statistics.quantiles(best_times, n=20)[-1] * 1000:6.1f} ms   "
        f"size {statistics.mean(best_sizes) / 1024:6.1f} KB   (signed PDF/A-3b)"
    )
    print(
        f"approval decision, 2 processes: {two:6.1f} documents/s   "
        f"{two / one:4.2f}× one process   (target ≥ 1.7×)"
    )

    _compare_with_stock(measured[0])

    render_all([minutes])
    runs = [render_all([minutes]) for _ in range(MINUTES_RUNS)]
    minutes_times = [t for run_times, _ in runs for t in run_times]
    minutes_sizes = [s for _, run_sizes in runs for s in run_sizes]
    print(
        f"minutes, {MINUTES_ITEMS} agenda items:       "
        f"mean {statistics.mean(minutes_times) * 1000:7.1f} ms   "
        f"max {max(minutes_times) * 1000:7.1f} ms   "
        f"size {statistics.mean(minutes_sizes) / 1024:6.1f} KB   (target < 2 s)"
    )
    from _render_figures import print_renderer_memory

    print_renderer_memory()


def _compare_with_stock(document_id: int) -> None:
    """The render step alone (HTML to PDF/A-3b with the record) against stock WeasyPrint."""
    from _render_figures import stock_render_ms

    from documents.content import document_html, page_limit
    from documents.models import Document
    from documents.records import record_attachment
    from documents.render import render_pdf

    document = Document.objects.get(pk=document_id)
    html, attachment = document_html(document), record_attachment(document)
    times = []
    for _ in range(STOCK_RUNS + 2):
        start = time.perf_counter()
        render_pdf(html, attachments=[attachment], page_limit=page_limit(document))
        times.append((time.perf_counter() - start) * 1000)
    ours = statistics.median(times[2:])
    stock = stock_render_ms(html, [attachment], runs=STOCK_RUNS)
    print(
        f"approval render alone:          median {ours:6.1f} ms   stock WeasyPrint "
        f"{stock:6.1f} ms   {ours / stock:4.2f}× stock   (target ≤ 0.7×)"
    )


if __name__ == "__main__":
    main()
