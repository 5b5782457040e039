"""Keyset pagination for the long lists (applications, the audit trail, the access log, queues):
a page is "the next N rows after this one in the list's order", so the last page costs what the
first costs, and no page counts the whole list.

Each list is ordered by one column and then its primary key, in the same direction, so that
the position of a row is the pair (column value, pk). A page's links carry that position,
signed (a hand-edited cursor is refused, not trusted). The cursor condition repeats the column
bound on its own (``column <= value`` beside the row comparison) so that both engines start the
index scan at the position instead of filtering from the list's beginning.

django-cursor-pagination was considered: it compares every value as text and adds ``OR … IS
NULL`` to each bound, which PostgreSQL cannot answer from an index (and SQLite's stored
datetimes do not compare with Python's text form of them).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db import models
from django.db.models import Q, QuerySet
from django.http import QueryDict

_Row = TypeVar("_Row", bound=models.Model)
_SALT = "workflows.keyset"
PAGE_SIZE = 50


class InvalidCursor(Exception):
    """A page link that was not made by this site (or for another ordering)."""


@dataclass(frozen=True)
class KeysetPage(Generic[_Row]):
    """One page of a list and the links around it."""

    items: list[_Row]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def link(self, query: QueryDict, cursor: str | None, direction: str) -> str:
        """The query string of a page link, keeping the filters and the ordering."""
        params = query.copy()
        for key in ("after", "before", "last"):
            params.pop(key, None)
        if direction == "last":
            params["last"] = "1"
        elif cursor is not None:
            params[direction] = cursor
        return params.urlencode()


def _field(model: type[models.Model], path: str) -> models.Field[Any, Any]:
    field: Any = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return field  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _value_of(row: models.Model, path: str) -> Any:
    value: Any = row
    for part in path.split("__"):
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class Keyset:
    """A list's order: one column (``"-created_at"``, ``"organisation__name"``) then the pk."""

    column: str

    @property
    def descending(self) -> bool:
        return self.column.startswith("-")

    @property
    def path(self) -> str:
        return self.column.lstrip("-")

    @property
    def ordering(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return (f"{sign}{self.path}", f"{sign}pk")

    @property
    def reversed(self) -> tuple[str, str]:
        sign = "" if self.descending else "-"
        return (f"{sign}{self.path}", f"{sign}pk")

    def cursor(self, row: models.Model) -> str:
        return signing.dumps(
            [self.column, _plain(_value_of(row, self.path)), row.pk], salt=_SALT, compress=True
        )

    def position(self, model: type[models.Model], cursor: str) -> tuple[Any, Any]:
        try:
            column, value, pk = signing.loads(cursor, salt=_SALT)
        except (signing.BadSignature, ValueError, TypeError) as exc:
            raise InvalidCursor from exc
        if column != self.column:
            raise InvalidCursor
        return _field(model, self.path).to_python(value), pk

    def beyond(self, model: type[models.Model], cursor: str, *, forward: bool) -> Q:
        """Rows after (``forward``) or before the cursor's row in this order."""
        value, pk = self.position(model, cursor)
        later = forward != self.descending  # moving to larger values
        op, inclusive = ("gt", "gte") if later else ("lt", "lte")
        return Q(**{f"{self.path}__{inclusive}": value}) & (
            Q(**{f"{self.path}__{op}": value}) | Q(**{self.path: value, f"pk__{op}": pk})
        )


def keyset_page(
    rows: QuerySet[_Row],
    keyset: Keyset,
    *,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    size: int = PAGE_SIZE,
) -> KeysetPage[_Row]:
    """The page after ``after``, before ``before``, the last page, or else the first one.
    Raises InvalidCursor for a cursor this site did not make for this order."""
    model = rows.model
    backwards = last or before is not None
    if before is not None:
        rows = rows.filter(keyset.beyond(model, before, forward=False))
    elif after is not None:
        rows = rows.filter(keyset.beyond(model, after, forward=True))
    ordered = rows.order_by(*(keyset.reversed if backwards else keyset.ordering))
    found = list(ordered[: size + 1])
    more = len(found) > size
    items: list[_Row] = found[:size]
    if backwards:
        items.reverse()
        has_previous, has_next = more, not last
    else:
        has_previous, has_next = after is not None, more
    return KeysetPage(
        items=items,
        has_next=has_next and bool(items),
        has_previous=has_previous and bool(items),
        next_cursor=keyset.cursor(items[-1]) if items else None,
        previous_cursor=keyset.cursor(items[0]) if items else None,
    )
