"""The schema of a policy document: reads a parsed document into a `PolicyVersion`.

The document (YAML or JSON, see `loader`) looks like this::

    format: 1                      # optional; the only format so far
    name: 北京市重大专项配套资金政策
    version: "2026.1"              # the label stored with every amount
    notice: …                      # optional free text (the example says it is not official)
    effective: {from: 2026-01-01, to: 2026-12-31}     # `to` may be null: until replaced
    rules:
      - {id: …, kind: eligibility, condition: "…", message: {zh: …, en: …}}
      - {id: …, kind: ratio, cases: [{when: "…", ratio: 0.5, label: {zh, en}}, …, {ratio: 0.3}]}
      - {id: …, kind: cap, absolute: 30000000}            # or: of: own_funds, ratio: 1
      - {id: …, kind: equity_share, cases: [{when: "…", share: 0.4}, …, {share: 0}]}
      - {id: …, kind: pooled_funding, method: priority | proportional,
         departments: [{code, name: {zh, en}, budget, share}]}
      - {id: …, kind: rounding, unit: 10000, mode: down | half_up}

Every rule may carry a `title: {zh, en}` used in explanations; caps may carry `when`.
Exactly one ratio and one pooled_funding rule; at most one equity_share and one rounding.
Everything wrong is collected — unknown keys, missing or empty messages, conditions that do
not compile, ratios or shares outside [0, 1], negative money, amounts finer than a fen, bad
periods, unknown modes, proportional shares not adding up to 1 — and raised together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .conditions import Condition, ConditionError, compile_condition
from .facts import MONEY_FIELDS
from .money import CENT, MAX_AMOUNT, ONE
from .problems import PolicyProblem, PolicyValidationError
from .version import (
    CapRule,
    Case,
    Department,
    EligibilityRule,
    EquityShareRule,
    Message,
    PolicyVersion,
    PooledFundingRule,
    PoolMethod,
    RatioRule,
    RoundingMode,
    RoundingRule,
    Rule,
    RuleKind,
)

SUPPORTED_FORMATS = (1,)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
# Ratios with more decimals than this are a typo, and would make products inexact.
_MAX_RATIO_PLACES = 10
_TOP_KEYS = {"format", "name", "version", "notice", "effective", "rules"}
_COMMON_KEYS = {"id", "kind", "title"}
_RULE_KEYS: dict[RuleKind, set[str]] = {
    RuleKind.ELIGIBILITY: {"condition", "message"},
    RuleKind.RATIO: {"cases"},
    RuleKind.CAP: {"absolute", "of", "ratio", "when"},
    RuleKind.EQUITY_SHARE: {"cases"},
    RuleKind.POOLED_FUNDING: {"method", "departments"},
    RuleKind.ROUNDING: {"unit", "mode"},
}
_MISSING = object()


class _Reader:
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
        self.add(field, "应为键值映射", f"must be a mapping, got {_shown(value)}")
        return None

    def keys(self, data: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
        for key in sorted(set(map(str, data)) - allowed):
            self.add(
                f"{prefix}{key}",
                f"未知字段 '{key}'（可用：{', '.join(sorted(allowed))}）",
                f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})",
            )

    def get(self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> Any:
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.add(field, "缺少必填字段", f"'{key}' is required")
            return _MISSING
        return value

    def text(self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> str:
        value = self.get(data, key, field, required=required)
        if value is _MISSING:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(field, "应为非空文本", f"must be non-empty text, got {_shown(value)}")
            return ""
        return value.strip()

    def message(
        self, data: Mapping[str, Any], key: str, field: str, *, required: bool = True
    ) -> Message | None:
        value = self.get(data, key, field, required=required)
        if value is _MISSING:
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
            self.add(field, "应为数字", f"must be a number, got {_shown(value)}")
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
        if number.as_tuple().exponent < -_MAX_RATIO_PLACES:  # type: ignore[operator]
            self.add(
                field,
                f"{what_zh}最多 {_MAX_RATIO_PLACES} 位小数",
                f"must have at most {_MAX_RATIO_PLACES} decimal places, got {value}",
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
        return number

    def condition(self, value: Any, field: str) -> Condition | None:
        if not isinstance(value, str):
            self.add(field, "条件应为文本表达式", f"a condition must be text, got {_shown(value)}")
            return None
        try:
            return compile_condition(value)
        except ConditionError as exc:
            self.add(field, f"条件“{value}”无效：{exc.message_zh}", f"{value!r}: {exc.message_en}")
            return None

    def choice(self, value: Any, field: str, choices: type) -> Any:
        allowed = [c.value for c in choices]  # type: ignore[attr-defined]
        if value not in allowed:
            self.add(
                field,
                f"取值 {_shown(value)} 无效，可用：{', '.join(allowed)}",
                f"unknown value {_shown(value)}; expected one of: {', '.join(allowed)}",
            )
            return None
        return choices(value)


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _date(reader: _Reader, value: Any, field: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    reader.add(field, "应为日期（YYYY-MM-DD）", f"must be a date (YYYY-MM-DD), got {_shown(value)}")
    return None


def build_policy(document: Any, *, content_hash: str) -> PolicyVersion:
    """Validate a parsed document and build the policy version it describes.

    Refuses, with every problem listed in one `PolicyValidationError`, a document that is not
    a mapping, lacks or misspells a field, or has any rule the module docstring rules out.
    """
    problems: list[PolicyProblem] = []
    top = _Reader(problems)
    data = top.mapping(document, "(document)")
    if data is None:
        raise PolicyValidationError(problems)
    top.keys(data, _TOP_KEYS)
    fmt = data.get("format", 1)
    if fmt not in SUPPORTED_FORMATS or isinstance(fmt, bool):
        top.add("format", f"不支持的格式版本 {_shown(fmt)}", f"unsupported format {_shown(fmt)}")
    name = top.text(data, "name", "name")
    version = top.text(data, "version", "version")
    notice = top.text(data, "notice", "notice", required=False)
    start, end = _period(top, data)
    rules = _rules(problems, data)
    if problems:
        raise PolicyValidationError(problems)
    assert start is not None  # noqa: S101 - guaranteed when no problem was recorded
    return PolicyVersion(
        name=name,
        version=version,
        effective_from=start,
        effective_to=end,
        notice=notice,
        rules=tuple(rules),
        content_hash=content_hash,
    )


def _period(top: _Reader, data: Mapping[str, Any]) -> tuple[date | None, date | None]:
    raw = top.get(data, "effective", "effective")
    if raw is _MISSING:
        return None, None
    period = top.mapping(raw, "effective")
    if period is None:
        return None, None
    top.keys(period, {"from", "to"}, "effective.")
    start_raw = top.get(period, "from", "effective.from")
    start = None if start_raw is _MISSING else _date(top, start_raw, "effective.from")
    end_raw = period.get("to")
    end = None if end_raw is None else _date(top, end_raw, "effective.to")
    if start is not None and end is not None and end < start:
        top.add(
            "effective",
            f"生效期无效：结束日期 {end} 早于开始日期 {start}",
            f"invalid effective period: ends {end}, before it starts {start}",
        )
    return start, end


def _rules(problems: list[PolicyProblem], data: Mapping[str, Any]) -> list[Rule]:
    top = _Reader(problems)
    raw_rules = top.get(data, "rules", "rules")
    if raw_rules is _MISSING:
        return []
    if not isinstance(raw_rules, list) or not raw_rules:
        top.add("rules", "规则应为非空列表", "rules must be a non-empty list")
        return []
    rules: list[Rule] = []
    seen_ids: dict[str, int] = {}
    counts: dict[RuleKind, int] = dict.fromkeys(RuleKind, 0)
    for index, raw in enumerate(raw_rules):
        rule_id = raw.get("id") if isinstance(raw, Mapping) else None
        reader = _Reader(problems, index, rule_id if isinstance(rule_id, str) else None)
        rule = _rule(reader, raw, seen_ids, index)
        if rule is not None:
            rules.append(rule)
        # Count what the document declares, so a broken ratio rule is reported once, as
        # itself, and not a second time as a missing ratio rule.
        kind = raw.get("kind") if isinstance(raw, Mapping) else None
        if kind in counts:
            counts[RuleKind(kind)] += 1
    for kind, zh in ((RuleKind.RATIO, "配套比例"), (RuleKind.POOLED_FUNDING, "资金池")):
        if counts[kind] != 1:
            top.add(
                "rules",
                f"须有且只有一条 {kind.value}（{zh}）规则，现有 {counts[kind]} 条",
                f"exactly one '{kind.value}' rule is required, found {counts[kind]}",
            )
    for kind in (RuleKind.EQUITY_SHARE, RuleKind.ROUNDING):
        if counts[kind] > 1:
            top.add(
                "rules",
                f"{kind.value} 规则最多一条，现有 {counts[kind]} 条",
                f"at most one '{kind.value}' rule is allowed, found {counts[kind]}",
            )
    return rules


def _rule(reader: _Reader, raw: Any, seen_ids: dict[str, int], index: int) -> Rule | None:
    data = reader.mapping(raw, "")
    if data is None:
        return None
    rule_id = reader.text(data, "id", "id")
    if rule_id and not _ID.match(rule_id):
        reader.add(
            "id",
            "规则编号只能用小写字母、数字、- 和 _",
            f"an id uses lower-case letters, digits, '-' and '_' only, got {rule_id!r}",
        )
    elif rule_id in seen_ids:
        reader.add(
            "id",
            f"规则编号与 rules[{seen_ids[rule_id]}] 重复",
            f"duplicate id, already used by rules[{seen_ids[rule_id]}]",
        )
    elif rule_id:
        seen_ids[rule_id] = index
    kind_raw = reader.get(data, "kind", "kind")
    if kind_raw is _MISSING:
        return None
    kind = reader.choice(kind_raw, "kind", RuleKind)
    if kind is None:
        return None
    reader.keys(data, _COMMON_KEYS | _RULE_KEYS[kind])
    title = reader.message(data, "title", "title", required=False)
    before = len(reader.problems)
    rule = _READERS[kind](reader, data, rule_id, title)
    return rule if len(reader.problems) == before else None


def _eligibility(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw = reader.get(data, "condition", "condition")
    condition = None if raw is _MISSING else reader.condition(raw, "condition")
    message = reader.message(data, "message", "message")
    if condition is None or message is None:
        return None
    return EligibilityRule(rule_id, condition, message, title)


def _cases(reader: _Reader, data: Mapping[str, Any], value_key: str, what_zh: str) -> list[Case]:
    raw = reader.get(data, "cases", "cases")
    if raw is _MISSING:
        return []
    if not isinstance(raw, list) or not raw:
        reader.add("cases", "情形应为非空列表", "cases must be a non-empty list")
        return []
    cases: list[Case] = []
    for i, raw_case in enumerate(raw):
        field = f"cases[{i}]"
        case = reader.mapping(raw_case, field)
        if case is None:
            continue
        reader.keys(case, {"when", value_key, "label"}, f"{field}.")
        has_when = case.get("when") is not None
        when = reader.condition(case["when"], f"{field}.when") if has_when else None
        last = i == len(raw) - 1
        if not has_when and not last:
            reader.add(
                f"{field}.when",
                "只有最后一个情形可以省略 when（兜底情形），其后的情形永远不会适用",
                "only the last case may omit 'when' (the fallback); later cases could never apply",
            )
        if has_when and last:
            reader.add(
                f"{field}.when",
                "最后一个情形须省略 when，作为兜底，使每个申请都有结果",
                "the last case must omit 'when' so that it catches every remaining application",
            )
        raw_value = reader.get(case, value_key, f"{field}.{value_key}")
        value = (
            None
            if raw_value is _MISSING
            else reader.ratio(raw_value, f"{field}.{value_key}", what_zh)
        )
        label = reader.message(case, "label", f"{field}.label", required=False)
        if value is not None:
            cases.append(Case(when, value, label))
    return cases


def _ratio(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    cases = _cases(reader, data, "ratio", "配套比例")
    return RatioRule(rule_id, tuple(cases), title) if cases else None


def _equity_share(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    cases = _cases(reader, data, "share", "股权投资比例")
    return EquityShareRule(rule_id, tuple(cases), title) if cases else None


def _cap(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    has_absolute = data.get("absolute") is not None
    has_relative = data.get("of") is not None or data.get("ratio") is not None
    if has_absolute == has_relative:
        reader.add(
            "absolute",
            "上限须二选一：absolute（绝对金额），或 of + ratio（相对某项金额的比例）",
            "give either 'absolute' (yuan) or 'of' with 'ratio' (a share of an amount), not "
            + ("both" if has_absolute else "neither"),
        )
        return None
    when = reader.condition(data["when"], "when") if data.get("when") is not None else None
    if has_absolute:
        absolute = reader.money(data["absolute"], "absolute")
        return CapRule(rule_id, absolute=absolute, when=when, title=title)
    of = reader.text(data, "of", "of")
    if of and of not in MONEY_FIELDS:
        reader.add(
            "of",
            f"上限只能相对于金额字段：{', '.join(MONEY_FIELDS)}",
            f"'{of}' is not an amount; expected one of: {', '.join(MONEY_FIELDS)}",
        )
    raw_ratio = reader.get(data, "ratio", "ratio")
    ratio = None if raw_ratio is _MISSING else reader.ratio(raw_ratio, "ratio", "上限比例")
    return CapRule(rule_id, of=of, ratio=ratio, when=when, title=title)


def _pooled_funding(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw_method = reader.get(data, "method", "method")
    method = None if raw_method is _MISSING else reader.choice(raw_method, "method", PoolMethod)
    raw = reader.get(data, "departments", "departments")
    if raw is _MISSING:
        return None
    if not isinstance(raw, list) or not raw:
        reader.add("departments", "出资部门应为非空列表", "departments must be a non-empty list")
        return None
    departments: list[Department] = []
    seen: set[str] = set()
    for i, raw_department in enumerate(raw):
        field = f"departments[{i}]"
        entry = reader.mapping(raw_department, field)
        if entry is None:
            continue
        reader.keys(entry, {"code", "name", "budget", "share"}, f"{field}.")
        code = reader.text(entry, "code", f"{field}.code")
        if code and not _CODE.match(code):
            reader.add(f"{field}.code", "部门代码只能用字母、数字、- 和 _", f"bad code {code!r}")
        elif code in seen:
            reader.add(f"{field}.code", f"部门代码 {code} 重复", f"duplicate department {code!r}")
        seen.add(code)
        name = reader.message(entry, "name", f"{field}.name")
        raw_budget = reader.get(entry, "budget", f"{field}.budget")
        budget = None if raw_budget is _MISSING else reader.money(raw_budget, f"{field}.budget")
        share = None
        if method is PoolMethod.PROPORTIONAL:
            raw_share = reader.get(entry, "share", f"{field}.share")
            if raw_share is not _MISSING:
                share = reader.ratio(raw_share, f"{field}.share", "出资比例")
        elif entry.get("share") is not None and method is PoolMethod.PRIORITY:
            reader.add(
                f"{field}.share",
                "按优先顺序出资时不使用 share，顺序即列表顺序",
                "'share' is only used with method 'proportional'; priority follows list order",
            )
        if name is not None and budget is not None:
            departments.append(Department(code, name, budget, share))
    if method is PoolMethod.PROPORTIONAL:
        shares = [d.share for d in departments if d.share is not None]
        if len(shares) == len(raw):
            total = sum(shares, Decimal(0))
            if total != ONE:
                reader.add(
                    "departments",
                    f"各部门出资比例之和须为 1，现为 {total}",
                    f"the departments' shares must add up to exactly 1, they add up to {total}",
                )
    if method is None:
        return None
    return PooledFundingRule(rule_id, method, tuple(departments), title)


def _rounding(
    reader: _Reader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw_unit = reader.get(data, "unit", "unit")
    unit = None if raw_unit is _MISSING else reader.money(raw_unit, "unit", positive=True)
    raw_mode = reader.get(data, "mode", "mode")
    mode = None if raw_mode is _MISSING else reader.choice(raw_mode, "mode", RoundingMode)
    if unit is None or mode is None:
        return None
    return RoundingRule(rule_id, unit, mode, title)


_READERS = {
    RuleKind.ELIGIBILITY: _eligibility,
    RuleKind.RATIO: _ratio,
    RuleKind.CAP: _cap,
    RuleKind.EQUITY_SHARE: _equity_share,
    RuleKind.POOLED_FUNDING: _pooled_funding,
    RuleKind.ROUNDING: _rounding,
}
