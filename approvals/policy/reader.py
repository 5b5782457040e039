"""Reading typed values out of a policy document, recording problems instead of raising.

`schema` walks the document; this module knows how to read one value — a text, a bilingual
message, an amount, a ratio, a date, a condition, a choice — and what to say when it is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .conditions import Condition, ConditionError, compile_condition
from .money import CENT, MAX_AMOUNT, ONE, to_fen
from .problems import PolicyProblem
from .version import Message

# Ratios with more decimals than this are a typo, and would make products inexact.
MAX_RATIO_PLACES = 10
MISSING = object()


class DocumentReader:
    """Reads values out of one part of the document, recording problems instead of raising."""

    def __init__(
        self, problems: list[PolicyProblem], index: int | None = None, rule_id: str | None = None
    ) -> None:
        self.problems = problems
        self.index = index
        self.rule_id = rule_id

    def add(self, field: str, zh: str, en: str) -> None:
        self.problems.append(PolicyProblem(field, zh, en, self.index, self.rule_id))

    def mapping(self, value: Any, field: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.add(field, "应为键值映射", f"must be a mapping, got {shown(value)}")
        return None

    def keys(self, data: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in sorted(set(map(str, data)) - allowed):
            self.add(
                f"{prefix}{key}",
                f"未知字段 '{key}'（可用：{', '.join(sorted(allowed))}）",
                f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})",
            )

    def get(self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> Any:
        value = data.get(key, MISSING)
        if value is MISSING or value is None:
            if required:
                self.add(field, "缺少必填字段", f"'{key}' is required")
            return MISSING
        return value

    def text(self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> str:
        value = self.get(data, key, field, required=required)
        if value is MISSING:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(field, "应为非空文本", f"must be non-empty text, got {shown(value)}")
            return ""
        return value.strip()

    def message(
        self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True
    ) -> Message | None:
        value = self.get(data, key, field, required=required)
        if value is MISSING:
            return None
        if isinstance(value, str):
            self.add(
                field,
                "须同时给出中文和英文：{zh: …, en: …}",
                "must give both Chinese and English: {zh: …, en: …}",
            )
            return None
        mapping = self.mapping(value, field)
        if mapping is None:
            return None
        self.keys(mapping, {"zh", "en"}, f"{field}.")
        zh = self.text(mapping, "zh", f"{field}.zh")
        en = self.text(mapping, "en", f"{field}.en")
        return Message(zh, en) if zh and en else None

    def number(self, value: Any, field: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            self.add(field, "应为数字", f"must be a number, got {shown(value)}")
            return None
        # Floats only reach us from documents built in Python; their text form is what was meant.
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            self.add(field, "应为有限数字", f"must be a finite number, got {value}")
            return None
        return number

    def ratio(self, value: Any, field: str, what_zh: str = "比例") -> Decimal | None:
        number = self.number(value, field)
        if number is None:
            return None
        if not Decimal(0) <= number <= ONE:
            self.add(
                field,
                f"{what_zh}须在 0 与 1 之间（含），现为 {value}",
                f"must be between 0 and 1 inclusive, got {value}",
            )
            return None
        if number.as_tuple().exponent < -MAX_RATIO_PLACES:  # type: ignore[operator]
            self.add(
                field,
                f"{what_zh}最多 {MAX_RATIO_PLACES} 位小数",
                f"must have at most {MAX_RATIO_PLACES} decimal places, got {value}",
            )
            return None
        return number

    def money(self, value: Any, field: str, *, positive: bool = False) -> Decimal | None:
        number = self.number(value, field)
        if number is None:
            return None
        if number < 0 or (positive and number == 0):
            self.add(
                field,
                f"金额须{'大于' if positive else '不小于'} 0，现为 {value}",
                f"must be {'greater than' if positive else 'at least'} 0 yuan, got {value}",
            )
            return None
        if number >= MAX_AMOUNT:
            self.add(field, "金额过大", f"must be below {MAX_AMOUNT:f} yuan, got {value}")
            return None
        if number != number.quantize(CENT):
            self.add(
                field, "金额最小单位为分（0.01 元）", f"must be whole fen (0.01 yuan): {value}"
            )
            return None
        # Stored at the fen, so every amount prints the same way ("1000000.00").
        return to_fen(number)

    def condition(self, value: Any, field: str) -> Condition | None:
        if not isinstance(value, str):
            self.add(field, "条件应为文本表达式", f"a condition must be text, got {shown(value)}")
            return None
        try:
            return compile_condition(value)
        except ConditionError as exc:
            self.add(field, f"条件“{value}”无效：{exc.message_zh}", f"{value!r}: {exc.message_en}")
            return None

    def choice(self, value: Any, field: str, choices: type[StrEnum]) -> Any:
        allowed = [c.value for c in choices]
        if value not in allowed:
            self.add(
                field,
                f"取值 {shown(value)} 无效，可用：{', '.join(allowed)}",
                f"unknown value {shown(value)}; expected one of: {', '.join(allowed)}",
            )
            return None
        return choices(value)


def shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_date(reader: DocumentReader, value: Any, field: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    reader.add(field, "应为日期（YYYY-MM-DD）", f"must be a date (YYYY-MM-DD), got {shown(value)}")
    return None
