"""Verifying the audit trail: every chain, every checkpoint, and every application's current
row against its latest entry. Names the first thing that does not match.

The log is cut into stretches of ``audit_scan.CHUNK`` entries, verified in parallel worker
processes that read rows straight from the database driver; this process joins them (each
application's chain across stretches, the Merkle tree across stretches) and compares the
applications' rows. Inside an open transaction (whose rows other processes cannot see) it
verifies in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from . import audit_merkle as merkle
from . import audit_rows, audit_scan
from .audit import (
    EDITABLE_STATUSES,
    GENESIS,
    STATE_FIELDS,
    _digest,
    legacy_hash,
)
from .audit_checkpoints import SignedHead, checkpoint_json
from .models import NOT_CONTENT, AuditChainHead, AuditCheckpoint, AuditEntry, FundingApplication

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Verification:
    intact: bool
    count: int
    first_bad_seq: int | None = None
    problem: str = ""
    problems: tuple[str, ...] = ()
    altered_applications: tuple[int, ...] = ()  # rows changed behind the service layer
    checkpoints: int = 0
    seconds: float = 0.0
    phases: tuple[tuple[str, float], ...] = ()  # where the time went, for benchmarks

    def as_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "count": self.count,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "problems": list(self.problems),
            "altered_applications": list(self.altered_applications),
            "checkpoints": self.checkpoints,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Findings:
    problems: list[tuple[int, str]] = field(default_factory=list)  # (seq or 0, text)
    altered: set[int] = field(default_factory=set)

    def add(self, seq: int | None, text: str) -> None:
        self.problems.append((seq or 0, text))


def verify(
    *,
    workers: int | None = None,
    checkpoints: Iterable[SignedHead] | None = None,
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
    chunk: int = audit_scan.CHUNK,
) -> Verification:
    """``checkpoints``: signed heads held outside the database (their files, documents); when
    None, the checkpoints the database keeps. ``public_key`` checks their signatures."""
    started = time.perf_counter()
    findings = _Findings()
    heads = list(checkpoints) if checkpoints is not None else _stored_heads()
    if public_key is not None:
        for head in heads:
            if not head.signed_by(public_key):
                findings.add(None, f"checkpoint {head.size} ({head.source}) has a bad signature")
    phases = _Phases()
    stretches, rows = _scan_all(heads, workers, progress, chunk)
    phases.done("entries" if rows is None else "entries and rows")
    count = sum(s.count for s in stretches)
    last_entries = _join_chains(stretches, findings)
    phases.done("chains joined")
    _check_legacy_chain(max((s.legacy_last for s in stretches), default=0), findings)
    phases.done("old chain")
    _check_tree(stretches, heads, count, findings, chunk)
    phases.done("tree")
    _check_rows(last_entries, rows, findings)
    phases.done("rows")
    result = _result(findings, count, len(heads), time.perf_counter() - started)
    return replace(result, phases=tuple(phases.seconds))


class _Phases:
    def __init__(self) -> None:
        self.seconds: list[tuple[str, float]] = []
        self.mark = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds.append((name, now - self.mark))
        self.mark = now


def _result(findings: _Findings, count: int, heads: int, seconds: float) -> Verification:
    if not findings.problems:
        return Verification(True, count, checkpoints=heads, seconds=seconds)
    ordered = sorted(findings.problems, key=lambda p: (p[0] == 0, p[0]))
    first_seq, first = ordered[0]
    return Verification(
        False,
        count,
        first_seq or None,
        first,
        tuple(text for _, text in ordered[:50]),
        tuple(sorted(findings.altered)),
        heads,
        seconds,
    )


def _stored_heads() -> list[SignedHead]:
    return [
        SignedHead.from_json(checkpoint_json(c), source=f"database #{c.size}")
        for c in AuditCheckpoint.objects.order_by("size")
    ]


# --- stretches ------------------------------------------------------------------------------


def _database() -> dict[str, Any]:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        parts = {
            "dbname": settings["NAME"],
            "user": settings["USER"],
            "password": settings["PASSWORD"],
            "host": settings["HOST"],
            "port": settings["PORT"],
        }
        dsn = " ".join(f"{k}='{v}'" for k, v in parts.items() if v not in ("", None))
        return {"vendor": "postgresql", "dsn": dsn}
    return {"vendor": "sqlite", "path": settings["NAME"]}


def _on_disk(database: dict[str, Any]) -> bool:
    path = str(database.get("path", ""))
    return bool(path) and path != ":memory:" and "mode=memory" not in path


def _split(
    cursor: Any, parts: int, chunk: int, *, head_start: int = 0
) -> tuple[list[tuple[int, int]], int]:
    """Where ``parts`` stretches of about equal work begin, as (``seq``, leaf index): each
    leaf index a multiple of ``chunk``, so that every stretch is made of whole chunks. The
    first stretch is shorter by ``head_start`` entries' worth of other work its process does.
    Also the span of ``seq``, the log's length as far as the progress shown needs it."""
    cursor.execute("SELECT MIN(seq), MAX(seq) FROM workflows_auditentry")
    low, high = cursor.fetchone()
    if low is None:
        return [], 0
    span = int(high) - int(low) + 1
    work = span + head_start
    starts = [(int(low), 0)]
    for part in range(1, parts):
        leaf = round((work * part / parts - head_start) / chunk) * chunk
        if leaf <= starts[-1][1]:
            continue
        cursor.execute(
            f"SELECT seq FROM workflows_auditentry ORDER BY seq LIMIT 1 OFFSET {int(leaf)}"  # noqa: S608
        )
        found = cursor.fetchone()
        if found is None:
            break
        starts.append((int(found[0]), leaf))
    return starts, span


