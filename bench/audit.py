"""Verify a log of 1,000,000 audit entries, and seal a checkpoint over it.

    .venv/bin/python bench/audit.py                 # SQLite and, when reachable, PostgreSQL
    .venv/bin/python bench/audit.py postgres        # one database
    BENCH_AUDIT_ENTRIES=200000 .venv/bin/python bench/audit.py sqlite
    BENCH_AUDIT_KEEP=1 .venv/bin/python bench/audit.py postgres   # reuse the last log, or build it

The log is written straight into the table (50,000 applications, 20 entries each, interleaved
as decisions on many applications are), with the hashes ``record_transition`` would give them,
and the last entry of each application holding its row's digests, so that the verification has
nothing to report. Prints the verifier's entries per second (target ≥ 250,000 on this 2-core
machine) with where its time went and the CPU time its processes used (the database server's
not included), the time to seal the first checkpoint over the whole log, one inclusion proof,
and the machine's load average beside each figure (other work on the machine slows it).
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "1000000"))
PER_APPLICATION = 20


def run(database: str) -> None:
    import _django

    keep = database == "postgres" and os.environ.get("BENCH_AUDIT_KEEP") and _built()
    if keep:  # the database as the last run left it
        sys.path.insert(0, str(_django.ROOT))
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", _django.PG_URL)
        os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abc")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.setdefault("DOCUMENT_VERIFY_BASE_URL", "https://funds.example.invalid")
        import django

        django.setup()
    else:
        _django.setup(database)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from demo.data import ensure_call
    from workflows.audit import content_digest, state_digest
    from workflows.audit_checkpoints import audit_proof, make_key, seal_checkpoint
    from workflows.audit_verify import verify
    from workflows.models import AuditEntry, FundingApplication, SpecialProject

    key = Path(tempfile.mkdtemp(prefix="bench-audit-")) / "key.pem"
    make_key(key)
    settings.AUDIT_CHECKPOINT_KEY = str(key)
    settings.AUDIT_CHECKPOINT_DIR = key.parent / "checkpoints"

    started = time.perf_counter()
    if keep and AuditEntry.objects.count() >= ENTRIES:
        applications = list(FundingApplication.objects.all())
    else:
        applications = _applications(
            ENTRIES // PER_APPLICATION, ensure_call(), SpecialProject.objects.first()
        )
        _write(connection, _entries(applications, content_digest, state_digest, timezone.now()))
        with connection.cursor() as cursor:  # what autovacuum does after a large load
            cursor.execute(
                "VACUUM ANALYZE workflows_auditentry"
                if connection.vendor == "postgresql"
                else "ANALYZE workflows_auditentry"
            )
    count = AuditEntry.objects.count()
    print(
        f"[{database}] built {count:,} entries over {len(applications):,} applications "
        f"in {time.perf_counter() - started:.0f} s"
    )

    start = time.perf_counter()
    checkpoint = seal_checkpoint()
    print(
        f"[{database}] sealing the first checkpoint over {checkpoint.size:,} entries: "
        f"{time.perf_counter() - start:.2f} s (load {_load()})"
    )
    entry = AuditEntry.objects.order_by("seq")[count // 3]
    start = time.perf_counter()
    proof = audit_proof(entry)
    assert proof is not None
    print(
        f"[{database}] one entry's inclusion proof ({len(proof['proof'])} hashes): "
        f"{(time.perf_counter() - start) * 1000:.0f} ms"
    )
    for workers in (1, 2):
        connection.close()  # the worker processes open their own connections
        before = os.times()
        result = verify(workers=workers)
        after = os.times()
        assert result.intact, result.problem
        cpu = sum(after[:4]) - sum(before[:4])  # this process and its worker processes
        print(
            f"[{database}] verify_audit, {workers} worker process(es): {result.count:,} entries, "
            f"{result.checkpoints} checkpoint(s) and {len(applications):,} rows in "
            f"{result.seconds:.2f} s = {result.count / result.seconds:,.0f} entries/s "
            f"(load {_load()})"
        )
        phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.phases)
        print(
            f"[{database}]   {phases}; CPU {cpu:.2f} s = "
            f"{result.count / cpu:,.0f} entries per CPU-second of the verifier's processes"
        )


def _built() -> bool:
    """Does the benchmark's PostgreSQL database exist with a log in it (else it is built)?"""
    import _django
    import psycopg

    try:
        with psycopg.connect(os.environ.get("BENCH_DATABASE_URL", _django.PG_URL)) as conn:
            return conn.execute("SELECT count(*) FROM workflows_auditentry").fetchone()[0] > 0
    except psycopg.Error:
        return False


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _applications(n, call, project):
    from workflows.models import FundingApplication

    today = datetime.date(2026, 1, 1)
    batch = [
        FundingApplication(
            organisation_id=1,
            call=call,
            special_project=project,
            national_task_code=f"A{n:07d}",
            title="审计基准",
            national_funding=Decimal("20000000"),
            own_funds=Decimal("10000000"),
            requested_amount=Decimal("5000000"),
            landing_district_id="haidian",
            period_start=today,
            period_end=today + datetime.timedelta(days=700),
            status="group_review",
            created_by_id=1,
        )
        for n in range(n)
    ]
    FundingApplication.objects.bulk_create(batch, batch_size=2000)
    return list(FundingApplication.objects.order_by("id"))


