"""Time the full path of one application through the service layer, against the bare minimum.

    .venv/bin/python bench/transitions.py            # SQLite and, when reachable, PostgreSQL
    .venv/bin/python bench/transitions.py sqlite     # one database

The full path is every transition from draft to approval (submit, receive, accept, recommend,
approve) with everything people do in between (claims, three experts' declarations and scores),
audit entries and flow tasks, but no PDF and no e-mail: both are queued after commit (the
notices sent inline, as without a broker, are timed on their own line). The bare minimum is a
django-fsm-2 transition plus save() on the same model in the same database and run. PDF render
time per document is printed too. Figures only; targets are in the issue: overhead ≤ 3× the bare
transition, ≥ 300 transitions per second on PostgreSQL, a one-page PDF < 150 ms warm.
"""

from __future__ import annotations

import collections
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROUNDS = 60
TRANSITIONS_PER_PATH = 5  # submit, receive, accept_for_review, recommend, approve


def run(database: str) -> None:
    import _django

    _django.setup(database)
    import datetime

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from approvals import review
    from demo.data import ensure_call
    from workflows import assignments, services
    from workflows.models import FundingApplication, SpecialProject, Status
    from workflows.notifications import notify_transition
    from workflows.signals import application_transitioned, transition_recorded

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # No documents and no e-mail: this measures the state change, not the background work
    # queued after commit (rendering, notices). The notices are timed separately below.
    transition_recorded.disconnect(dispatch_uid="documents.open_decision_documents")
    application_transitioned.disconnect(dispatch_uid="workflows.notify_transition")
    users = {u.username: u for u in get_user_model().objects.all()}
    call = ensure_call()
    project = SpecialProject.objects.select_related("lead_department").get(code="ZX01")
    applicant = users["applicant_enterprise"]
    officer = users[f"officer_{project.lead_department.code}"]
    counter = iter(range(10**6))

    def new_application() -> FundingApplication:
        n = next(counter)
        return services.create_application(
            actor=applicant,
            data={
                "call": call,
                "special_project": project,
                "national_task_code": f"B{database}{n:06d}",
                "title": "基准测试",
                "national_approval_number": "国科发专〔2026〕1号",
                "national_funding": Decimal("20000000"),
                "own_funds": Decimal("10000000"),
                "requested_amount": Decimal("5000000"),
                "landing_district": "haidian",
                "period_start": timezone.localdate(),
                "period_end": timezone.localdate() + datetime.timedelta(days=700),
            },
        )

    rubric = review.rubric_for(call)
    experts = [users[f"expert{n}"] for n in (1, 2, 3)]
    chair, secretary = users["group_chair"], users["secretary"]

    # Where a transition's time goes; filled only while ``clock_parts`` has wrapped them.
    parts: collections.Counter[str] = collections.Counter()

    def clock_parts() -> None:
        from django.db import connection

        from approvals import review as approvals_review

        def clocked(owner: object, name: str, part: str) -> None:
            original = getattr(owner, name)

            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    parts[part] += time.perf_counter() - start

            setattr(owner, name, wrapper)

        for module in (services, assignments, approvals_review):
            clocked(module, "locked_application", "row lock and read")
        clocked(services, "decision_task", "open task")
        clocked(services, "_check", "rights (incl. separation of duties)")
        clocked(services, "record_transition", "audit chain")
        clocked(services, "complete_task", "viewflow: complete task, open next")
        clocked(connection, "commit", "commit")

    def full_path() -> tuple[float, float]:
        """(whole path, the five state-changing calls alone), in seconds."""
        pk = new_application().pk
        spent = {"transitions": 0.0, "all": 0.0}

        def timed(kind: str, call, **kwargs) -> None:
            before = dict(parts)
            start = time.perf_counter()
            call(application_id=pk, **kwargs)
            elapsed = time.perf_counter() - start
            spent["all"] += elapsed
            if kind == "transition":
                spent["transitions"] += elapsed
            else:  # the breakdown is of the transitions only
                parts.clear()
                parts.update(before)

        timed("transition", services.submit_application, actor=applicant)
        timed("transition", assignments.claim_task, actor=officer)  # receive
        timed("transition", services.accept_for_review, actor=officer)
        timed("people", assignments.claim_task, actor=chair)
        timed("people", review.assign_experts, actor=chair, expert_ids=[e.pk for e in experts])
        for expert in experts:
            timed("people", review.declare_interest, actor=expert, conflict=False)
            timed(
                "people",
                review.submit_scores,
                actor=expert,
                scores={c.code: (80, "好") for c in rubric},
            )
        timed("people", assignments.claim_task, actor=chair)
        timed(
            "transition",
            review.record_group_recommendation,
            actor=chair,
            decision="recommend",  # the amount the policy in force assesses
        )
        timed("people", assignments.claim_task, actor=secretary)
        timed(
            "transition", services.approve_application, actor=secretary, amount=Decimal("4000000")
        )
        return spent["all"], spent["transitions"]

    def bare_path() -> float:
        application = new_application()
        now = timezone.now()
        start = time.perf_counter()
        for move in (
            lambda a: a.submit(at=now),
            lambda a: a.receive(),
            lambda a: a.accept_for_review(),
            lambda a: a.recommend(),
            lambda a: a.approve(amount=Decimal("4000000"), at=now),
        ):
            with transaction.atomic():
                move(application)
                application.save()
        return time.perf_counter() - start

    for _ in range(5):  # warm-up: connections, caches, first-query costs
        full_path()
        bare_path()
    paths, bare = [], []
    for _ in range(ROUNDS):  # interleaved, so both see the machine in the same state
        paths.append(full_path())
        bare.append(bare_path())
    assert FundingApplication.objects.filter(status=Status.APPROVED).count() >= 2 * ROUNDS
    whole_ms = statistics.median(p[0] for p in paths) * 1000
    moves_ms = statistics.median(p[1] for p in paths) * 1000
    bare_ms = statistics.median(bare) * 1000
    print(
        f"[{database}] whole path, draft to approval (16 service calls: 5 transitions, claims, "
        f"experts' declarations and scores; audit, flow tasks; no PDF): median {whole_ms:.1f} ms"
    )
    print(
        f"[{database}] the 5 transitions through the service layer: median {moves_ms:.1f} ms "
        f"= {TRANSITIONS_PER_PATH / moves_ms * 1000:.0f} transitions/s from one process"
    )
    print(
        f"[{database}] bare fsm transition + save() x 5: median {bare_ms:.1f} ms "
        f"= {TRANSITIONS_PER_PATH / bare_ms * 1000:.0f} transitions/s"
    )
    print(f"[{database}] service-layer overhead: {moves_ms / bare_ms:.2f}x the bare transitions")
    clock_parts()
    parts.clear()
    breakdown_rounds = ROUNDS // 3
    for _ in range(breakdown_rounds):
        full_path()
    per_transition = breakdown_rounds * TRANSITIONS_PER_PATH / 1000
    print(
        f"[{database}] where a transition's time goes (mean ms): "
        + ", ".join(f"{part} {spent / per_transition:.2f}" for part, spent in parts.items())
    )
    # Without a broker the notices are composed and sent in the request, after commit.
    application_transitioned.connect(notify_transition, dispatch_uid="workflows.notify_transition")
    inline_ms = statistics.median(full_path()[1] for _ in range(ROUNDS // 3)) * 1000
    application_transitioned.disconnect(dispatch_uid="workflows.notify_transition")
    print(
        f"[{database}] the same 5 transitions with their e-mail notices sent inline (no broker): "
        f"median {inline_ms:.1f} ms"
    )
    if database == "sqlite":
        render_figures(full_path)


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
