"""Form widgets every app's forms share."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO 8601 (yyyy-mm-dd) whatever the page's
    language: a localised value (Chinese "2026/12/01") is rejected by the browser, which then
    shows the field empty and the saved date is lost on the next save."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
