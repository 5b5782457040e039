"""What a meeting's resolutions write after the requests' own rows: the agenda's resolutions,
the pool's balances and splits, and the meeting's state. On PostgreSQL in one statement
(data-modifying WITH queries, as ``workflows.audit`` writes a decision's row and its audit
entry): the rows are distinct, so no part needs to see another's effect, and the constraints
and foreign keys are checked as for separate statements. On SQLite one statement for each
table, written out here rather than built by the ORM on every batch."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery

from .models import AgendaItem, Meeting
from .pool import PoolDrawRows


def write_resolutions(
    *,
    meeting: Meeting,
    resolved_at: datetime.datetime,
    items: Sequence[AgendaItem],
    pool: PoolDrawRows | None,
) -> None:
    """Write the agenda's resolutions, the draw's rows (if any) and the meeting resolved at
    ``resolved_at``; the new rows get their ids."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        _write_one_by_one(connection, meeting, resolved_at, items, pool)
        return
    parts: list[str] = []
    params: list[Any] = []
    agenda = AgendaItem._meta.db_table
    parts.append(
        f'agenda AS (UPDATE "{agenda}" AS t SET resolution = v.resolution, '  # noqa: S608
        "approved_amount = v.approved_amount, reason = v.reason FROM (VALUES "
        + ", ".join(["(%s::bigint, %s::varchar, %s::numeric, %s::text)"] * len(items))
        + ") AS v (id, resolution, approved_amount, reason) WHERE t.id = v.id RETURNING 1)"
    )
    for item in items:
        params += [item.pk, item.resolution, item.approved_amount, item.reason]
    inserted: list[tuple[str, list[Model]]] = []
    if pool is not None:
        if pool.lowered:
            balances = pool.lowered[0]._meta.db_table
            parts.append(
                f'lowered AS (UPDATE "{balances}" AS t SET balance = v.balance, '  # noqa: S608
                "updated_at = v.updated_at FROM (VALUES "
                + ", ".join(["(%s::bigint, %s::numeric, %s::timestamptz)"] * len(pool.lowered))
                + ") AS v (id, balance, updated_at) WHERE t.id = v.id RETURNING 1)"
            )
            for balance in pool.lowered:
                params += [balance.pk, balance.balance, balance.updated_at]
        new_rows: tuple[tuple[str, list[Model]], ...] = (
            ("new_balances", list(pool.new_balances)),
            ("splits", list(pool.splits)),
        )
        for name, rows in new_rows:
            if rows:
                insert, row_params = _insert_of(rows, connection)
                parts.append(f"{name} AS ({insert})")
                params += row_params
                inserted.append((name, rows))
    parts.append(
        f'held AS (UPDATE "{Meeting._meta.db_table}" SET state = %s, resolved_at = %s '  # noqa: S608
        "WHERE id = %s RETURNING 1)"
    )
    params += [Meeting.State.RESOLVED, resolved_at, meeting.pk]
    ids = "".join(f", ARRAY(SELECT id FROM {name})" for name, _rows in inserted)  # noqa: S608
    sql = f"WITH {', '.join(parts)} SELECT (SELECT count(*) FROM held){ids}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        _held, *new_ids = cursor.fetchone()
    for (_name, written), pks in zip(inserted, new_ids, strict=True):
        for row, pk in zip(written, pks, strict=True):
            row.pk = pk
            row._state.adding = False
            row._state.db = connection.alias
    meeting.state = Meeting.State.RESOLVED
    meeting.resolved_at = resolved_at


def _write_one_by_one(
    connection: Any,
    meeting: Meeting,
    resolved_at: datetime.datetime,
    items: Sequence[AgendaItem],
    pool: PoolDrawRows | None,
) -> None:
    at = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f'UPDATE "{AgendaItem._meta.db_table}" SET resolution = %s, '  # noqa: S608
            "approved_amount = %s, reason = %s WHERE id = %s",
            [(i.resolution, i.approved_amount, i.reason, i.pk) for i in items],
        )
        if pool is not None:
            if pool.lowered:
                cursor.executemany(
                    f'UPDATE "{pool.lowered[0]._meta.db_table}" SET balance = %s, '  # noqa: S608
                    "updated_at = %s WHERE id = %s",
                    [(b.balance, at(b.updated_at), b.pk) for b in pool.lowered],
                )
            new_rows: tuple[list[Model], ...] = (list(pool.new_balances), list(pool.splits))
            for rows in new_rows:
                if rows:
                    insert, params = _insert_of(rows, connection)
                    cursor.execute(insert, params)
                    for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                        row.pk = pk
                        row._state.adding = False
                        row._state.db = connection.alias
        cursor.execute(
            f'UPDATE "{Meeting._meta.db_table}" SET state = %s, resolved_at = %s '  # noqa: S608
            "WHERE id = %s",
            [Meeting.State.RESOLVED, at(resolved_at), meeting.pk],
        )
    meeting.state = Meeting.State.RESOLVED
    meeting.resolved_at = resolved_at


def _insert_of(rows: list[Model], connection: Any) -> tuple[str, list[Any]]:
    """The INSERT that ``bulk_create(rows)`` would send, returning the new ids."""
    meta = rows[0]._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
    query = InsertQuery(type(rows[0]))
    query.insert_values(fields, rows, raw=False)
    compiler = query.get_compiler(using=connection.alias)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, list(params)
