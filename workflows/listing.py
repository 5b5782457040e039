"""What every list page does with its query string: filter (django-filter), order by the
column asked for, cut one keyset page, and build the page and export links. Views call
``list_page`` and render; the rows they pass are already the access policy's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

from .keyset import InvalidCursor, KeysetPage, keyset_page
from .tables import ListTable


@dataclass
class ListPage:
    filter: Any
    table: ListTable
    page: KeysetPage[Any]
    sort: str
    first_link: str
    previous_link: str
    next_link: str
    last_link: str
    export_link: str | None

    def context(self) -> dict[str, Any]:
        return {
            "filter": self.filter,
            "table": self.table,
            "page": self.page,
            "sort": self.sort,
            "first_link": self.first_link,
            "previous_link": self.previous_link,
            "next_link": self.next_link,
            "last_link": self.last_link,
            "export_link": self.export_link,
        }


def filtered(filterset: Any) -> QuerySet[Any]:
    """The filter's rows; nothing for filters that do not validate (the form shows why)."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()  # type: ignore[no-any-return]
    return filterset.qs  # type: ignore[no-any-return]


def list_page(
    request: HttpRequest,
    filterset: Any,
    table_class: type[ListTable],
    *,
    export_url: str | None = None,
    size: int = 50,
) -> ListPage:
    query = request.GET
    sort, keyset = table_class.keyset(query)
    rows = filtered(filterset)
    try:
        page = keyset_page(
            rows,
            keyset,
            after=query.get("after") or None,
            before=query.get("before") or None,
            last=bool(query.get("last")),
            size=size,
        )
    except InvalidCursor:  # a link from another ordering, or edited by hand: the first page
        page = keyset_page(rows, keyset, size=size)
    table = table_class(page.items, order_by=sort)
    table.page_rows = page.items  # what the list's row template writes
    return ListPage(
        filter=filterset,
        table=table,
        page=page,
        sort=sort,
        first_link=page.link(query, None, "first"),
        previous_link=page.link(query, page.previous_cursor, "before"),
        next_link=page.link(query, page.next_cursor, "after"),
        last_link=page.link(query, None, "last"),
        export_link=f"{export_url}?{export_query(query)}" if export_url else None,
    )


def export_query(query: QueryDict) -> str:
    """The filters and ordering of a list, without its page."""
    params = query.copy()
    for key in ("after", "before", "last", "format"):
        params.pop(key, None)
    return params.urlencode()


def ordered_for_export(
    filterset: Any,
    table_class: type[ListTable],
    query: QueryDict,
    *,
    fields: tuple[str, ...] = (),
) -> Any:
    """Every filtered row in the list's order, read in chunks (memory stays flat); as plain
    dictionaries of ``fields`` when given."""
    _sort, keyset = table_class.keyset(query)
    rows = filtered(filterset).order_by(*keyset.ordering)
    if fields:
        rows = rows.values(*fields)
    return rows.iterator(chunk_size=2000)
