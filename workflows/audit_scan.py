"""The verifier's inner loop: one stretch of the log, read straight from the database driver.

No Django here, so that worker processes start in a few milliseconds and hash bytes rather
than build model instances. A stretch is a run of entries in ``seq`` order starting at a leaf
index that is a multiple of the chunk size; the verifier gives each worker process one stretch,
so that joining them costs one look-up per application and worker, whatever the log's length.

On PostgreSQL the rows come as ``COPY`` text, one line each, holding the bytes the entry's hash
covers as the database writes them from its columns (all but ``details``); an entry whose
hash does not match that way (a field needed escaping) is read again, decoded and encoded by
``audit_encoding.chain_bytes``, the writer's own rule, before it is called altered. The
result carries what the parent needs to join stretches: each application's first and last
entry in the stretch, the roots of the stretch's complete chunks, the frontiers the
checkpoints ending inside it need, and the entries that do not match.
"""

from __future__ import annotations

import json
import re
import sqlite3
from binascii import Error as HexError
from binascii import hexlify, unhexlify
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from .audit_encoding import chain_bytes, quoted_details
from .audit_merkle import LEAF, Frontier, frontier_of, subtree_root

CHUNK = 1 << 15  # leaves per chunk (a complete subtree of the whole tree)
GENESIS = "0" * 64

# (the actor and ``details`` last: what comes before them is the text that must hold no quote
# and no backslash for an entry to be hashed from its line)
_COLUMNS = (
    "application_id, app_seq, transition, source, target, actor_name, actor_role, tier,"
    " {at_us}, reason, content_digest, state_digest, prev_hash, hash_version, seq, entry_hash,"
    " actor_id, {details}"
)
_AT_US = {
    "postgresql": "(EXTRACT(EPOCH FROM at) * 1000000)::bigint",
    # Django keeps SQLite times as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.
    # (seconds read without their fraction: SQLite rounds times to milliseconds)
    "sqlite": "CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(at, 21, 6) AS INTEGER)",
}
_DETAILS = {"postgresql": "details::text", "sqlite": "details"}
PROGRESS_EVERY = 1 << 14  # rows between two progress reports


def select_sql(vendor: str, lo: int, hi: int | None) -> str:
    """The rows of one stretch, ``lo ≤ seq < hi`` (no upper bound when ``hi`` is None)."""
    upper = "" if hi is None else f" AND seq < {int(hi)}"
    return _select(vendor, f"seq >= {int(lo)}{upper}")


def _select(vendor: str, where: str) -> str:
    columns = _COLUMNS.format(at_us=_AT_US[vendor], details=_DETAILS[vendor])
    return f"SELECT {columns} FROM workflows_auditentry WHERE {where} ORDER BY seq"  # noqa: S608 (numbers only)


Last = tuple[int, str, int, str, str, str]  # app_seq, hash, seq, content, state, target
First = tuple[int, str, int]  # app_seq, prev_hash ("" for an entry of the old chain), seq


@dataclass
class Stretch:
    start: int  # leaf index of its first entry
    count: int = 0
    bad: list[tuple[int, int, str]] = field(default_factory=list)  # (seq, application, why)
    firsts: dict[int, First] = field(default_factory=dict)
    lasts: dict[int, Last] = field(default_factory=dict)
    roots: list[bytes] = field(default_factory=list)  # each complete chunk's root, in order
    partial: Frontier = field(default_factory=list)  # the incomplete last chunk, if any
    frontiers: dict[int, Frontier] = field(default_factory=dict)  # tree size → in its chunk
    legacy_last: int = 0  # the last entry of the old global chain in the stretch, if any


@dataclass(frozen=True)
class Job:
    database: dict[str, Any]
    lo: int
    hi: int | None
    start: int
    sizes: tuple[int, ...]  # checkpoint sizes ending inside the stretch
    chunk: int = CHUNK
    snapshot: str = ""  # PostgreSQL: the exported snapshot every stretch reads


_counter: Any = None  # the shared count of rows read, in a worker process


def start_worker(counter: Any) -> None:
    global _counter  # one per worker process
    _counter = counter


def _report(rows: int) -> None:
    if _counter is not None:
        with _counter.get_lock():
            _counter.value += rows


_SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9A-F]+)?")


