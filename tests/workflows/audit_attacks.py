"""What an intruder who owns the database does to the audit trail, with the project's own
hashing: rewrite an application's chain so that it verifies by itself again."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from workflows.audit import GENESIS, entry_hash
from workflows.models import AuditEntry, FundingApplication

from .cases import behind_the_applications_back

SHIFT = 10**12
COLUMNS = [f for f in AuditEntry._meta.concrete_fields if f.attname != "id"]


def rebuild_chain(
    application: FundingApplication, edit: Callable[[list[AuditEntry]], list[AuditEntry]]
) -> None:
    """Edit the application's entries (change, insert, drop), then renumber and rehash its
    whole chain and write it back, as the head-moving forger does."""
    before = list(AuditEntry.objects.filter(application=application).order_by("app_seq"))
    entries = edit(list(before))
    kept = {e.pk for e in entries if e.pk}
    with behind_the_applications_back() as cursor:
        for gone in (e for e in before if e.pk not in kept):
            cursor.execute("DELETE FROM workflows_auditentry WHERE id = %s", [gone.pk])
        for position, entry in enumerate(entries):
            if entry.pk is None:  # make room for it in the global order, after its predecessor
                after = entries[position - 1].seq if position else 0
                cursor.execute(
                    "UPDATE workflows_auditentry SET seq = seq + %s WHERE seq > %s", [SHIFT, after]
                )
                cursor.execute(
                    "UPDATE workflows_auditentry SET seq = seq - %s WHERE seq > %s",
                    [SHIFT - 1, SHIFT],
                )
                for other in entries:
                    if other.pk and other.seq > after:
                        other.seq += 1
                entry.seq = after + 1
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        entry.app_seq, entry.hash_version, entry.prev_hash = position, 2, prev
        entry.entry_hash = prev = entry_hash(entry)
    with behind_the_applications_back() as cursor:
        cursor.execute(
            "UPDATE workflows_auditentry SET app_seq = app_seq + 100000 WHERE application_id = %s",
            [application.pk],
        )
        for entry in entries:
            values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in COLUMNS]
            if entry.pk:
                assignments = ", ".join(f'"{f.column}" = %s' for f in COLUMNS)
                cursor.execute(
                    f"UPDATE workflows_auditentry SET {assignments} WHERE id = %s",  # noqa: S608
                    [*values, entry.pk],
                )
            else:
                names = ", ".join(f'"{f.column}"' for f in COLUMNS)
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.execute(
                    f"INSERT INTO workflows_auditentry ({names}) VALUES ({marks})",  # noqa: S608
                    values,
                )


def next_seq() -> int:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return (last or 0) + 1


def forged_copy(entry: AuditEntry, **changes: object) -> AuditEntry:
    values = {f.attname: getattr(entry, f.attname) for f in COLUMNS}
    forged = AuditEntry(**{**values, "seq": next_seq()})
    for name, value in changes.items():
        setattr(forged, name, value)
    return forged
