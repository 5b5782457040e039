"""The hash-chained audit trail: appending an entry and verifying the whole chain.

Each entry's hash covers its own fields and the previous entry's hash, so altering or removing
any entry breaks every hash after it; the chain head (length and last hash) catches removals
from the end. Appends lock the head row, which also keeps sequence numbers gapless.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry, FundingApplication
from .permissions import profile_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

GENESIS = "0" * 64


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


def content_digest(application: FundingApplication) -> str:
    """SHA-256 of the application's content at this moment (status included)."""
    return hashlib.sha256(canonical_json(application.content_fields())).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
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


def record_transition(
    application: FundingApplication,
    *,
    actor: Any,
    name: str,
    source: str,
    tier: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for a state change. Must run inside the transaction that made it."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("record_transition must run inside the transition's transaction")
    length, last_hash = _locked_head(connection)
    profile = profile_of(actor)
    entry = AuditEntry(
        seq=length + 1,
        application=application,
        transition=name,
        source=source,
        target=application.status,
        actor=actor,
        actor_name=(actor.get_full_name() or actor.get_username()) if actor else "system",
        actor_role=profile.role if profile else ("superuser" if actor else "system"),
        tier=tier,
        at=timezone.now(),
        reason=reason,
        details=json.loads(canonical_json(details or {})),
        content_digest=content_digest(application),
        prev_hash=last_hash,
    )
    entry.entry_hash = entry_hash(entry)
    entry.save(force_insert=True)
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE_HEAD, [entry.seq, entry.entry_hash])
    # What this application's people did has changed (see permissions._past_involvement).
    application.__dict__.pop("_involvement", None)
    return entry


# The chain head is read and moved on every state change, so these two statements are written
# out once rather than built by the ORM each time (no input goes into them but the model's own
# table name).
_HEAD_TABLE = AuditChainHead._meta.db_table
_ADVANCE_HEAD = f'UPDATE "{_HEAD_TABLE}" SET length = %s, last_hash = %s WHERE id = 1'  # noqa: S608
_READ_HEAD = f'SELECT length, last_hash FROM "{_HEAD_TABLE}" WHERE id = 1'  # noqa: S608


def _locked_head(connection: Any) -> tuple[int, str]:
    """The chain's (length, last hash), with its row locked until the transaction ends."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_READ_HEAD + lock)
        row = cursor.fetchone()
    if row is None:  # a database emptied by flush: the migration's head row is gone
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        return _locked_head(connection)
    return int(row[0]), str(row[1])


@dataclass(frozen=True)
class ChainVerification:
    intact: bool
    count: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(*, chunk_size: int = 2000) -> ChainVerification:
    """Recompute every hash in order; report the first entry that does not match."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    entries = AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainVerification(
                False, count, expected_seq, f"entry #{expected_seq} is missing"
            )
        if entry.prev_hash != prev_hash:
            return ChainVerification(
                False, count, entry.seq, f"entry #{entry.seq} does not follow its predecessor"
            )
        if entry_hash(entry) != entry.entry_hash:
            return ChainVerification(
                False, count, entry.seq, f"entry #{entry.seq} was altered after it was written"
            )
        prev_hash, expected_seq, count = entry.entry_hash, expected_seq + 1, count + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    length, last_hash = (head.length, head.last_hash) if head else (0, GENESIS)
    if length != count or last_hash != prev_hash:
        return ChainVerification(
            False,
            count,
            count + 1,
            f"the chain ends at #{count} but {length} entries were written",
        )
    return ChainVerification(True, count)


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
            actor=actor if getattr(actor, "pk", None) else None,
            application_id=application_id
            if FundingApplication.objects.filter(pk=application_id).exists()
            else None,
            action=action,
            message=str(message),
        )
