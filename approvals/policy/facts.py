"""The facts about one application that policy conditions may use.

This module is the single list of those facts: `FACT_FIELDS` names each one, its type, its
bilingual label and, where the domain has one, the closed set of values it may take. The
condition compiler builds its type-checked context from this list, the explanation takes its
labels from it, and the Django side fills an `ApplicationFacts` from its models. Nothing here
knows about Django.

| field | type | meaning |
|---|---|---|
| organisation_kind | string | one of `ORGANISATION_KINDS` (enterprise, university, …) |
| district | string | Beijing district of registration, "" when outside Beijing |
| registered_in_beijing | boolean | the organisation is registered in Beijing |
| industrialised_in_beijing | boolean | the results are converted and industrialised in Beijing |
| special_project | string | code of the national special project, e.g. "ZX01" |
| call_special_projects | list of strings | codes of the special projects covered by the call |
| has_national_approval | boolean | the national approval (批复) is on file |
| national_funding | money | national (central) funding approved, yuan |
| own_funds | money | the organisation's own funds committed, yuan |
| other_local_funds | money | other local (municipal or district) funds already granted, yuan |
| requested_amount | money | matching funds requested, yuan |
| funding_form | string | grant, equity or mixed — the form the applicant asks for |
| project_months | integer | project duration in months |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .money import CENT, MAX_AMOUNT, MONEY_CONTEXT


class FactType(StrEnum):
    """The value types a fact may have; conditions are type-checked against them."""

    STRING = "string"
    BOOLEAN = "boolean"
    MONEY = "money"
    INTEGER = "integer"
    STRING_LIST = "string_list"


ORGANISATION_KINDS: tuple[str, ...] = (
    "enterprise",
    "university",
    "research_institute",
    "cas_institute",
    "central_enterprise",
)
FUNDING_FORMS: tuple[str, ...] = ("grant", "equity", "mixed")
# The sixteen districts plus the Economic-Technological Development Area, which Beijing's
# programme statistics count as a district of its own.
BEIJING_DISTRICTS: tuple[str, ...] = (
    "东城区",
    "西城区",
    "朝阳区",
    "丰台区",
    "石景山区",
    "海淀区",
    "门头沟区",
    "房山区",
    "通州区",
    "顺义区",
    "昌平区",
    "大兴区",
    "怀柔区",
    "平谷区",
    "密云区",
    "延庆区",
    "北京经济技术开发区",
)
SPECIAL_PROJECT_CODE = re.compile(r"^[A-Z]{2}[0-9]{2}$")


@dataclass(frozen=True, slots=True)
class FactField:
    """One fact conditions may name: its type, labels and allowed values."""

    name: str
    type: FactType
    label_zh: str
    label_en: str
    choices: tuple[str, ...] = ()
    # A pattern literals must match (special project codes), for load-time typo detection.
    pattern: re.Pattern[str] | None = None

    def accepts_literal(self, value: object) -> bool:
        """Whether a literal in a condition is a value this field can take."""
        if self.choices:
            return value in self.choices
        if self.pattern is not None:
            return isinstance(value, str) and bool(self.pattern.match(value))
        return True


FACT_FIELDS: tuple[FactField, ...] = (
    FactField(
        "organisation_kind", FactType.STRING, "单位类型", "organisation kind", ORGANISATION_KINDS
    ),
    FactField("district", FactType.STRING, "注册区县", "district", ("", *BEIJING_DISTRICTS)),
    FactField("registered_in_beijing", FactType.BOOLEAN, "在京注册", "registered in Beijing"),
    FactField(
        "industrialised_in_beijing",
        FactType.BOOLEAN,
        "成果在京转化落地",
        "results industrialised in Beijing",
    ),
    FactField(
        "special_project",
        FactType.STRING,
        "所属重大专项",
        "special project",
        pattern=SPECIAL_PROJECT_CODE,
    ),
    FactField(
        "call_special_projects",
        FactType.STRING_LIST,
        "本批次支持的专项",
        "special projects covered by the call",
        pattern=SPECIAL_PROJECT_CODE,
    ),
    FactField("has_national_approval", FactType.BOOLEAN, "已获国家批复", "national approval"),
    FactField("national_funding", FactType.MONEY, "国家资金", "national funding"),
    FactField("own_funds", FactType.MONEY, "自筹资金", "own funds"),
    FactField("other_local_funds", FactType.MONEY, "其他地方资金", "other local funds"),
    FactField("requested_amount", FactType.MONEY, "申请配套金额", "requested amount"),
    FactField("funding_form", FactType.STRING, "支持方式", "funding form", FUNDING_FORMS),
    FactField("project_months", FactType.INTEGER, "项目周期（月）", "project months"),
)
FACT_FIELDS_BY_NAME: dict[str, FactField] = {f.name: f for f in FACT_FIELDS}
MONEY_FIELDS: tuple[str, ...] = tuple(f.name for f in FACT_FIELDS if f.type is FactType.MONEY)


class InvalidFactsError(ValueError):
    """The facts handed to the evaluator are not a possible application; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _money(field: str, value: object) -> Decimal:
    # bool is an int subclass; True yuan is a bug, not an amount.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidFactsError(
            field, f"must be a Decimal amount in yuan, got {type(value).__name__}"
        )
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise InvalidFactsError(field, f"must be at least 0 and below {MAX_AMOUNT:f}, got {value}")
    fen = amount.quantize(CENT, context=MONEY_CONTEXT)
    if fen != amount:
        raise InvalidFactsError(field, f"has more precision than a fen (0.01 yuan): {value}")
    # Kept at the fen, so every amount prints the same way ("1000000.00").
    return fen


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    """What the policy knows about one application; see the module docstring for each field.

    Refuses (with `InvalidFactsError`) values no real application can have: an unknown organisation
    kind or funding form, a district that is not a Beijing district, a malformed special-project
    code, money that is a float, negative, non-finite or finer than a fen, a non-positive
    duration. Integers are accepted for money and stored as `Decimal`.
    """

    organisation_kind: str
    district: str
    registered_in_beijing: bool
    industrialised_in_beijing: bool
    special_project: str
    call_special_projects: tuple[str, ...]
    has_national_approval: bool
    national_funding: Decimal
    own_funds: Decimal
    other_local_funds: Decimal
    requested_amount: Decimal
    funding_form: str
    project_months: int

    def __post_init__(self) -> None:
        for name in MONEY_FIELDS:
            object.__setattr__(self, name, _money(name, getattr(self, name)))
        for field in FACT_FIELDS:
            value = getattr(self, field.name)
            if field.type is FactType.BOOLEAN and not isinstance(value, bool):
                raise InvalidFactsError(field.name, f"must be true or false, got {value!r}")
            if field.type is FactType.STRING:
                if not isinstance(value, str):
                    raise InvalidFactsError(field.name, f"must be a string, got {value!r}")
                if not field.accepts_literal(value):
                    raise InvalidFactsError(field.name, f"is not a known value: {value!r}")
        codes = self.call_special_projects
        if not isinstance(codes, tuple):
            raise InvalidFactsError("call_special_projects", "must be a tuple of codes")
        for code in codes:
            if not isinstance(code, str) or not SPECIAL_PROJECT_CODE.match(code):
                raise InvalidFactsError(
                    "call_special_projects", f"bad special project code {code!r}"
                )
        months = self.project_months
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise InvalidFactsError("project_months", f"must be a whole number ≥ 1, got {months!r}")

    def as_dict(self) -> dict[str, Any]:
        """The facts as plain JSON values (money as strings, the code list as a list)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApplicationFacts:
        """Rebuild facts stored with `as_dict`; refuses what the constructor refuses."""
        values = dict(data)
        for name in MONEY_FIELDS:
            if isinstance(values.get(name), str):
                try:
                    values[name] = Decimal(values[name])
                except ArithmeticError:
                    raise InvalidFactsError(name, f"is not an amount: {values[name]!r}") from None
        if isinstance(values.get("call_special_projects"), list):
            values["call_special_projects"] = tuple(values["call_special_projects"])
        return cls(**values)
