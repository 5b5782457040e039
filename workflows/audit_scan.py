"""The verifier's inner loop: one stretch of the log, read straight from the database driver.

No Django here, so that worker processes start in a few milliseconds and hash bytes rather
than build model instances. A stretch is a run of entries in ``seq`` order starting at a
leaf index that is a multiple of ``CHUNK``; its result carries what the parent needs to join
stretches: each application's first and last entry in it, the stretch's Merkle subtrees, and
the entries whose hash does not match.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _quote  # JSON's own string quoting
from typing import Any

from .audit_merkle import Frontier, append, leaf_hash, root_of

CHUNK = 1 << 15  # leaves per stretch (a complete subtree of the whole tree)
GENESIS = "0" * 64

_COLUMNS = (
    "seq, application_id, app_seq, hash_version, transition, source, target, actor_id,"
    " actor_name, actor_role, tier, {at_us}, reason, {details}, content_digest, state_digest,"
    " prev_hash, entry_hash"
)
_AT_US = {
    "postgresql": "(EXTRACT(EPOCH FROM at) * 1000000)::bigint",
    # Django keeps SQLite times as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.
    # (seconds read without their fraction: SQLite rounds times to milliseconds)
    "sqlite": "CAST(strftime('{percent}s', substr(at, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(at, 21, 6) AS INTEGER)",
}
_DETAILS = {"postgresql": "details::text", "sqlite": "details"}


def select_sql(vendor: str, *, placeholder: str = "%s", percent: str = "%%") -> str:
    """The rows of one stretch; ``placeholder`` and ``percent`` as the driver spells them."""
    columns = _COLUMNS.format(
        at_us=_AT_US[vendor].format(percent=percent), details=_DETAILS[vendor]
    )
    return (
        f"SELECT {columns} FROM workflows_auditentry "  # noqa: S608
        f"WHERE seq >= {placeholder} AND seq < {placeholder} ORDER BY seq"
    )


@dataclass
class Piece:
    """One application's entries within a stretch."""

    first_app_seq: int
    first_prev: str  # the first entry's prev_hash ("" for an entry of the old global chain)
    first_seq: int
    last_app_seq: int
    last_hash: str
    last_seq: int
    last_content: str
    last_state: str
    last_target: str


@dataclass
class Stretch:
    start: int  # leaf index of its first entry
    count: int = 0
    bad: list[tuple[int, int, str]] = field(default_factory=list)  # (seq, application, why)
    pieces: dict[int, Piece] = field(default_factory=dict)
    frontiers: dict[int, Frontier] = field(default_factory=dict)  # tree size → partial frontier
    root: bytes = b""


def connect(database: dict[str, Any]) -> Any:
    if database["vendor"] == "postgresql":
        import psycopg

        return psycopg.connect(database["dsn"])  # a named cursor needs a transaction
    return sqlite3.connect(database["path"])


def scan(job: tuple[dict[str, Any], int, int, int, list[int]]) -> Stretch:
    """Verify entries with ``lo ≤ seq < hi`` (leaf ``start`` onwards). ``sizes`` are the tree
    sizes of checkpoints ending inside the stretch, whose partial frontiers are wanted."""
    database, lo, hi, start, sizes = job
    vendor = database["vendor"]
    sql = select_sql(vendor)
    conn = connect(database)
    try:
        if vendor == "postgresql":
            with conn.cursor(name=f"audit_{lo}") as cursor:  # streamed from the server
                cursor.itersize = 20000
                cursor.execute(sql, (lo, hi))
                return verify_rows(cursor, start, sizes)
        cursor = conn.execute(select_sql(vendor, placeholder="?", percent="%"), (lo, hi))
        return verify_rows(cursor, start, sizes)
    finally:
        conn.close()


def chain_bytes(
    application: int,
    app_seq: int,
    transition: str,
    source: str,
    target: str,
    actor: int | None,
    actor_name: str,
    actor_role: str,
    tier: str,
    at_us: int,
    reason: str,
    details: str,
    content: str,
    state: str,
    prev: str,
) -> bytes:
    """What a version-2 entry's hash covers: exactly ``audit.chain_hash``'s JSON array, built
    here without the general encoder (the verifier's inner loop)."""
    q = _quote
    return (
        f"[2,{application},{app_seq},{q(transition)},{q(source)},{q(target)},"
        f"{'null' if actor is None else actor},{q(actor_name)},{q(actor_role)},{q(tier)},"
        f"{at_us},{q(reason)},{q(details)},{q(content)},{q(state)},{q(prev)}]"
    ).encode()


def verify_rows(rows: Any, start: int, sizes: list[int]) -> Stretch:
    result = Stretch(start=start)
    loads, canonical, encoded = json.loads, _canonical, chain_bytes
    sha256 = hashlib.sha256
    frontier: Frontier = []
    wanted = set(sizes)
    pieces = result.pieces
    bad = result.bad
    size = start
    for row in rows:
        (seq, application, app_seq, version, transition, source, target, actor, actor_name,
         actor_role, tier, at_us, reason, details, content, state, prev, digest) = row  # fmt: skip
        if version != 1:
            if details != "{}":
                details = canonical(loads(details))
            data = encoded(application, app_seq, transition, source, target, actor,
                           actor_name, actor_role, tier, at_us, reason, details, content,
                           state, prev)  # fmt: skip
            if sha256(data).hexdigest() != digest:
                bad.append((seq, application, "altered"))
        piece = pieces.get(application)
        if piece is None:
            pieces[application] = Piece(
                app_seq, prev if version != 1 else "", seq,
                app_seq, digest, seq, content, state, target,
            )  # fmt: skip
        else:
            if app_seq != piece.last_app_seq + 1:
                bad.append((seq, application, "out of order"))
            elif version != 1 and prev != piece.last_hash:
                bad.append((seq, application, "unlinked"))
            piece.last_app_seq, piece.last_hash, piece.last_seq = app_seq, digest, seq
            piece.last_content, piece.last_state, piece.last_target = content, state, target
        append(frontier, leaf_hash(bytes.fromhex(digest)), size=size - start)
        size += 1
        if size in wanted:
            result.frontiers[size] = list(frontier)
    result.count = size - start
    result.root = root_of(frontier) if result.count else b""
    return result


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
