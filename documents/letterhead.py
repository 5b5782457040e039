"""The parts of a decision document that do not depend on its kind: the issuer and its mark
(发文机关标志), the dates, the seal, the signature's notice and the imprint (版记).

The issuer mark is configurable per issuing office (``DOCUMENT_ISSUER_MARK``, and
``DOCUMENT_ISSUER_MARK_EN`` for translations); it is set on one line across the type area, as
large as fits, up to about 15 mm a character.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.utils import formats, translation

from workflows.models import Department, FundingApplication

from .seal import seal_data_uri
from .signing import signed_as_demo, signing_enabled

#: The type area is 156 mm wide (GB/T 9704-2012 4.2.1), 442 pt.
TYPE_AREA_WIDTH_PT = 442.2
MAX_MARK_SIZE_PT = 42.0
MIN_MARK_SIZE_PT = 16.0


def issuer(language: str) -> str:
    return settings.PROGRAMME_ISSUER_EN if language == "en" else settings.PROGRAMME_ISSUER


def issuer_mark(language: str) -> str:
    if language == "en":
        return str(getattr(settings, "DOCUMENT_ISSUER_MARK_EN", "") or issuer("en"))
    return str(getattr(settings, "DOCUMENT_ISSUER_MARK", "") or issuer("zh-hans"))


def issuer_mark_size(mark: str, language: str) -> float:
    """The mark's size in points: one line across the type area (a translation's mark, in a
    Latin face, wraps at a fixed size instead)."""
    if language == "en":
        return MIN_MARK_SIZE_PT
    fitting = TYPE_AREA_WIDTH_PT / max(len(mark), 1) * 0.98
    return round(max(min(fitting, MAX_MARK_SIZE_PT), MIN_MARK_SIZE_PT), 1)


def imprint_size(office: str, date: str) -> float:
    """The size of the imprint's 印发 line: 四号 (14 pt), smaller when the office and the date
    would not fit on one line with a character's space at each end and between them."""
    width_em = _width_em(office) + _width_em(date) + 2 + 3  # the date is followed by 印发
    return min(14.0, int(TYPE_AREA_WIDTH_PT / width_em * 2) / 2)


def _width_em(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)


def date_text(day: Any) -> str:
    """成文日期 in Arabic numerals (2026年12月1日), or "1 December 2026" in English."""
    if day is None:
        return ""
    return formats.date_format(day, "j F Y" if translation.get_language() == "en" else "Y年n月j日")


def letterhead_context(language: str) -> dict[str, Any]:
    mark = issuer_mark(language)
    return {
        "issuer": issuer(language),
        "issuer_mark": mark,
        "issuer_mark_size": issuer_mark_size(mark, language),
        "seal_data_uri": seal_data_uri(),
        "signed": signing_enabled(),
        "demo_signed": signed_as_demo(),
    }


def copy_to(application: FundingApplication, funding_departments: list[str]) -> list[str]:
    """抄送: the special project's lead department, and the departments that fund the amount."""
    names = [department_label(application.special_project.lead_department), *funding_departments]
    return list(dict.fromkeys(name for name in names if name))


def department_label(department: Department | None) -> str:
    if department is None:
        return ""
    if translation.get_language() == "en" and department.name_en:
        return department.name_en
    return department.name