def _jobs(
    starts: list[tuple[int, int]], heads: list[SignedHead], chunk: int, **common: Any
) -> list[audit_scan.Job]:
    jobs = []
    for number, (lo, leaf) in enumerate(starts):
        hi, end = starts[number + 1] if number + 1 < len(starts) else (None, 2**62)
        sizes = tuple(sorted({h.size for h in heads if leaf < h.size <= end}))
        jobs.append(audit_scan.Job(lo=lo, hi=hi, start=leaf, sizes=sizes, chunk=chunk, **common))
    return jobs


class _Counter:
    """Rows read so far (here, and by the worker processes in ``shared``), told to
    ``progress`` against the log's estimated length."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.here = progress, total, 0
        self.shared: Any = None

    def add(self, rows: int) -> None:
        self.here += rows
        self.show()

    def show(self) -> None:
        if self.progress:
            done = self.here + (int(self.shared.value) if self.shared is not None else 0)
            self.progress(done, max(self.total, done))


# What reading one application's row costs, in entries, by database (as text on PostgreSQL,
# through the ORM on SQLite): the process that reads the rows while the others still read
# entries reads that many fewer entries.
ROW_COST = {"postgresql": 2, "sqlite": 5}


def _scan_all(
    heads: list[SignedHead], workers: int | None, progress: Progress | None, chunk: int
) -> tuple[list[audit_scan.Stretch], list[audit_rows.Row] | None]:
    """The stretches, and the applications' rows when they were read meanwhile."""
    if chunk & (chunk - 1):
        raise ValueError("a stretch of the log is a whole number of chunks, a power of two long")
    database = _database()
    workers = workers or min(os.cpu_count() or 1, 4)
    if multiprocessing.current_process().daemon:  # a Celery prefork worker has no children
        workers = 1
    if connection.in_atomic_block or (
        database["vendor"] != "postgresql" and not _on_disk(database)
    ):  # uncommitted rows are visible to this connection only
        with connection.cursor() as cursor:
            starts, span = _split(cursor, workers, chunk)
        counter = _Counter(progress, span)
        jobs = _jobs(starts, heads, chunk, database=database)
        return [_scan_here(job, counter) for job in jobs], None
    with _Workers(workers - 1, chunk) as spawned:
        if database["vendor"] == "postgresql":
            import psycopg

            # Every stretch reads the same snapshot of the log, whatever is appended meanwhile.
            with psycopg.connect(database["dsn"], autocommit=True) as held:
                held.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                (snapshot,) = held.execute("SELECT pg_export_snapshot()").fetchone() or ("",)
                with held.cursor() as cursor:
                    head_start = _rows_cost(cursor, "postgresql") if workers > 1 else 0
                    starts, span = _split(cursor, workers, chunk, head_start=head_start)
                jobs = _jobs(starts, heads, chunk, database=database, snapshot=snapshot)
                return _run(jobs, _Counter(progress, span), spawned)
        with connection.cursor() as cursor:
            head_start = _rows_cost(cursor, "sqlite") if workers > 1 else 0
            starts, span = _split(cursor, workers, chunk, head_start=head_start)
        jobs = _jobs(starts, heads, chunk, database=database)
        return _run(jobs, _Counter(progress, span), spawned)


