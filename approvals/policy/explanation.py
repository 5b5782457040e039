"""The explanation of an assessment: one step per rule that fired, in Chinese and English.

A step stores what was computed — the rule, its inputs and its result — and renders its two
sentences only when asked (`text_zh`, `text_en`). Assessing 100,000 applications therefore
does not format 2.4 million sentences nobody reads, and the text of a stored step can always be
re-derived from its inputs: the same inputs give the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .facts import FACT_FIELDS_BY_NAME
from .money import format_money, format_ratio
from .version import Message

DEFAULT_TITLES: dict[str, Message] = {
    "eligibility": Message("资格条件", "eligibility"),
    "ratio": Message("配套比例", "matching ratio"),
    "cap": Message("金额上限", "cap"),
    "request": Message("不超过申请金额", "no more than requested"),
    "pool": Message("资金池余额", "pool balance"),
    "rounding": Message("取整", "rounding"),
    "pooled_funding": Message("出资部门分担", "split by funding department"),
    "equity_share": Message("支持方式", "funding form"),
}


@dataclass(frozen=True, slots=True)
class ExplanationStep:
    """One rule that fired.

    `template` names the sentence pattern; `inputs` holds every number and text it used
    (plain JSON-able values and Decimals); `result` is the running amount after the step,
    or, for an equity-share step, the equity part, and None for an eligibility check.
    """

    rule_id: str
    kind: str
    template: str
    inputs: Mapping[str, Any]
    result: Decimal | None
    title: Message

    @property
    def passed(self) -> bool:
        """For eligibility checks: whether the condition held (True for every other step)."""
        return self.template != "eligibility.failed"

    @property
    def text_zh(self) -> str:
        return f"【{self.title.zh}】{_TEMPLATES[self.template][0](self.inputs, self.result)}"

    @property
    def text_en(self) -> str:
        return f"[{self.title.en}] {_TEMPLATES[self.template][1](self.inputs, self.result)}"

    def as_dict(self) -> dict[str, Any]:
        """The step as plain JSON values; Decimals become strings so no digit is lost."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "template": self.template,
            "title_zh": self.title.zh,
            "title_en": self.title.en,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "inputs": plain_json(self.inputs),
            "result": None if self.result is None else str(self.result),
        }


_AS_THEY_ARE = frozenset({str, int, bool, float, type(None)})


def plain_json(value: Any) -> Any:
    """Decimals to strings, tuples to lists, recursively; everything else as it is."""
    if type(value) in _AS_THEY_ARE:  # most values: asked first, by type alone
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


def _m(value: Decimal | None) -> str:
    return "—" if value is None else format_money(value)


def _min_zh(i: Mapping[str, Any], result: Decimal | None) -> str:
    assert result is not None  # noqa: S101 - every capping step has a result
    bound = "，上限生效" if result < i["before"] else "，未触及上限"
    return f"{_m(i['before'])} 与 {_m(i['limit'])} 取小 = {_m(result)} 元{bound}"


def _min_en(i: Mapping[str, Any], result: Decimal | None) -> str:
    assert result is not None  # noqa: S101 - every capping step has a result
    bound = "; the cap applies" if result < i["before"] else "; below the cap"
    return f"min({_m(i['before'])}, {_m(i['limit'])}) = {_m(result)} yuan{bound}"


def _case_zh(i: Mapping[str, Any]) -> str:
    if i.get("label_zh"):
        return f"情形 {i['case'] + 1}“{i['label_zh']}”"
    if i.get("condition"):
        return f"情形 {i['case'] + 1}（{i['condition']}）"
    return f"情形 {i['case'] + 1}（其他情形）"


def _case_en(i: Mapping[str, Any]) -> str:
    if i.get("label_en"):
        return f"case {i['case'] + 1} “{i['label_en']}”"
    if i.get("condition"):
        return f"case {i['case'] + 1} ({i['condition']})"
    return f"case {i['case'] + 1} (all other cases)"


def _label(field: str, language: str) -> str:
    fact = FACT_FIELDS_BY_NAME[field]
    return fact.label_zh if language == "zh" else fact.label_en


def _departments(i: Mapping[str, Any], language: str) -> str:
    parts = []
    for d in i["departments"]:
        name = d["name_zh"] if language == "zh" else d["name_en"]
        share = f" {format_ratio(d['share'])}" if d.get("share") is not None else ""
        unit = " 元" if language == "zh" else " yuan"
        parts.append(f"{name}{share} {_m(d['amount'])}{unit}")
    return ("；" if language == "zh" else "; ").join(parts)