def _entries(applications, content_digest, state_digest, now):
    """The rows as record_transition writes them, in the order of their ``seq``."""

    from workflows.audit import EPOCH, GENESIS, MICROSECOND, chain_hash

    digests = {a.pk: (content_digest(a), state_digest(a)) for a in applications}
    last = {a.pk: GENESIS for a in applications}
    at = now - datetime.timedelta(days=30)
    at_us = (at - EPOCH) // MICROSECOND
    seq = 0
    for position in range(1, PER_APPLICATION + 1):
        details = '{"amount":"4000000.00"}' if position % 5 == 0 else "{}"
        for application in applications:
            seq += 1
            content, state = digests[application.pk]
            fields = {
                "application": application.pk,
                "app_seq": position,
                "transition": "score",
                "source": "group_review",
                "target": "group_review",
                "actor": None,
                "actor_name": "system",
                "actor_role": "system",
                "tier": "group",
                "at_us": at_us + seq,
                "reason": "专家评分" if position % 3 else "",
                "details": details,
                "content_digest": content,
                "state_digest": state,
                "prev_hash": last[application.pk],
            }
            digest = chain_hash(**fields)
            last[application.pk] = digest
            yield (
                seq,
                application.pk,
                position,
                2,
                "score",
                "group_review",
                "group_review",
                None,
                "system",
                "system",
                "group",
                at + datetime.timedelta(microseconds=seq),
                fields["reason"],
                details,
                content,
                state,
                fields["prev_hash"],
                digest,
            )


COLUMNS = (
    "seq, application_id, app_seq, hash_version, transition, source, target, actor_id,"
    " actor_name, actor_role, tier, at, reason, details, content_digest, state_digest,"
    " prev_hash, entry_hash"
)


def _write(connection, rows) -> None:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY workflows_auditentry ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                "SELECT setval('workflows_auditentry_seq', (SELECT MAX(seq) FROM"
                " workflows_auditentry))"
            )
        else:
            marks = ", ".join(["%s"] * 18)
            batch = []
            for row in rows:
                row = list(row)
                row[11] = row[11].replace(tzinfo=None).isoformat(sep=" ")  # as Django stores it
                batch.append(row)
                if len(batch) == 20000:
                    cursor.executemany(
                        f"INSERT INTO workflows_auditentry ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                        batch,
                    )
                    batch = []
            if batch:
                cursor.executemany(
                    f"INSERT INTO workflows_auditentry ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                    batch,
                )


def main() -> None:
    import _django

    _django.run_on_each_database(run, __file__, sys.argv[1:])


if __name__ == "__main__":
    main()
