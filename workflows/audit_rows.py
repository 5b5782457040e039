"""Every application's row against its latest audit entry, read as ``COPY`` text (PostgreSQL).

The digests an entry holds are SHA-256 of the canonical JSON of the application's fields
(``audit.content_digest`` and ``audit.state_digest``). Here that JSON is rebuilt from the
database's text of each column, without building a model, a Decimal or a datetime per row;
an application whose digest does not match this way is only a suspect, which the verifier
looks at again through the ORM (the writer's own rule) before naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from typing import Any

from django.db import connection, models

from .audit import EDITABLE_STATUSES, STATE_FIELDS
from .audit_scan import Last, copy_lines, copy_text
from .models import NOT_CONTENT, FundingApplication

Token = Callable[[bytes], bytes]
_NULL = b"\\N"
_MONEY = re.compile(rb"-?\d+\.\d\d")
_TIME = re.compile(rb"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00")


def _text(value: bytes) -> bytes:
    if value == _NULL:
        return b"null"
    if b"\\" in value or b'"' in value:
        return json.dumps(copy_text(value), ensure_ascii=False).encode()
    return b'"' + value + b'"'


def _number(value: bytes) -> bytes:
    return b"null" if value == _NULL else value


def _money(value: bytes) -> bytes:
    if value == _NULL:
        return b"null"
    if _MONEY.fullmatch(value):
        return b'"' + value + b'"'
    try:
        return f'"{Decimal(value.decode()):.2f}"'.encode()
    except InvalidOperation:
        return b'"?"'  # not a number: the row cannot match


def _boolean(value: bytes) -> bytes:
    return {b"t": b"true", b"f": b"false"}.get(value, b"null" if value == _NULL else b"?")


def _time(value: bytes) -> bytes:
    """A ``timestamptz`` in UTC as ``datetime.isoformat`` writes it."""
    if value == _NULL:
        return b"null"
    found = _TIME.fullmatch(value)
    if found is None:
        return b'"?"'  # another offset or era: the ORM decides
    day, clock, fraction = found.groups()
    micro = b"." + fraction.ljust(6, b"0") if fraction and fraction.strip(b"0") else b""
    return b'"' + day + b"T" + clock + micro + b'+00:00"'


def _kind(field: models.Field[Any, Any]) -> Token | None:
    if isinstance(field, models.ForeignKey):
        return _kind(field.target_field)
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.DecimalField):
        return _money
    if isinstance(field, models.DateTimeField):
        return _time
    if isinstance(field, models.DateField):
        return _text  # ISO dates, as ``date.isoformat``
    if isinstance(field, models.IntegerField | models.AutoField):
        return _number
    if isinstance(field, models.CharField | models.TextField):
        return _text
    return None


def _layout() -> tuple[list[str], list[str], list[tuple[bytes, Token]]] | None:
    """The columns read, their field names, and each one's JSON key and rule."""
    fields = sorted(
        (f for f in FundingApplication._meta.concrete_fields if f.attname not in NOT_CONTENT),
        key=lambda f: f.attname,
    )
    tokens = []
    for f in fields:
        token = _kind(f)
        if token is None:
            return None
        tokens.append((f.attname, token))
    keys = [(json.dumps(name).encode() + b":", token) for name, token in tokens]
    return [f.column for f in fields], [f.attname for f in fields], keys


def _digest(pairs: Iterable[tuple[bytes, bytes]]) -> str:
    return sha256(b"{" + b",".join(key + value for key, value in pairs) + b"}").hexdigest()


def suspects(last_entries: dict[int, Last]) -> list[int] | None:
    """Applications whose row may not match their latest entry; None when this database or
    these fields cannot be read as text (the caller reads every row through the ORM)."""
    layout = _layout() if connection.vendor == "postgresql" else None
    if layout is None:
        return None
    columns, attnames, tokens = layout
    names = [name for name, _ in tokens]
    state_at = [i for i, name in enumerate(attnames) if name in STATE_FIELDS]
    status_at = attnames.index("status")
    editable = {status.encode() for status in EDITABLE_STATUSES}
    listed = ", ".join(f'"{c}"' for c in columns)
    sql = f'SELECT id, {listed} FROM "{FundingApplication._meta.db_table}"'  # noqa: S608
    connection.ensure_connection()
    found = []
    for line in copy_lines(connection.connection.pgconn, sql):
        application, *values = line.split(b"\t")
        pk = int(application)
        last = last_entries.get(pk)
        status = values[status_at]
        if last is None:
            if status != b"draft":
                found.append(pk)
            continue
        _, _, _, content, state, target = last
        if status in editable:
            if state:
                pairs = [(names[i], tokens[i][1](values[i])) for i in state_at]
                if _digest(pairs) != state:
                    found.append(pk)
            elif status.decode() != target:
                found.append(pk)
            continue
        pairs = [(name, token(value)) for (name, token), value in zip(tokens, values, strict=True)]
        if _digest(pairs) != content:
            found.append(pk)
    return found