class _Workers:
    """``count`` worker processes, started first so that they start up while this process
    cuts the log into stretches (none for a log of one chunk or less)."""

    def __init__(self, count: int, chunk: int) -> None:
        self.count, self.chunk = count, chunk
        self.pool: Any = None
        self.shared: Any = None

    def __enter__(self) -> _Workers:
        if self.count > 0 and _log_span() > self.chunk:
            context = multiprocessing.get_context("spawn")
            self.shared = context.Value("q", 0)
            self.pool = context.Pool(self.count, audit_scan.start_worker, (self.shared,))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            if exc[0] is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()


def _log_span() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(seq) - MIN(seq) + 1 FROM workflows_auditentry")
        (span,) = cursor.fetchone()
    return int(span or 0)


def _rows_cost(cursor: Any, vendor: str) -> int:
    table = FundingApplication._meta.db_table
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (the model's table)
    return int(cursor.fetchone()[0]) * ROW_COST[vendor]


def _run(
    jobs: list[audit_scan.Job], counter: _Counter, workers: _Workers
) -> tuple[list[audit_scan.Stretch], list[audit_rows.Row] | None]:
    """The first stretch in this process, each other one in a worker process of its own;
    meanwhile, once its own stretch is done, this process reads the applications' rows."""
    if len(jobs) <= 1 or workers.pool is None:
        return [audit_scan.scan(job, counter.add) for job in jobs], None
    counter.shared = workers.shared
    pending = workers.pool.map_async(audit_scan.scan, jobs[1:], chunksize=1)
    first = audit_scan.scan(jobs[0], counter.add)
    rows = audit_rows.read_rows()
    while not pending.ready():
        pending.wait(0.25)
        counter.show()
    stretches = [first, *pending.get()]
    counter.show()
    return stretches, rows


def _scan_here(job: audit_scan.Job, counter: _Counter) -> audit_scan.Stretch:
    """A stretch read through this process's own connection (inside its transaction)."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        return audit_scan.scan_copy(raw.pgconn, job, counter.add)
    return audit_scan.scan_rows(raw.execute, job, counter.add)


# --- joining chains -------------------------------------------------------------------------


def _join_chains(
    stretches: list[audit_scan.Stretch], findings: _Findings
) -> dict[int, audit_scan.Last]:
    last: dict[int, audit_scan.Last] = {}
    for stretch in stretches:
        for seq, application, why in stretch.bad:
            findings.add(seq, _WHY[why].format(seq=seq, application=application))
        for application, (position, prev, seq) in stretch.firsts.items():
            before = last.get(application)
            expected_position = before[0] + 1 if before else 1
            expected_prev = before[1] if before else GENESIS
            if position != expected_position:
                findings.add(seq, _WHY["out of order"].format(seq=seq, application=application))
            elif prev and prev != expected_prev:
                findings.add(seq, _WHY["unlinked"].format(seq=seq, application=application))
        last.update(stretch.lasts)
    return last


_WHY = {
    "altered": "entry #{seq} was altered after it was written",
    "out of order": "entry #{seq} does not follow application {application}'s previous entry "
    "(an entry before it is missing)",
    "unlinked": "entry #{seq} does not follow its predecessor in application {application}'s chain",
}


def _check_legacy_chain(until: int, findings: _Findings) -> None:
    """Entries of the old global chain (the last of them ``until``, as the stretches saw it):
    gapless from #1, linked, ending at the frozen head."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    names = [f.attname for f in AuditEntry._meta.concrete_fields]
    rows = (
        AuditEntry.objects.filter(hash_version=1, seq__lte=until)
        .order_by("seq")
        .values_list(*names)
        .iterator(chunk_size=2000)
    )
    for values in rows:
        entry = AuditEntry(**dict(zip(names, values, strict=True)))
        if entry.seq != expected_seq:
            findings.add(expected_seq, f"entry #{expected_seq} is missing")
            return
        if entry.prev_hash != prev_hash:
            findings.add(entry.seq, f"entry #{entry.seq} does not follow its predecessor")
            return
        if legacy_hash(entry) != entry.entry_hash:
            findings.add(entry.seq, f"entry #{entry.seq} was altered after it was written")
            return
        prev_hash, expected_seq, count = entry.entry_hash, expected_seq + 1, count + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    length, last_hash = (head.length, head.last_hash) if head else (0, GENESIS)
    if length != count or last_hash != prev_hash:
        findings.add(
            count + 1, f"the old chain ends at #{count} but {length} entries were written to it"
        )


# --- the tree -------------------------------------------------------------------------------


def _check_tree(
    stretches: list[audit_scan.Stretch],
    heads: list[SignedHead],
    count: int,
    findings: _Findings,
    chunk: int,
) -> None:
    chunks: merkle.Frontier = []  # the whole chunks so far, as complete subtrees
    by_size: dict[int, list[SignedHead]] = {}
    for head in heads:
        by_size.setdefault(head.size, []).append(head)
    leaves = 0
    for stretch in stretches:
        if stretch.start != leaves:  # cannot happen while every stretch reads one snapshot
            findings.add(None, "the log changed while it was read: verify it again")
            return
        roots: list[bytes | None] = [*stretch.roots, *([None] if stretch.partial else [])]
        for offset, root in enumerate(roots):
            number = stretch.start // chunk + offset
            for size, partial in stretch.frontiers.items():
                if (size - 1) // chunk != number:
                    continue
                # Levels count whole chunks here; folding the digests needs only their order.
                tree_root = merkle.root_of(chunks + partial).hex()
                for head in by_size[size]:
                    if tree_root != head.root:
                        findings.add(
                            None,
                            f"checkpoint {size} ({head.source}) does not match the log: an "
                            f"entry among the first {size} was rewritten, removed or inserted",
                        )
            if root is not None:
                merkle.append(chunks, root, size=number)
        leaves += stretch.count
    for head in heads:
        if head.size > count:
            findings.add(
                None,
                f"the log holds {count} entries but checkpoint {head.size} ({head.source}) "
                f"covered {head.size}: entries were removed from its end",
            )


# --- rows against history -------------------------------------------------------------------


def _check_rows(
    last_entries: dict[int, audit_scan.Last],
    rows: list[audit_rows.Row] | None,
    findings: _Findings,
) -> None:
    names = [f.attname for f in FundingApplication._meta.concrete_fields]
    suspects = audit_rows.suspects(last_entries, rows)
    if not suspects:
        return
    # A decision committed since its stretch was read moves the row and appends an entry
    # together: look at both again before naming the application.
    latest = _latest_entries(suspects)
    for values in FundingApplication.objects.filter(pk__in=suspects).values(*names):
        application = values["id"]
        last = latest.get(application)
        if _row_matches(values, last):
            continue
        findings.altered.add(application)
        if last is None:
            findings.add(None, f"application {application} is {values['status']} with no history")
        else:
            findings.add(
                None,
                f"application {application} was changed behind the service layer: its row "
                f"does not match its latest audit entry #{last[0]}",
            )


_Last = tuple[int, str, str, str]  # seq, content digest, state digest, target


def _latest_entries(applications: list[int]) -> dict[int, _Last]:
    latest: dict[int, _Last] = {}
    rows = (
        AuditEntry.objects.filter(application_id__in=applications)
        .order_by("seq")
        .values_list("application_id", "seq", "content_digest", "state_digest", "target")
    )
    for application, seq, content, state, target in rows:
        latest[application] = (seq, content, state, target)
    return latest


def _row_matches(values: dict[str, Any], last: _Last | None) -> bool:
    """Does the application's row say what its latest entry recorded? While the applicant may
    edit (a draft, a returned request) only the decision fields are compared."""
    if last is None:
        return bool(values["status"] == "draft")
    _, content, state, target = last
    if values["status"] in EDITABLE_STATUSES:
        if state:
            return _digest({name: values[name] for name in STATE_FIELDS}) == state
        return bool(values["status"] == target)
    return _digest({k: v for k, v in values.items() if k not in NOT_CONTENT}) == content
