"""Condition expressions: rule-engine text, type-checked at load time, run as plain closures.

A policy writes its conditions in rule-engine's expression language
(`registered_in_beijing and special_project in call_special_projects`). We parse each one
once, with a rule-engine context typed from `facts.FACT_FIELDS`, so an unknown field or a
type mismatch is refused when the policy is loaded, never when an application is assessed.
The parsed tree is then turned into nested Python closures over `ApplicationFacts`: nothing is
`eval`-ed, and evaluation costs a few attribute reads instead of rule-engine's generic
tree walk (this is what makes the 20,000 assessments per second of the benchmark possible).

Only a small, predictable subset is accepted: `and`, `or`, `not`, `==`, `!=`, ordered
comparisons of numbers, `in` (list membership or substring), `+ - *`, division by a non-zero
number, literals (strings, numbers, booleans, lists). Everything else rule-engine knows —
regular expressions, attributes, functions, comprehensions, dates, `null`, built-in symbols —
is refused with a message, because a matching-fund policy has no use for it and every extra
construct is one more way for two readers to disagree about a rule.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import rule_engine
from rule_engine import ast as re_ast
from rule_engine import errors as re_errors

from .facts import FACT_FIELDS, FACT_FIELDS_BY_NAME, ApplicationFacts, FactField, FactType
from .money import MONEY_CONTEXT

_DT = rule_engine.DataType
_ENGINE_TYPES = {
    FactType.STRING: _DT.STRING,
    FactType.BOOLEAN: _DT.BOOLEAN,
    FactType.MONEY: _DT.FLOAT,
    FactType.INTEGER: _DT.FLOAT,
    FactType.STRING_LIST: _DT.ARRAY(_DT.STRING),
}
_TYPE_RESOLVER = rule_engine.type_resolver_from_dict(
    {f.name: _ENGINE_TYPES[f.type] for f in FACT_FIELDS}
)


def engine_context() -> rule_engine.Context:
    """A rule-engine context typed over the facts; a fresh one per rule, because a context
    accumulates the symbols of every rule parsed with it."""
    return rule_engine.Context(
        type_resolver=_TYPE_RESOLVER,
        resolver=rule_engine.resolve_attribute,
        decimal_context=MONEY_CONTEXT,
    )


Test = Callable[[ApplicationFacts], Any]

# The static kinds of a sub-expression, coarser than FactType: money and months are both numbers.
_BOOL, _NUMBER, _STRING, _STRING_LIST, _NUMBER_LIST, _EMPTY_LIST = (
    "boolean",
    "number",
    "string",
    "list of strings",
    "list of numbers",
    "empty list",
)
_KIND_OF_FACT = {
    FactType.STRING: _STRING,
    FactType.BOOLEAN: _BOOL,
    FactType.MONEY: _NUMBER,
    FactType.INTEGER: _NUMBER,
    FactType.STRING_LIST: _STRING_LIST,
}
_KIND_ZH = {
    _BOOL: "布尔值",
    _NUMBER: "数值",
    _STRING: "字符串",
    _STRING_LIST: "字符串列表",
    _NUMBER_LIST: "数值列表",
    _EMPTY_LIST: "空列表",
}
_OPERATOR_TEXT = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "tdiv": "/",
}
_ORDERED = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


class ConditionError(ValueError):
    """A condition the policy may not use; carries the reason in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Condition:
    """A compiled condition: its source text, the facts it reads, and its test."""

    text: str
    fields: frozenset[str]
    test: Test = field(repr=False, compare=False)
    rule: rule_engine.Rule = field(repr=False, compare=False)

    def __call__(self, facts: ApplicationFacts) -> bool:
        return bool(self.test(facts))


@dataclass(frozen=True)
class _Compiled:
    test: Test
    kind: str
    # Set when the node is a bare field or a literal, to check literals against field values.
    field: FactField | None = None
    literal: Any = None
    is_literal: bool = False