Render = Callable[[Mapping[str, Any], Decimal | None], str]

_TEMPLATES: dict[str, tuple[Render, Render]] = {
    "eligibility.met": (
        lambda i, r: f"符合：{i['condition']}",
        lambda i, r: f"met: {i['condition']}",
    ),
    "eligibility.failed": (
        lambda i, r: f"不符合：{i['message_zh']}（条件：{i['condition']}）",
        lambda i, r: f"not met: {i['message_en']} (condition: {i['condition']})",
    ),
    "ratio": (
        lambda i, r: (
            f"适用{_case_zh(i)}，配套比例 {format_ratio(i['ratio'])}："
            f"国家资金 {_m(i['national_funding'])} 元 × {format_ratio(i['ratio'])} = {_m(r)} 元"
        ),
        lambda i, r: (
            f"{_case_en(i)} applies, ratio {format_ratio(i['ratio'])}: "
            f"national funding {_m(i['national_funding'])} × {format_ratio(i['ratio'])} "
            f"= {_m(r)} yuan"
        ),
    ),
    "cap.absolute": (
        lambda i, r: f"每项目上限 {_m(i['limit'])} 元：{_min_zh(i, r)}",
        lambda i, r: f"absolute cap {_m(i['limit'])} yuan: {_min_en(i, r)}",
    ),
    "cap.relative": (
        lambda i, r: (
            f"上限 = {_label(i['of'], 'zh')} {_m(i['base'])} 元 × "
            f"{format_ratio(i['ratio'])} = {_m(i['limit'])} 元：{_min_zh(i, r)}"
        ),
        lambda i, r: (
            f"cap = {_label(i['of'], 'en')} {_m(i['base'])} × "
            f"{format_ratio(i['ratio'])} = {_m(i['limit'])} yuan: {_min_en(i, r)}"
        ),
    ),
    "request": (
        lambda i, r: f"申请配套金额 {_m(i['limit'])} 元：{_min_zh(i, r)}",
        lambda i, r: f"requested amount {_m(i['limit'])} yuan: {_min_en(i, r)}",
    ),
    "pool.available": (
        lambda i, r: f"各出资部门可用余额合计可支持 {_m(i['limit'])} 元：{_min_zh(i, r)}",
        lambda i, r: f"the departments' balances can fund {_m(i['limit'])} yuan: {_min_en(i, r)}",
    ),
    "rounding": (
        lambda i, r: (
            f"按 {_m(i['unit'])} 元"
            f"{'四舍五入' if i['mode'] == 'half_up' else '向下取整'}：{_m(i['before'])} → "
            f"{_m(r)} 元"
            + (f"（四舍五入将超过上限 {_m(i['limit'])} 元，改为向下取整）" if i["clamped"] else "")
        ),
        lambda i, r: (
            f"{'rounded half up' if i['mode'] == 'half_up' else 'rounded down'} to "
            f"{_m(i['unit'])} yuan: {_m(i['before'])} → {_m(r)} yuan"
            + (
                f" (rounding up would exceed the cap of {_m(i['limit'])} yuan, so rounded down)"
                if i["clamped"]
                else ""
            )
        ),
    ),
    "pooled_funding.priority": (
        lambda i, r: f"按优先顺序由各部门出资，共 {_m(r)} 元：{_departments(i, 'zh')}",
        lambda i, r: f"drawn in priority order, {_m(r)} yuan in all: {_departments(i, 'en')}",
    ),
    "pooled_funding.proportional": (
        lambda i, r: f"按比例由各部门出资，共 {_m(r)} 元：{_departments(i, 'zh')}",
        lambda i, r: f"drawn in proportion, {_m(r)} yuan in all: {_departments(i, 'en')}",
    ),
    "equity_share": (
        lambda i, r: (
            f"适用{_case_zh(i)}，股权投资比例 {format_ratio(i['share'])}："
            f"股权投资 {_m(i['equity'])} 元，拨款 {_m(i['grant'])} 元"
        ),
        lambda i, r: (
            f"{_case_en(i)} applies, equity share {format_ratio(i['share'])}: "
            f"equity investment {_m(i['equity'])} yuan, grant {_m(i['grant'])} yuan"
        ),
    ),
}
