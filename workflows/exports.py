"""Exports of the lists and the dashboard's tables, to CSV and to Excel, streamed so that a
long list does not fill the memory of the web process: CSV row by row through
``StreamingHttpResponse``; Excel through openpyxl's write-only workbook, which keeps one row in
memory and writes the sheet to a temporary file that ``FileResponse`` then sends in chunks.

Every export is announced with the ``list_exported`` signal (the access log records it) with
the list's name, the filters in force and the number of rows sent.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import datetime
import io
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone, translation

from .signals import list_exported

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# CSV rows sent in one piece: each piece costs the response and the server a few calls, which
# add up to seconds over a hundred thousand rows sent one by one.
CSV_ROWS_PER_PIECE = 500

# The language of the export being written, fixed while a batch of its rows is turned into
# cells: asking Django for the active language costs microseconds a call, a few calls a row.
_export_language: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "export_language", default=None
)


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read it from a row."""

    heading: StrOrPromise
    value: Callable[[Any], Any]


class ChoiceLabels:
    """A choice's label by its value, translated once per export: Django's
    ``get_FOO_display`` hashes every lazy label of the choices on each call, which costs
    milliseconds a row over a long export."""

    def __init__(
        self, choices: Iterable[tuple[Any, Any]] | Callable[[], Iterable[tuple[Any, Any]]]
    ) -> None:
        # Choices kept as data (the districts) are read again when a value is not known yet.
        self._read = choices if callable(choices) else None
        self._choices = [] if callable(choices) else list(choices)
        self._labels: dict[str, dict[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        language = _export_language.get()
        if language is None:
            language = translation.get_language() or ""
        labels = self._labels.get(language)
        if labels is None:
            labels = self._labels[language] = self._translated()
        if value not in labels and self._read is not None:
            labels = self._labels[language] = self._translated()
        return labels.get(value, "" if value is None else str(value))

    def _translated(self) -> dict[Any, str]:
        choices = self._read() if self._read is not None else self._choices
        return {v: str(label) for v, label in choices}


def _cell(value: Any, zone: datetime.tzinfo) -> Any:
    """A value as a spreadsheet cell: aware times in local time (``zone``) without their zone
    (Excel has none), money as Decimal (exact; openpyxl writes it as a number), text as
    text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(zone)
        return value.replace(tzinfo=None)
    if isinstance(value, int | Decimal | datetime.date | float):
        return value
    return str(value)


class _Cells:
    """Turns rows into cells in the language and the time zone that were active when the
    export began (a streamed export's rows are read after the view has returned)."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.readers = [c.value for c in columns]
        self.language = translation.get_language() or ""
        self.zone = timezone.get_current_timezone()

    @contextlib.contextmanager
    def fixed(self) -> Iterator[None]:
        """Labels read in the export's language meanwhile; never held across a ``yield``."""
        token = _export_language.set(self.language)
        try:
            yield
        finally:
            _export_language.reset(token)

    def of(self, row: Any) -> list[Any]:
        zone = self.zone
        return [_cell(read(row), zone) for read in self.readers]


class _Echo:
    def write(self, value: str) -> str:
        return value


class _Counter:
    """Counts the rows written to an Excel file, for the access log entry."""

    def __init__(self) -> None:
        self.rows = 0


def export_response(
    request: HttpRequest,
    *,
    name: str,
    label: str,
    fmt: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    filters: str = "",
) -> StreamingHttpResponse | FileResponse:
    """The rows as a CSV or Excel download named after the list; unknown formats are a 404.
    The export is signalled (``list_exported``) before the first byte is sent, so that an
    export broken off half way is on the access log too; an Excel file's row count is known
    by then (it is written first), a CSV's is not."""
    if fmt not in FORMATS:
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}.{fmt}"
    counter = _Counter()

    def announce(rows: int | None) -> None:
        list_exported.send(
            sender=export_response,
            request=request,
            name=name,
            label=label,
            fmt=fmt,
            filters=filters,
            rows=rows,
        )

    if fmt == "csv":
        announce(None)
        response = StreamingHttpResponse(
            _csv_lines(columns, rows, _Cells(columns)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    handle = _xlsx_file(label, columns, rows, counter)
    announce(counter.rows)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def _csv_lines(columns: Sequence[Column], rows: Iterable[Any], cells: _Cells) -> Iterator[str]:
    """The BOM and the headings at once, then the rows ``CSV_ROWS_PER_PIECE`` at a time."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read the Chinese text as UTF-8
    yield writer.writerow([str(c.heading) for c in columns])
    remaining = iter(rows)
    while batch := list(itertools.islice(remaining, CSV_ROWS_PER_PIECE)):
        piece = io.StringIO()
        batch_writer = csv.writer(piece)
        with cells.fixed():
            batch_writer.writerows([_csv_value(v) for v in cells.of(row)] for row in batch)
        yield piece.getvalue()


def _csv_value(cell: Any) -> Any:
    if isinstance(cell, datetime.datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    return cell


def _xlsx_file(
    title: str, columns: Sequence[Column], rows: Iterable[Any], counter: _Counter
) -> Any:
    from openpyxl import Workbook

    cells = _Cells(columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append([str(c.heading) for c in columns])
    with cells.fixed():  # written before the response is returned: no yield in between
        for row in rows:
            counter.rows += 1
            sheet.append(cells.of(row))
    # Deleted when closed (FileResponse closes it once sent): nothing is left on disk.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 -- FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet's name, and names over 31 characters.
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31] or "Sheet"
