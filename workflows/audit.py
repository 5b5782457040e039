"""The audit trail: one hash chain per application, a global order, and appending to it.

Each entry's hash covers its own fields and the hash of the application's previous entry, so
altering or removing an entry breaks the chain after it. Appends take no lock of their own:
the caller already holds the application's row lock (``select_for_update``), which is what
keeps one application's chain linear; ``seq`` comes from a sequence, so decisions on different
applications never wait for each other. Signed checkpoints (``audit_checkpoints``) bind all
chains together and live outside the database; ``audit_verify`` checks everything.

Entries written before per-application chains (``hash_version`` 1) keep their hashes: they
form one global chain that ends at the frozen ``AuditChainHead``.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.db.models import signals
from django.utils import timezone
from django_fsm import ConcurrentTransition

from .access import profile_of
from .audit_encoding import chain_bytes
from .models import AuditEntry, FundingApplication, Status
from .statements import insert_row, insert_statement, row_inserted, take_held

if TYPE_CHECKING:
    from django.db.models import Field, Model
    from django_stubs_ext import StrOrPromise

    from .audit_verify import Verification

GENESIS = "0" * 64
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)

# What a decision leaves on the application, checked against its latest entry even while the
# applicant may still edit the rest (a draft, or a request returned for revision).
STATE_FIELDS = ("status", "returned_from_tier", "approved_amount", "decided_at")
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})

# Taken shared by every append and exclusively, for a moment, by a checkpoint: once it holds
# the lock no append is half done, so every ``seq`` up to the largest one it sees is committed.
APPEND_LOCK = 0x6D66_6175_6474  # PostgreSQL advisory lock key


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__} for the audit trail")


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    ).encode()


def _digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(values)).hexdigest()


_CONTENT = "_content_json"


def content_json(application: FundingApplication) -> bytes:
    """The canonical JSON of the application's content at this moment (status included),
    encoded once while the content stays what it was, value for value and type for type: a
    submission's revision snapshot and its audit entry's digest share one encoding."""
    fields = application.content_fields()
    values = [(type(value), value) for value in fields.values()]
    kept: tuple[list[tuple[type, Any]], bytes] | None = application.__dict__.get(_CONTENT)
    if kept is not None and kept[0] == values:
        return kept[1]
    encoded = canonical_json(fields)
    application.__dict__[_CONTENT] = (values, encoded)
    return encoded


def content_digest(application: FundingApplication) -> str:
    """SHA-256 of the application's content at this moment (status included)."""
    return hashlib.sha256(content_json(application)).hexdigest()


def state_digest(application: FundingApplication) -> str:
    """SHA-256 of the fields a decision sets: status, returning tier, approved amount, time."""
    return _digest({name: getattr(application, name) for name in STATE_FIELDS})


def entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, by the rule of its version."""
    if entry.hash_version == 1:
        return legacy_hash(entry)
    return chain_hash(
        application=entry.application_id,
        app_seq=entry.app_seq,
        transition=entry.transition,
        source=entry.source,
        target=entry.target,
        actor=entry.actor_id,
        actor_name=entry.actor_name,
        actor_role=entry.actor_role,
        tier=entry.tier,
        at_us=(entry.at - EPOCH) // MICROSECOND,
        reason=entry.reason,
        details=canonical_json(entry.details).decode(),
        content_digest=entry.content_digest,
        state_digest=entry.state_digest,
        prev_hash=entry.prev_hash,
    )


def chain_hash(**fields: Any) -> str:
    """Version 2: SHA-256 of ``audit_encoding.chain_bytes(**fields)`` (a JSON array of the
    fields in its order, ``details`` as its own canonical JSON text, the time in microseconds
    since 1970 UTC), the one rule the verifier rebuilds."""
    return hashlib.sha256(chain_bytes(**fields)).hexdigest()


def legacy_hash(entry: AuditEntry) -> str:
    """Version 1, one global chain: SHA-256 of the canonical JSON of the named fields."""
    payload = {
        "seq": entry.seq,
        "application": entry.application_id,
        "transition": entry.transition,
        "source": entry.source,
        "target": entry.target,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "tier": entry.tier,
        "at": entry.at,
        "reason": entry.reason,
        "details": entry.details,
        "content_digest": entry.content_digest,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()


@dataclass
class ChainState:
    """What a decision needs of an application's chain, read once under its row lock: the
    last entry (its position and hash) and who did what at which tier (``permissions`` asks
    it for the separation of duties)."""

    app_seq: int = 0
    head: str | None = None  # the last entry's hash; None before the first entry
    involved: dict[int | None, set[tuple[str, str]]] = field(default_factory=dict)

    def advance(self, entry: AuditEntry) -> None:
        self.app_seq, self.head = entry.app_seq, entry.entry_hash
        self.involved.setdefault(entry.actor_id, set()).add((entry.transition, entry.tier))


_CHAIN = "_audit_chain"


def chain_state(application: FundingApplication) -> ChainState:
    """The application's chain as this transaction sees it: one query, kept on the application
    object and moved on by every append through it. An append checks, in its own statement,
    that the chain still ends where this says (``_insert``), so an entry appended through
    another object of the same application is never forked from."""
    state: ChainState | None = application.__dict__.get(_CHAIN)
    if state is None:
        state = application.__dict__[_CHAIN] = ChainState()
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(_CHAIN_OF, [application.pk])
            rows = cursor.fetchall()
        if rows:
            state.app_seq, state.head = int(rows[0][0]), str(rows[0][1])
        for _seq, _hash, actor_id, name, tier in rows:
            state.involved.setdefault(actor_id, set()).add((name, tier))
    return state


def keep_chain_read_with_row(application: FundingApplication, chain: str) -> None:
    """Keep on ``application`` its chain (a JSON array of [app_seq, entry_hash, actor_id,
    transition, tier], in any order), read under its row lock with the row, for
    ``chain_state``."""
    rows = sorted(json.loads(chain), key=lambda row: row[0], reverse=True)
    state = application.__dict__[_CHAIN] = ChainState()
    if rows:
        state.app_seq, state.head = int(rows[0][0]), str(rows[0][1])
    for _seq, _hash, actor_id, name, tier in rows:
        state.involved.setdefault(actor_id, set()).add((name, tier))


def record_transition(
    application: FundingApplication,
    *,
    actor: Any,
    name: str,
    source: str,
    tier: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    saving: Sequence[str] = (),
    records: Sequence[Model] = (),
) -> AuditEntry:
    """Append one entry for a state change. Must run inside the transaction that made it, with
    the application's row locked (as every decision holds it).

    ``saving`` names the application's fields the change set, written with the entry: on
    PostgreSQL in the entry's own statement (the row's UPDATE as a data-modifying WITH), on
    SQLite just before it. ``records`` are new rows of the decision's own (a formal check, a
    group recommendation), inserted with them. Raises ConcurrentTransition when the row's
    status is no longer ``source`` (what the statement wrote ends with the transaction)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("record_transition must run inside the transition's transaction")
    with_row = bool(saving) and connection.vendor == "postgresql"
    if saving and not with_row:
        _save_row(connection, application, saving, source=source)
    if not with_row:
        for record in records:
            insert_row(record)
    profile = profile_of(actor)
    details_text = canonical_json(details or {}).decode()
    entry = AuditEntry(
        application=application,
        hash_version=2,
        transition=name,
        source=source,
        target=application.status,
        actor=actor,
        actor_name=(actor.get_full_name() or actor.get_username()) if actor else "system",
        actor_role=profile.role if profile else ("superuser" if actor else "system"),
        tier=tier,
        at=timezone.now(),
        reason=reason,
        details=json.loads(details_text),
        content_digest=content_digest(application),
        state_digest=state_digest(application),
    )
    for _attempt in range(2):
        state = chain_state(application)
        entry.app_seq, entry.prev_hash = state.app_seq + 1, state.head or GENESIS
        entry.entry_hash = entry_hash(entry)
        if with_row:
            with_row = False  # the row is written by this statement, whatever the chain says
            inserted = _save_and_insert(
                connection, application, saving, records, entry, source=source, after=state.head
            )
        else:
            inserted = _insert(connection, entry, after=state.head)
        if inserted:
            state.advance(entry)
            return entry
        # Another object of this application appended under the same lock: read it again.
        application.__dict__.pop(_CHAIN, None)
    raise RuntimeError(f"the audit chain of application {application.pk} moved under its lock")


