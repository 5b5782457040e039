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
from datetime import date
from decimal import Decimal
from typing import Any

from .facts import MONEY_FIELDS
from .money import ONE
from .problems import PolicyProblem, PolicyValidationError
from .reader import MISSING, DocumentReader, read_date, shown
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
# The evaluator's built-in "never more than requested" step uses this id in explanations.
RESERVED_IDS = frozenset({"requested-amount"})
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
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


def build_policy(document: Any, *, content_hash: str) -> PolicyVersion:
    """Validate a parsed document and build the policy version it describes.

    Refuses, with every problem listed in one `PolicyValidationError`, a document that is not
    a mapping, lacks or misspells a field, or has any rule the module docstring rules out.
    """
    problems: list[PolicyProblem] = []
    top = DocumentReader(problems)
    data = top.mapping(document, "(document)")
    if data is None:
        raise PolicyValidationError(problems)
    top.keys(data, _TOP_KEYS)
    fmt = data.get("format", 1)
    if fmt not in SUPPORTED_FORMATS or isinstance(fmt, bool):
        top.add("format", f"不支持的格式版本 {shown(fmt)}", f"unsupported format {shown(fmt)}")
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


def _period(top: DocumentReader, data: Mapping[str, Any]) -> tuple[date | None, date | None]:
    raw = top.get(data, "effective", "effective")
    if raw is MISSING:
        return None, None
    period = top.mapping(raw, "effective")
    if period is None:
        return None, None
    top.keys(period, {"from", "to"}, "effective.")
    start_raw = top.get(period, "from", "effective.from")
    start = None if start_raw is MISSING else read_date(top, start_raw, "effective.from")
    end_raw = period.get("to")
    end = None if end_raw is None else read_date(top, end_raw, "effective.to")
    if start is not None and end is not None and end < start:
        top.add(
            "effective",
            f"生效期无效：结束日期 {end} 早于开始日期 {start}",
            f"invalid effective period: ends {end}, before it starts {start}",
        )
    return start, end


def _rules(problems: list[PolicyProblem], data: Mapping[str, Any]) -> list[Rule]:
    top = DocumentReader(problems)
    raw_rules = top.get(data, "rules", "rules")
    if raw_rules is MISSING:
        return []
    if not isinstance(raw_rules, list) or not raw_rules:
        top.add("rules", "规则应为非空列表", "rules must be a non-empty list")
        return []
    rules: list[Rule] = []
    seen_ids: dict[str, int] = {}
    counts: dict[RuleKind, int] = dict.fromkeys(RuleKind, 0)
    for index, raw in enumerate(raw_rules):
        rule_id = raw.get("id") if isinstance(raw, Mapping) else None
        reader = DocumentReader(problems, index, rule_id if isinstance(rule_id, str) else None)
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


def _rule(reader: DocumentReader, raw: Any, seen_ids: dict[str, int], index: int) -> Rule | None:
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
    elif rule_id in RESERVED_IDS:
        reader.add(
            "id",
            f"规则编号 {rule_id} 保留给内置步骤",
            f"the id {rule_id!r} is reserved for a built-in step of the evaluator",
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
    if kind_raw is MISSING:
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
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw = reader.get(data, "condition", "condition")
    condition = None if raw is MISSING else reader.condition(raw, "condition")
    message = reader.message(data, "message", "message")
    if condition is None or message is None:
        return None
    return EligibilityRule(rule_id, condition, message, title)


def _cases(
    reader: DocumentReader, data: Mapping[str, Any], value_key: str, what_zh: str
) -> list[Case]:
    raw = reader.get(data, "cases", "cases")
    if raw is MISSING:
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
            if raw_value is MISSING
            else reader.ratio(raw_value, f"{field}.{value_key}", what_zh)
        )
        label = reader.message(case, "label", f"{field}.label", required=False)
        if value is not None:
            cases.append(Case(when, value, label))
    return cases


def _ratio(
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    cases = _cases(reader, data, "ratio", "配套比例")
    return RatioRule(rule_id, tuple(cases), title) if cases else None


def _equity_share(
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    cases = _cases(reader, data, "share", "股权投资比例")
    return EquityShareRule(rule_id, tuple(cases), title) if cases else None


def _cap(
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
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
    ratio = None if raw_ratio is MISSING else reader.ratio(raw_ratio, "ratio", "上限比例")
    return CapRule(rule_id, of=of, ratio=ratio, when=when, title=title)


def _pooled_funding(
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw_method = reader.get(data, "method", "method")
    method = None if raw_method is MISSING else reader.choice(raw_method, "method", PoolMethod)
    raw = reader.get(data, "departments", "departments")
    if raw is MISSING:
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
        budget = None if raw_budget is MISSING else reader.money(raw_budget, f"{field}.budget")
        share = None
        if method is PoolMethod.PROPORTIONAL:
            raw_share = reader.get(entry, "share", f"{field}.share")
            if raw_share is not MISSING:
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
    reader: DocumentReader, data: Mapping[str, Any], rule_id: str, title: Message | None
) -> Rule | None:
    raw_unit = reader.get(data, "unit", "unit")
    unit = None if raw_unit is MISSING else reader.money(raw_unit, "unit", positive=True)
    raw_mode = reader.get(data, "mode", "mode")
    mode = None if raw_mode is MISSING else reader.choice(raw_mode, "mode", RoundingMode)
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
