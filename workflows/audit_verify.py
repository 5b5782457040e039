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
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from . import audit_merkle as merkle
from . import audit_scan
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
    total = AuditEntry.objects.count()
    stretches = _scan_all(heads, workers, total, progress, chunk)
    count = sum(s.count for s in stretches)
    last_entries = _join_chains(stretches, findings)
    _check_legacy_chain(findings)
    _check_tree(stretches, heads, count, findings, chunk)
    _check_rows(last_entries, findings)
    return _result(findings, count, len(heads), time.perf_counter() - started)


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


def _boundaries(total: int, chunk: int) -> list[int]:
    """The ``seq`` of every ``chunk``-th entry (leaf 0, chunk, 2·chunk…), found by the
    database. ``chunk`` is a power of two, so that every stretch is a complete subtree."""
    if total == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS leaf"
            " FROM workflows_auditentry) AS numbered WHERE leaf %% %s = 0 ORDER BY seq",
            [chunk],
        )
        return [int(seq) for (seq,) in cursor.fetchall()]


def _scan_all(
    heads: list[SignedHead],
    workers: int | None,
    total: int,
    progress: Progress | None,
    chunk: int,
) -> list[audit_scan.Stretch]:
    if chunk & (chunk - 1):
        raise ValueError("a stretch of the log is a power of two entries long")
    starts = _boundaries(total, chunk)
    database = _database()
    jobs = []
    for number, lo in enumerate(starts):
        hi = starts[number + 1] if number + 1 < len(starts) else 2**62
        first = number * chunk
        sizes = [h.size for h in heads if first < h.size <= first + chunk]
        jobs.append((database, lo, hi, first, sizes))
    in_transaction = connection.in_atomic_block
    workers = workers or min(os.cpu_count() or 1, 4)
    if multiprocessing.current_process().daemon:  # a Celery prefork worker has no children
        workers = 1
    done: list[audit_scan.Stretch] = []
    if in_transaction or (database["vendor"] != "postgresql" and not _on_disk(database)):
        # Uncommitted rows are visible to this connection only.
        for job in jobs:
            done.append(_scan_here(job))
            if progress:
                progress(sum(s.count for s in done), total)
        return done
    if workers == 1 or len(jobs) == 1:
        iterator: Iterable[audit_scan.Stretch] = map(audit_scan.scan, jobs)
        for stretch in iterator:
            done.append(stretch)
            if progress:
                progress(sum(s.count for s in done), total)
        return done
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers, len(jobs))) as pool:
        for stretch in pool.imap(audit_scan.scan, jobs):
            done.append(stretch)
            if progress:
                progress(sum(s.count for s in done), total)
    return done


def _on_disk(database: dict[str, Any]) -> bool:
    path = str(database.get("path", ""))
    return bool(path) and path != ":memory:" and "mode=memory" not in path


def _scan_here(job: tuple[dict[str, Any], int, int, int, list[int]]) -> audit_scan.Stretch:
    _, lo, hi, start, sizes = job
    with connection.cursor() as cursor:
        cursor.execute(audit_scan.select_sql(connection.vendor), [lo, hi])
        return audit_scan.verify_rows(cursor, start, sizes)


# --- joining chains -------------------------------------------------------------------------


def _join_chains(stretches: list[audit_scan.Stretch], findings: _Findings) -> dict[int, Any]:
    last: dict[int, audit_scan.Piece] = {}
    for stretch in stretches:
        for seq, application, why in stretch.bad:
            findings.add(seq, _WHY[why].format(seq=seq, application=application))
        for application, piece in stretch.pieces.items():
            before = last.get(application)
            expected_position = before.last_app_seq + 1 if before else 1
            expected_prev = before.last_hash if before else GENESIS
            if piece.first_app_seq != expected_position:
                findings.add(
                    piece.first_seq,
                    _WHY["out of order"].format(seq=piece.first_seq, application=application),
                )
            elif piece.first_prev and piece.first_prev != expected_prev:
                findings.add(
                    piece.first_seq,
                    _WHY["unlinked"].format(seq=piece.first_seq, application=application),
                )
            last[application] = piece
    return last


_WHY = {
    "altered": "entry #{seq} was altered after it was written",
    "out of order": "entry #{seq} does not follow application {application}'s previous entry "
    "(an entry before it is missing)",
    "unlinked": "entry #{seq} does not follow its predecessor in application {application}'s chain",
}


def _check_legacy_chain(findings: _Findings) -> None:
    """Entries of the old global chain: gapless from #1, linked, ending at the frozen head."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    names = [f.attname for f in AuditEntry._meta.concrete_fields]
    rows = (
        AuditEntry.objects.filter(hash_version=1)
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
    chunk_frontier: merkle.Frontier = []  # whole stretches so far, as complete subtrees
    by_size: dict[int, list[SignedHead]] = {}
    for head in heads:
        by_size.setdefault(head.size, []).append(head)
    for number, stretch in enumerate(stretches):
        for size, partial in stretch.frontiers.items():
            # Levels count whole stretches here; folding the digests needs only their order.
            root = merkle.root_of(chunk_frontier + partial).hex()
            for head in by_size[size]:
                if root != head.root:
                    findings.add(
                        None,
                        f"checkpoint {size} ({head.source}) does not match the log: an entry "
                        f"among the first {size} was rewritten, removed or inserted",
                    )
        if stretch.count == chunk:
            merkle.append(chunk_frontier, stretch.root, size=number)
    for head in heads:
        if head.size > count:
            findings.add(
                None,
                f"the log holds {count} entries but checkpoint {head.size} ({head.source}) "
                f"covered {head.size}: entries were removed from its end",
            )


# --- rows against history -------------------------------------------------------------------


def _check_rows(last_entries: dict[int, audit_scan.Piece], findings: _Findings) -> None:
    names = [f.attname for f in FundingApplication._meta.concrete_fields]
    suspects = [
        values["id"]
        for values in FundingApplication.objects.values(*names).iterator(chunk_size=2000)
        if not _row_matches(values, _as_last(last_entries.get(values["id"])))
    ]
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


def _as_last(piece: audit_scan.Piece | None) -> _Last | None:
    if piece is None:
        return None
    return piece.last_seq, piece.last_content, piece.last_state, piece.last_target


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