_TABLE = AuditEntry._meta.db_table
_FIELDS = [
    f
    for f in AuditEntry._meta.concrete_fields
    if f.attname not in ("id", "seq")  # drawn by the database
]
_COLUMNS = [f.column for f in _FIELDS]
# Written out once rather than built by the ORM on every decision; nothing goes into them but
# the model's own table and column names.
_CHAIN_OF = (
    f'SELECT app_seq, entry_hash, actor_id, transition, tier FROM "{_TABLE}" '  # noqa: S608
    "WHERE application_id = %s ORDER BY app_seq DESC"
)
_LAST_HASH = (
    f'(SELECT entry_hash FROM "{_TABLE}" WHERE application_id = %s '  # noqa: S608
    "ORDER BY app_seq DESC LIMIT 1)"
)
_COLUMN_LIST = ", ".join(f'"{c}"' for c in _COLUMNS)
_PLACEHOLDERS = ", ".join(["%s"] * len(_COLUMNS))
_INSERT_POSTGRES = (
    f'INSERT INTO "{_TABLE}" (seq, {_COLUMN_LIST}) '  # noqa: S608
    f"SELECT nextval('workflows_auditentry_seq'), {_PLACEHOLDERS} "
    f"FROM (SELECT pg_advisory_xact_lock_shared({APPEND_LOCK})) AS appending "
    f"WHERE {_LAST_HASH} IS NOT DISTINCT FROM %s "
    "RETURNING id, seq"
)
# SQLite writes one transaction at a time (the settings begin them IMMEDIATE), so the next
# number is simply one more than the largest.
_INSERT_SQLITE = (
    f'INSERT INTO "{_TABLE}" (seq, {_COLUMN_LIST}) '  # noqa: S608
    f'SELECT (SELECT COALESCE(MAX(seq), 0) + 1 FROM "{_TABLE}"), {_PLACEHOLDERS} '
    f"WHERE {_LAST_HASH} IS %s "
    "RETURNING id, seq"
)


def _insert(connection: Any, entry: AuditEntry, *, after: str | None) -> bool:
    """Insert ``entry`` if its application's chain still ends at ``after`` (None: is empty);
    False, inserting nothing, otherwise."""
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _FIELDS]
    sql = _INSERT_POSTGRES if connection.vendor == "postgresql" else _INSERT_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, entry.application_id, after])
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk, entry.seq = row
    entry._state.adding = False
    entry._state.db = connection.alias
    return True


# The application's UPDATE (``{update}``, as Django compiles it) and the entry's INSERT in one
# statement; the entry only if the row was written and the chain still ends where the append
# expects. Returns whether the row was written, and the entry's id and seq (NULL if not added).
_SAVE_AND_INSERT_POSTGRES = (
    "WITH {held}moved AS ({update} RETURNING 1), {records}appended AS ("  # noqa: S608
    f'INSERT INTO "{_TABLE}" (seq, {_COLUMN_LIST}) '
    f"SELECT nextval('workflows_auditentry_seq'), {_PLACEHOLDERS} "
    f"FROM (SELECT pg_advisory_xact_lock_shared({APPEND_LOCK})) AS appending "
    f"WHERE EXISTS (SELECT 1 FROM moved) AND {_LAST_HASH} IS NOT DISTINCT FROM %s "
    "RETURNING id, seq) "
    "SELECT EXISTS (SELECT 1 FROM moved), appended.id, appended.seq{record_ids}{held_values} "
    "FROM (SELECT 1) AS one LEFT JOIN appended ON TRUE"
)


def _save_and_insert(
    connection: Any,
    application: FundingApplication,
    saving: Sequence[str],
    records: Sequence[Model],
    entry: AuditEntry,
    *,
    source: str,
    after: str | None,
) -> bool:
    """PostgreSQL: write ``saving`` of the application (as ``save(update_fields=saving)``
    would, its status still ``source``), insert the ``records`` (as ``save`` would) and
    ``entry``, in one statement; False when the row and the records were written but the
    chain had moved (the entry is left to ``_insert``). The writes held for it (the decision's
    flow tasks, ``statements.writes_held``) go in the same statement, first."""
    update_sql, update_params = _row_update(connection, application, saving, source=source)
    inserts = [insert_statement(record) for record in records]
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _FIELDS]
    held = take_held(connection)
    sql = _SAVE_AND_INSERT_POSTGRES.format(
        held="".join(write.ctes for write in held),
        update=update_sql,
        records="".join(f"record{n} AS ({sql}), " for n, (sql, _) in enumerate(inserts)),
        record_ids="".join(f", (SELECT id FROM record{n})" for n in range(len(inserts))),  # noqa: S608
        held_values="".join(f", {column}" for write in held for column in write.columns),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *(p for write in held for p in write.params),
                *update_params,
                *(p for _, params in inserts for p in params),
                *values,
                entry.application_id,
                after,
            ],
        )
        written, pk, seq, *returned = cursor.fetchone()
    if not written:
        raise ConcurrentTransition(_MOVED)
    record_pks, returned = returned[: len(records)], returned[len(records) :]
    for write in held:
        write.done(returned[: len(write.columns)])
        returned = returned[len(write.columns) :]
    for record, record_pk in zip(records, record_pks, strict=True):
        row_inserted(record, record_pk)
    _row_saved(connection, application, saving)
    if pk is None:
        return False
    entry.pk, entry.seq = pk, seq
    entry._state.adding = False
    entry._state.db = connection.alias
    return True


