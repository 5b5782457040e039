"""Every application's row against its latest audit entry, read as ``COPY`` text (PostgreSQL;
elsewhere through the ORM).

The digests an entry holds are SHA-256 of the canonical JSON of the application's fields
(``audit.content_digest`` and ``audit.state_digest``). Here the database writes that JSON for
each row, field by field in the same order and form (keys sorted, no spaces, money with two
decimals as a string, times in UTC as ``datetime.isoformat`` writes them), and the verifier
hashes it: one line per row, no model, Decimal or datetime built. Both sides write correct
JSON, so the same text means the same values; where they would write the same values
differently the row is only a suspect, which the verifier looks at again through the ORM (the
writer's own rule) before naming it.
"""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

from django.db import connection, models

from .audit import EDITABLE_STATUSES, STATE_FIELDS, _digest
from .audit_scan import Last, copy_lines, copy_text
from .models import NOT_CONTENT, FundingApplication

_NULL = "'null'"
# ``datetime.isoformat`` of a time in UTC: the fraction only when there is one.
_ISO = """replace(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),"""
_ISO += " '.000000+', '+')"


def _value(field: models.Field[Any, Any], column: str) -> str | None:
    """SQL for the JSON text of one field's value, as ``audit.canonical_json`` writes it."""
    if isinstance(field, models.ForeignKey):
        return _value(field.target_field, column)
    if isinstance(field, models.BooleanField):
        json_of = f"to_json({column})"
    elif isinstance(field, models.DecimalField):
        if field.decimal_places != 2:
            return None  # the writer rounds to two places; the database would not
        json_of = f"to_json({column}::text)"
    elif isinstance(field, models.DateTimeField):
        json_of = f"to_json({_ISO.format(column)})"
    elif isinstance(field, models.DateField | models.CharField | models.TextField):
        json_of = f"to_json({column})"
    elif isinstance(field, models.IntegerField | models.AutoField):
        return f"coalesce({column}::text, {_NULL})"
    else:
        return None
    return f"coalesce({json_of}::text, {_NULL})"


def _object_sql(fields: list[models.Field[Any, Any]]) -> str | None:
    """SQL for the canonical JSON object of the application's ``fields``."""
    pieces = []
    for number, field in enumerate(sorted(fields, key=lambda f: f.attname)):
        value = _value(field, connection.ops.quote_name(str(field.column)))
        if value is None:
            return None
        key = ("{" if number == 0 else ",") + json.dumps(field.attname) + ":"
        pieces += ["'" + key.replace("'", "''") + "'", value]
    return "concat(" + ", ".join([*pieces, "'}'"]) + ")"


def rows_sql() -> str | None:
    """Each application's id, status, and the JSON its latest entry's digest covers (the
    decision fields while the applicant may edit, else the content); None when a field
    cannot be written that way."""
    fields = FundingApplication._meta.concrete_fields
    content = _object_sql([f for f in fields if f.attname not in NOT_CONTENT])
    state = _object_sql([f for f in fields if f.attname in STATE_FIELDS])
    if content is None or state is None:
        return None
    editable = ", ".join(f"'{status}'" for status in sorted(EDITABLE_STATUSES))
    status = connection.ops.quote_name(FundingApplication._meta.get_field("status").column)
    return (
        f"SELECT id, {status}, CASE WHEN {status} IN ({editable}) THEN {state} "  # noqa: S608
        f"ELSE {content} END FROM {connection.ops.quote_name(FundingApplication._meta.db_table)}"
    )


Row = tuple[int, bytes, str]  # id, status, the digest of the JSON its latest entry covers


def read_rows() -> list[Row]:
    """Every application's row as ``rows_sql`` writes it, hashed; through the ORM where the
    database or the fields cannot be read as text (SQLite)."""
    sql = rows_sql() if connection.vendor == "postgresql" else None
    if sql is None:
        return _rows_through_the_orm()
    connection.ensure_connection()
    rows = []
    for line in copy_lines(connection.connection.pgconn, sql):
        application, status, text = line.split(b"\t")
        if b"\\" in text:  # COPY's escapes (the JSON's own backslashes among them)
            text = (copy_text(text) or "").encode()
        rows.append((int(application), status, sha256(text).hexdigest()))
    return rows


def _rows_through_the_orm() -> list[Row]:
    names = [f.attname for f in FundingApplication._meta.concrete_fields]
    rows = []
    for values in FundingApplication.objects.values(*names).iterator(chunk_size=2000):
        status = values["status"]
        if status in EDITABLE_STATUSES:
            digest = _digest({name: values[name] for name in STATE_FIELDS})
        else:
            digest = _digest({k: v for k, v in values.items() if k not in NOT_CONTENT})
        rows.append((values["id"], status.encode(), digest))
    return rows


def suspects(last_entries: dict[int, Last], rows: list[Row] | None = None) -> list[int]:
    """Applications whose row (``rows``, else read now) may not match their latest entry."""
    rows = read_rows() if rows is None else rows
    editable = {status.encode() for status in EDITABLE_STATUSES}
    found = []
    for application, status, digest in rows:
        last = last_entries.get(application)
        if last is None:
            if status != b"draft":
                found.append(application)
            continue
        _, _, _, content, state, target = last
        if status not in editable:
            matches = digest == content
        elif state:
            matches = digest == state
        else:
            matches = status.decode() == target
        if not matches:
            found.append(application)
    return found