def scan(job: Job, progress: Callable[[int], None] | None = None) -> Stretch:
    """Verify one stretch in a connection of its own."""
    report = progress or _report
    if job.database["vendor"] == "postgresql":
        import psycopg

        with psycopg.connect(job.database["dsn"], autocommit=True) as conn:
            pgconn = conn.pgconn
            _command(pgconn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # The worker processes are the parallelism; the rows stream in ``seq`` order.
            _command(pgconn, "SET LOCAL max_parallel_workers_per_gather = 0")
            if job.snapshot:
                if not _SNAPSHOT.fullmatch(job.snapshot):
                    raise ValueError(f"not a snapshot: {job.snapshot!r}")
                _command(pgconn, f"SET TRANSACTION SNAPSHOT '{job.snapshot}'")
            stretch = scan_copy(pgconn, job, report)
            _command(pgconn, "COMMIT")
            return stretch
    database = sqlite3.connect(job.database["path"])
    try:
        return scan_rows(database.execute, job, report)
    finally:
        database.close()


def _command(pgconn: Any, sql: str) -> None:
    result = pgconn.exec_(sql.encode())
    if result.status != 1:  # COMMAND_OK
        raise RuntimeError(f"{sql}: {pgconn.error_message.decode(errors='replace')}")


def copy_lines(pgconn: Any, sql: str) -> Iterator[bytes]:
    """The rows of ``sql`` as ``COPY`` text lines (without their newline), straight from libpq."""
    get = _start_copy(pgconn, sql)
    while True:
        size, data = get(0)
        if size < 0:
            break
        yield bytes(data[:-1])
    _end_copy(pgconn)


def _start_copy(pgconn: Any, sql: str) -> Callable[[int], tuple[int, Any]]:
    pgconn.send_query(f"COPY ({sql}) TO STDOUT".encode())
    result = pgconn.get_result()
    if result is None or result.status != 3:  # COPY_OUT
        raise RuntimeError(pgconn.error_message.decode(errors="replace"))
    return pgconn.get_copy_data  # type: ignore[no-any-return]


def _end_copy(pgconn: Any) -> None:
    failed = ""
    while (result := pgconn.get_result()) is not None:
        if result.status != 1:
            failed = pgconn.error_message.decode(errors="replace")
    if failed:
        raise RuntimeError(failed)


# On PostgreSQL the database writes the bytes an entry's hash covers, up to its ``details``
# (``head``) and after them (``tail``), from the columns as they stand; ``details`` come apart,
# as their canonical text is this side's to write. (Written here as SQL text: nothing here
# comes from the user.) ``||`` costs the server about a quarter less than ``concat()``, and the
# time in floating point less than the numeric ``EXTRACT``: it rounds to the same microsecond
# for times before about 2100, and where a line came out otherwise (or NULL), its hash would
# not match and the entry would be read again exactly.
_HEAD = (
    "'[2,' || application_id || ',' || app_seq || ',\"' || transition || '\",\"' || source"
    " || '\",\"' || target || '\",' || coalesce(actor_id::text, 'null') || ',\"' || actor_name"
    " || '\",\"' || actor_role || '\",\"' || tier || '\",'"
    " || (date_part('epoch', at) * 1000000)::bigint || ',\"' || reason || '\",'"
)
_TAIL = "',\"' || content_digest || '\",\"' || state_digest || '\",\"' || prev_hash || '\"]'"


def copy_sql(lo: int, hi: int | None) -> str:
    """``COPY`` lines of one stretch (PostgreSQL): application, position, version, ``seq``,
    hash, the hashed bytes before and after ``details``, then ``details`` (the line's last
    field, read with its newline: ``json.loads`` takes it as it comes)."""
    upper = "" if hi is None else f" AND seq < {int(hi)}"
    return (
        "SELECT application_id, app_seq, hash_version, seq, entry_hash, "  # noqa: S608
        f"{_HEAD}, {_TAIL}, details::text FROM workflows_auditentry "
        f"WHERE seq >= {int(lo)}{upper} ORDER BY seq"
    )


def scan_copy(pgconn: Any, job: Job, report: Callable[[int], None]) -> Stretch:
    """The hot loop over ``COPY`` text lines.

    An entry is hashed from the database's text of its fields with only its ``details``
    written here. Where a field needs escaping (a quote, a backslash, a control character)
    that text is not the writer's, and its hash does not match: such an entry is read again
    field by field after the stretch and hashed by the writer's own rule before it is called
    altered. A match cannot be had from changed fields: the text holds no quote but the
    array's own (the writer escapes every quote in a string, ``COPY`` none), so it splits
    into the same fields as the writer's array, and ``COPY`` writes a field as JSON does or
    with an escape JSON never writes.
    """
    bad: list[tuple[int, int, str]] = []
    again: list[tuple[bytes, int]] = []  # entries to hash field by field: seq, leaf index
    firsts: dict[bytes, tuple[int, bytes, bytes]] = {}
    lasts: dict[bytes, tuple[int, bytes, bytes, bytes]] = {}  # position, hash, seq, line
    hashes: list[bytes] = []
    keep = hashes.append
    legacy_last = b"0"
    details_of = _Details(copy_text)
    known = details_of.known
    v2 = b"2"
    rows = 0
    get = _start_copy(pgconn, copy_sql(job.lo, job.hi))
    while True:  # the loop of ``copy_lines``, without a generator's cost per row
        size, view = get(0)
        if size < 0:
            break
        line = bytes(view)  # with its newline, on ``details``
        application, app_seq, version, seq, digest, head, tail, details = line.split(b"\t", 7)
        position = int(app_seq)
        if version == v2:
            raw = sha256(head + (known.get(details) or details_of(details)) + tail).digest()
            if hexlify(raw) != digest:
                again.append((seq, len(hashes)))
            prev = tail[-66:-2]
        else:  # the old global chain, checked on its own
            raw = _unhex(digest)
            legacy_last = seq
        before = lasts.get(application)
        if before is None:
            firsts[application] = (position, prev if version == v2 else b"", seq)
        elif position != before[0] + 1:
            bad.append((int(seq), int(application), "out of order"))
        elif version == v2 and prev != before[1]:
            bad.append((int(seq), int(application), "unlinked"))
        lasts[application] = (position, digest, seq, line)
        keep(raw)
        rows += 1
        if rows == PROGRESS_EVERY:
            report(rows)
            rows = 0
    _end_copy(pgconn)
    report(rows)
    # The entries of the old chain that end their application's part of the stretch are read
    # field by field too: their line was not hashed, so it need not split as an array does.
    legacy = [v[2] for v in lasts.values() if v[3].split(b"\t", 3)[2] != v2]
    exact = _fields_of(pgconn, [seq for seq, _ in again] + legacy)
    for seq, leaf in again:
        fields = exact.get(seq)
        hashes[leaf] = raw = sha256(_exact(fields) if fields else b"").digest()
        if fields is None or hexlify(raw) != fields[15]:
            bad.append((int(seq), int(fields[0] if fields else 0), "altered"))
    leaves = [sha256(LEAF + raw).digest() for raw in hashes]
    stretch = _finish(Stretch(start=job.start, bad=bad, legacy_last=int(legacy_last)), leaves, job)
    stretch.firsts = {int(a): (p, h.decode(), int(s)) for a, (p, h, s) in firsts.items()}
    stretch.lasts = {
        int(a): _last(p, h, int(s), exact.get(s), line) for a, (p, h, s, line) in lasts.items()
    }
    return stretch


def _fields_of(pgconn: Any, seqs: list[bytes]) -> dict[bytes, list[bytes]]:
    """The ``COPY`` fields of the entries ``seqs``, in ``select_sql``'s order, by ``seq``."""
    found: dict[bytes, list[bytes]] = {}
    for where in _among(seqs):
        for line in copy_lines(pgconn, _select("postgresql", where)):
            fields = line.split(b"\t")
            found[fields[14]] = fields
    return found


def _among(seqs: list[bytes] | list[int]) -> Iterator[str]:
    """Conditions that together select the entries ``seqs``, a thousand at a time."""
    for start in range(0, len(seqs), 1000):
        yield f"seq IN ({', '.join(str(int(seq)) for seq in seqs[start : start + 1000])})"


def _last(position: int, digest: bytes, seq: int, fields: list[bytes] | None, line: bytes) -> Last:
    """An application's last entry in the stretch, from its fields when they were read again,
    else from its line (whose hash matched: its text splits as the writer's array, whose
    fifth string is the target)."""
    if fields is not None:
        content, state, target = (copy_text(fields[i]) or "" for i in (10, 11, 4))
        return position, digest.decode(), seq, content, state, target
    _, _, _, _, _, head, tail, _ = line.split(b"\t", 7)
    target = head.split(b'"', 6)[5].decode()
    digests = tail.split(b'"', 4)
    return position, digest.decode(), seq, digests[1].decode(), digests[3].decode(), target


# On SQLite as on PostgreSQL, the database writes the bytes an entry's hash covers, but for its
# ``details``: here the text is the stored text itself, unescaped.
_SQLITE_HEAD = (
    "CAST('[2,' || application_id || ',' || app_seq || ',\"' || transition || '\",\"' || source"
    " || '\",\"' || target || '\",' || coalesce(actor_id, 'null') || ',\"' || actor_name"
    " || '\",\"' || actor_role || '\",\"' || tier || '\",' || (" + _AT_US["sqlite"] + ")"
    " || ',\"' || reason || '\",' AS BLOB)"
)
_SQLITE_TAIL = (
    "CAST(',\"' || content_digest || '\",\"' || state_digest || '\",\"' || prev_hash || '\"]'"
    " AS BLOB)"
)


def sqlite_sql(lo: int, hi: int | None) -> str:
    """The rows of one stretch (SQLite), in the order of ``copy_sql``'s fields."""
    upper = "" if hi is None else f" AND seq < {int(hi)}"
    return (
        "SELECT application_id, app_seq, hash_version, seq, CAST(entry_hash AS BLOB), target,"  # noqa: S608
        f" details, {_SQLITE_HEAD}, {_SQLITE_TAIL} FROM workflows_auditentry"
        f" WHERE seq >= {int(lo)}{upper} ORDER BY seq"
    )


def scan_rows(
    execute: Callable[[str], Iterable[Any]], job: Job, report: Callable[[int], None]
) -> Stretch:
    """The loop over SQLite's rows (``execute`` runs a query on a connection).

    As on PostgreSQL, an entry is hashed from the database's text of its fields, with only its
    ``details`` written here, and an entry whose hash does not match is read again field by
    field and hashed by the writer's rule before it is called altered. So is every entry a
    field of which holds a backslash: the text is the field's own, unescaped, and a backslash
    could make a quote in a changed field look like the writer's escaped one.
    """
    stretch = Stretch(start=job.start)
    bad = stretch.bad
    again: list[tuple[int, int]] = []  # seq, leaf index
    firsts: dict[int, tuple[int, bytes, int]] = {}
    lasts: dict[int, tuple[int, bytes, int, str, bytes]] = {}  # position, hash, seq, target, tail
    hashes: list[bytes] = []
    keep = hashes.append
    details_of = _Details(str)
    known = details_of.known
    rows = 0
    for application, app_seq, version, seq, digest, target, details, head, tail in execute(
        sqlite_sql(job.lo, job.hi)
    ):
        if version != 1:
            try:
                raw = sha256(head + (known.get(details) or details_of(details)) + tail).digest()
                plain = b"\\" not in head and b"\\" not in tail
            except TypeError:  # a NULL where the writer wrote text
                raw, plain, tail = b"", False, b""
            if not plain or hexlify(raw) != digest:
                again.append((seq, len(hashes)))
            prev = tail[-66:-2]
        else:  # the old global chain, checked on its own
            raw = _unhex(digest)
            stretch.legacy_last = seq
        before = lasts.get(application)
        if before is None:
            firsts[application] = (app_seq, prev if version != 1 else b"", seq)
        elif app_seq != before[0] + 1:
            bad.append((seq, application, "out of order"))
        elif version != 1 and prev != before[1]:
            bad.append((seq, application, "unlinked"))
        lasts[application] = (app_seq, digest, seq, target, tail)
        keep(raw)
        rows += 1
        if rows == PROGRESS_EVERY:
            report(rows)
            rows = 0
    report(rows)
    exact = _rows_of(execute, [seq for seq, _ in again])
    for seq, leaf in again:
        row = exact.get(seq)
        hashes[leaf] = raw = sha256(_exact_row(row) if row else b"").digest()
        if row is None or raw.hex() != row[15]:
            bad.append((seq, row[0] if row else 0, "altered"))
    leaves = [sha256(LEAF + raw).digest() for raw in hashes]
    _finish(stretch, leaves, job)
    stretch.firsts = {a: (p, h.decode(), s) for a, (p, h, s) in firsts.items()}
    for application, (position, digest, seq, target, tail) in lasts.items():
        row = exact.get(seq)
        if row is not None:
            content, state = row[10], row[11]
        else:  # its hash matched: the tail splits as the writer's array
            parts = tail.split(b'"') if tail else [b""] * 4
            content, state = parts[1].decode(), parts[3].decode()
        stretch.lasts[application] = (position, digest.decode(), seq, content, state, target)
    return stretch


def _rows_of(execute: Callable[[str], Iterable[Any]], seqs: list[int]) -> dict[int, Any]:
    """The rows of the entries ``seqs``, in ``select_sql``'s order, by ``seq``."""
    found: dict[int, Any] = {}
    for where in _among(seqs):
        for row in execute(_select("sqlite", where)):
            found[row[14]] = row
    return found


def _exact_row(row: Any) -> bytes:
    """The writer's bytes for an entry's row (in ``select_sql``'s order); b"" when a field
    cannot be what the writer wrote."""
    (application, app_seq, transition, source, target, actor_name, actor_role, tier, at_us,
     reason, content, state, prev, _, _, _, actor, details) = row  # fmt: skip
    try:
        return chain_bytes(
            application, app_seq, transition, source, target, actor, actor_name, actor_role,
            tier, at_us, reason, _Details.canonical(details), content, state, prev,
        )  # fmt: skip
    except (TypeError, ValueError):
        return b""


class _Details:
    """``details`` as the database gives it → its canonical text, quoted as it stands in the
    array. Remembered: most entries share a few."""

    def __init__(self, decode: Callable[[Any], Any]) -> None:
        self.decode = decode
        self.known: dict[Any, bytes] = {}

    def __call__(self, value: bytes) -> bytes:
        found = self.known.get(value)
        if found is None:
            if len(self.known) > 4096:
                self.known.clear()
            try:
                found = quoted_details(self.canonical(self.decode(value)))
            except ValueError:
                found = b'""'  # not JSON: the entry cannot match; the exact path says so
            self.known[value] = found
        return found

    @staticmethod
    def canonical(text: Any) -> str:
        value = json.loads(text) if isinstance(text, str | bytes) else text
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _exact(line: list[bytes]) -> bytes:
    """The writer's bytes for an entry's ``COPY`` fields (in ``select_sql``'s order), every
    field decoded; b"" when a field cannot be what the writer wrote."""
    fields = [copy_text(f) for f in line]
    (application, app_seq, transition, source, target, actor_name, actor_role, tier, at_us,
     reason, content, state, prev, _, _, _, actor, details) = fields  # fmt: skip
    try:
        return chain_bytes(
            int(application or ""), int(app_seq or ""), transition, source, target,  # type: ignore[arg-type]
            None if actor is None else int(actor), actor_name, actor_role, tier,  # type: ignore[arg-type]
            int(at_us or ""), reason, _Details.canonical(details), content, state, prev,  # type: ignore[arg-type]
        )  # fmt: skip
    except (TypeError, ValueError):
        return b""


_ESCAPED = re.compile(r"\\(.)")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def copy_text(value: bytes) -> str | None:
    """One field of a ``COPY`` text line: None for NULL, else its text with escapes undone."""
    if value == b"\\N":
        return None
    text = value.decode()
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: _ESCAPES.get(m[1], m[1]), text)


def _unhex(digest: bytes) -> bytes:
    try:
        return unhexlify(digest)
    except (HexError, ValueError):
        return b""


# --- the stretch's part of the tree ---------------------------------------------------------


def _finish(stretch: Stretch, leaves: list[bytes], job: Job) -> Stretch:
    chunk = job.chunk
    stretch.count = len(leaves)
    whole = len(leaves) - len(leaves) % chunk
    stretch.roots = [subtree_root(leaves[i : i + chunk]) for i in range(0, whole, chunk)]
    if whole < len(leaves):
        stretch.partial = frontier_of(leaves[whole:], job.start + whole)
    for size in job.sizes:
        within = size - job.start
        if 0 < within <= len(leaves):
            begins = (within - 1) // chunk * chunk
            stretch.frontiers[size] = frontier_of(leaves[begins:within], job.start + begins)
    return stretch