_MOVED = "Cannot save object! The state has been changed."


@functools.cache
def _row_update_sql(saving: tuple[str, ...]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    """The application's UPDATE of the fields ``saving`` where its id and status are the
    parameters after theirs, written once per set of fields (as Django would compile it, with
    a placeholder for every value, NULL included)."""
    meta = FundingApplication._meta
    fields = tuple(cast("Field[Any, Any]", meta.get_field(name)) for name in saving)
    if any(hasattr(f, "get_placeholder") for f in fields):
        raise RuntimeError("a field with its own placeholder is not written here")
    table = f'"{meta.db_table}"'
    columns = ", ".join(f'"{f.column}" = %s' for f in fields)
    status = meta.get_field("status").column
    where = f'{table}."{meta.pk.column}" = %s AND {table}."{status}" = %s'
    return f"UPDATE {table} SET {columns} WHERE {where}", fields  # noqa: S608


def _row_update(
    connection: Any, application: FundingApplication, saving: Sequence[str], *, source: str
) -> tuple[str, list[Any]]:
    """The UPDATE ``application.save(update_fields=saving)`` sends (its status still
    ``source``, as ``ConcurrentTransitionMixin`` checks), after the save's pre_save signal."""
    signals.pre_save.send(
        sender=FundingApplication,
        instance=application,
        raw=False,
        using=connection.alias,
        update_fields=frozenset(saving),
    )
    sql, fields = _row_update_sql(tuple(saving))
    params = [f.get_db_prep_save(f.pre_save(application, False), connection) for f in fields]
    return sql, [*params, application.pk, source]


def _row_saved(connection: Any, application: FundingApplication, saving: Sequence[str]) -> None:
    """What ``save(update_fields=saving)`` does once the row is written."""
    application._state.adding = False
    application._state.db = connection.alias
    application._update_initial_state()
    signals.post_save.send(
        sender=FundingApplication,
        instance=application,
        created=False,
        update_fields=frozenset(saving),
        raw=False,
        using=connection.alias,
    )


def _save_row(
    connection: Any, application: FundingApplication, saving: Sequence[str], *, source: str
) -> None:
    """SQLite: ``application.save(update_fields=saving)`` as one prepared UPDATE;
    ConcurrentTransition when the row's status is no longer ``source``."""
    sql, params = _row_update(connection, application, saving, source=source)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.rowcount
    if not written:
        raise ConcurrentTransition(_MOVED)
    _row_saved(connection, application, saving)


def verify_chain(**options: Any) -> Verification:
    """Check every chain, every checkpoint and every application's current row against its
    history; the result names the first thing that does not match. Options as
    ``audit_verify.verify``: ``workers``, ``checkpoints``, ``public_key``, ``progress``."""
    from .audit_verify import verify

    return verify(**options)


def record_event(
    application: FundingApplication,
    *,
    actor: Any,
    name: str,
    tier: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry for something done on an application that leaves its status as it is:
    an expert assigned, a conflict declared, scores given, a reminder or an escalation."""
    return record_transition(
        application,
        actor=actor,
        name=name,
        source=application.status,
        tier=tier,
        reason=reason,
        details=details,
    )


def record_refusal(
    *, actor: Any, application_id: int | None, action: str, message: StrOrPromise
) -> None:
    """Keep a refused attempt for auditors. Runs after the refused action rolled back."""
    from .models import RefusedAttempt

    with transaction.atomic():
        RefusedAttempt.objects.create(
            actor=actor,
            application_id=application_id
            if FundingApplication.objects.filter(pk=application_id).exists()
            else None,
            action=action,
            message=str(message),
        )