def compile_condition(text: str) -> Condition:
    """Parse and type-check one condition; refuses (ConditionError) anything not a boolean test
    over the known facts in the supported subset of rule-engine's language."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("条件不能为空", "the condition is empty")
    try:
        context = engine_context()
        rule = rule_engine.Rule(text, context=context)
    except re_errors.SymbolResolutionError as exc:
        hint_en = f" (did you mean '{exc.suggestion}'?)" if exc.suggestion else ""
        hint_zh = f"（是否应为 '{exc.suggestion}'？）" if exc.suggestion else ""
        raise ConditionError(
            f"未知字段 '{exc.symbol_name}'{hint_zh}；可用字段：{_known_fields()}",
            f"unknown field '{exc.symbol_name}'{hint_en}; known fields: {_known_fields()}",
        ) from None
    except re_errors.RuleSyntaxError as exc:
        near = f" near '{exc.token.value}'" if getattr(exc.token, "value", None) else ""
        raise ConditionError(
            f"语法错误：{exc.message}", f"syntax error{near}: {exc.message}"
        ) from None
    except re_errors.EvaluationError as exc:
        raise ConditionError(
            f"类型不匹配：运算符两侧的类型不一致，例如把金额与文本比较（{exc.message}）",
            "type mismatch: the two sides of an operator have different types, for example "
            f"an amount and a text ({exc.message})",
        ) from None
    except re_errors.EngineError as exc:
        raise ConditionError(
            f"无法解析条件：{exc.message}", f"cannot read the condition: {exc.message}"
        ) from None
    compiled = _compile(rule.statement.expression)
    if compiled.kind != _BOOL:
        raise ConditionError(
            f"条件的结果必须是真或假，而不是{_KIND_ZH[compiled.kind]}",
            f"a condition must be true or false, not a {compiled.kind}",
        )
    return Condition(
        text=text.strip(), fields=frozenset(context.symbols), test=compiled.test, rule=rule
    )


def _known_fields() -> str:
    return ", ".join(f.name for f in FACT_FIELDS)


def _refuse(what_zh: str, what_en: str) -> ConditionError:
    return ConditionError(f"政策条件中不支持{what_zh}", f"{what_en} is not supported in conditions")


def _mismatch(left: _Compiled, right: _Compiled, op: str) -> ConditionError:
    op = _OPERATOR_TEXT.get(op, op)
    return ConditionError(
        f"类型不匹配：{_KIND_ZH[left.kind]} {op} {_KIND_ZH[right.kind]}",
        f"type mismatch: {left.kind} {op} {right.kind}",
    )


def _check_literal(side: _Compiled, other: _Compiled) -> None:
    """Refuse a literal no application can have, e.g. organisation_kind == 'enterprize'."""
    if side.field is None or not other.is_literal:
        return
    values = other.literal if isinstance(other.literal, frozenset) else (other.literal,)
    for value in sorted(values, key=str):
        if not side.field.accepts_literal(value):
            allowed = ", ".join(repr(c) for c in side.field.choices) or "'ZX01', 'ZX09', …"
            raise ConditionError(
                f"字段 {side.field.name} 不可能取值 {value!r}（可取：{allowed}）",
                f"{side.field.name} can never be {value!r} (allowed: {allowed})",
            )


def _constant(value: Any, kind: str) -> _Compiled:
    return _Compiled(lambda _facts: value, kind, literal=value, is_literal=True)


def _compile(node: re_ast.ExpressionBase) -> _Compiled:
    # Exact type checks, not isinstance: rule-engine subclasses (ArithmeticComparison is a
    # Comparison, FuzzyComparison too) have different semantics and must not slip through.
    kind = type(node)
    if kind is re_ast.SymbolExpression:
        if node.scope is not None:
            raise _refuse(f"内置符号 ${node.name}", f"the built-in symbol ${node.name}")
        fact = FACT_FIELDS_BY_NAME[node.name]
        return _Compiled(operator.attrgetter(node.name), _KIND_OF_FACT[fact.type], field=fact)
    if kind is re_ast.StringExpression:
        return _constant(node.value, _STRING)
    if kind is re_ast.FloatExpression:
        return _constant(node.value, _NUMBER)
    if kind is re_ast.BooleanExpression:
        return _constant(node.value, _BOOL)
    if kind in (re_ast.ArrayExpression, re_ast.SetExpression):
        return _compile_list(node)
    if kind is re_ast.LogicExpression:
        left, right = _compile(node.left), _compile(node.right)
        if left.kind != _BOOL or right.kind != _BOOL:
            raise _mismatch(left, right, node.type)
        lt, rt = left.test, right.test
        if node.type == "and":
            return _Compiled(lambda f: lt(f) and rt(f), _BOOL)
        return _Compiled(lambda f: lt(f) or rt(f), _BOOL)
    if kind is re_ast.UnaryExpression:
        inner = _compile(node.right)
        it = inner.test
        if node.type == "not" and inner.kind == _BOOL:
            return _Compiled(lambda f: not it(f), _BOOL)
        if node.type == "uminus" and inner.kind == _NUMBER:
            return _Compiled(lambda f: -it(f), _NUMBER)
        raise ConditionError(
            f"'{node.type}' 不能用于{_KIND_ZH[inner.kind]}",
            f"'{node.type}' cannot apply to a {inner.kind}",
        )
    if kind is re_ast.ComparisonExpression:
        return _compile_equality(node)
    if kind is re_ast.ArithmeticComparisonExpression:
        left, right = _compile(node.left), _compile(node.right)
        if left.kind != _NUMBER or right.kind != _NUMBER:
            raise ConditionError(
                f"大小比较只用于数值，这里是 {_KIND_ZH[left.kind]} 与 {_KIND_ZH[right.kind]}",
                f"'<', '<=', '>', '>=' compare numbers only, not a {left.kind} with a {right.kind}",
            )
        op, lt, rt = _ORDERED[node.type], left.test, right.test
        return _Compiled(lambda f: op(lt(f), rt(f)), _BOOL)
    if kind is re_ast.ContainsExpression:
        return _compile_contains(node)
    if kind in (re_ast.AddExpression, re_ast.SubtractExpression, re_ast.ArithmeticExpression):
        return _compile_arithmetic(node)
    names = {
        re_ast.FuzzyComparisonExpression: ("正则表达式匹配", "regular-expression matching"),
        re_ast.NullExpression: ("null", "null"),
        re_ast.TernaryExpression: ("条件表达式 (?:)", "the ternary operator"),
        re_ast.FunctionCallExpression: ("函数调用", "calling a function"),
        re_ast.GetAttributeExpression: ("属性访问", "attribute access"),
        re_ast.GetItemExpression: ("下标访问", "indexing"),
        re_ast.GetSliceExpression: ("切片", "slicing"),
        re_ast.ComprehensionExpression: ("列表推导", "a comprehension"),
        re_ast.MappingExpression: ("映射", "a mapping"),
        re_ast.DatetimeExpression: ("日期时间", "a date or time"),
        re_ast.TimedeltaExpression: ("时间间隔", "a time interval"),
        re_ast.BitwiseExpression: ("位运算", "bitwise arithmetic"),
        re_ast.BitwiseShiftExpression: ("位移", "a bit shift"),
        re_ast.CoalesceExpression: ("空值合并 (??)", "null coalescing"),
    }
    zh, en = names.get(kind, (kind.__name__, kind.__name__))
    raise _refuse(zh, en)


def _compile_list(node: re_ast.ExpressionBase) -> _Compiled:
    members = [_compile(m) for m in node.value]
    if not all(m.is_literal for m in members):
        raise _refuse("含字段的列表", "a list built from fields")
    kinds = {m.kind for m in members}
    if not kinds:
        return _constant(frozenset(), _EMPTY_LIST)
    if kinds == {_STRING}:
        return _constant(frozenset(m.literal for m in members), _STRING_LIST)
    if kinds == {_NUMBER}:
        return _constant(frozenset(m.literal for m in members), _NUMBER_LIST)
    raise ConditionError("列表中的元素类型必须一致", "all members of a list must have one type")


def _compile_equality(node: re_ast.ComparisonExpression) -> _Compiled:
    left, right = _compile(node.left), _compile(node.right)
    # rule-engine silently answers False for 'registered_in_beijing == "yes"'; a policy
    # author meant something else, so we refuse it.
    if left.kind != right.kind and _EMPTY_LIST not in (left.kind, right.kind):
        raise _mismatch(left, right, node.type)
    if left.kind in (_STRING_LIST, _NUMBER_LIST, _EMPTY_LIST):
        # Whether order counts in list equality is a trap for readers; membership is what
        # policies mean.
        raise ConditionError(
            "列表不能用 == 或 != 比较，请用 in 判断成员",
            "lists cannot be compared with == or !=; test membership with 'in'",
        )
    _check_literal(left, right)
    _check_literal(right, left)
    lt, rt = left.test, right.test
    if node.type == "eq":
        return _Compiled(lambda f: lt(f) == rt(f), _BOOL)
    return _Compiled(lambda f: lt(f) != rt(f), _BOOL)


def _compile_contains(node: re_ast.ContainsExpression) -> _Compiled:
    container, member = _compile(node.container), _compile(node.member)
    expected = {_STRING_LIST: _STRING, _NUMBER_LIST: _NUMBER, _STRING: _STRING}.get(container.kind)
    if container.kind != _EMPTY_LIST and member.kind != expected:
        raise _mismatch(member, container, "in")
    _check_literal(member, container)
    if container.field is not None and container.kind == _STRING_LIST:
        _check_literal(container, member)
    ct, mt = container.test, member.test
    if container.is_literal and member.field is not None:
        values = container.literal
        getter = member.test
        return _Compiled(lambda f: getter(f) in values, _BOOL)
    return _Compiled(lambda f: mt(f) in ct(f), _BOOL)


def _compile_arithmetic(node: re_ast.BinaryExpressionBase) -> _Compiled:
    left, right = _compile(node.left), _compile(node.right)
    if left.kind != _NUMBER or right.kind != _NUMBER:
        raise _mismatch(left, right, node.type)
    lt, rt = left.test, right.test
    ctx = MONEY_CONTEXT
    if node.type == "add":
        return _Compiled(lambda f: ctx.add(lt(f), rt(f)), _NUMBER)
    if node.type == "sub":
        return _Compiled(lambda f: ctx.subtract(lt(f), rt(f)), _NUMBER)
    if node.type == "mul":
        return _Compiled(lambda f: ctx.multiply(lt(f), rt(f)), _NUMBER)
    if node.type == "tdiv":
        # Division by a field could divide by zero while assessing; by a constant it cannot.
        if not right.is_literal or right.literal == 0:
            raise _refuse("除以字段或零", "dividing by a field or by zero")
        divisor = Decimal(right.literal)
        return _Compiled(lambda f: ctx.divide(lt(f), divisor), _NUMBER)
    raise _refuse(f"运算 '{node.type}'", f"the operator '{node.type}'")
