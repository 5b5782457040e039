"""What the tests of the lists share: a client signed in as somebody, and an export's rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response: Any) -> list[dict[str, str]]:
    """A CSV export's rows, by heading."""
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """An Excel export's rows, its headings first."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))
