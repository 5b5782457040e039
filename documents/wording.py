"""What the policy engine records by code, in the words a reader of the document understands.

The assessment stored with a recommendation names its policy by version code and each rule by
id, and an eligibility step keeps the condition it tested as an expression over fact names
(``registered_in_beijing``). None of that goes on paper: a policy is named with the date it
took effect, an eligibility rule by its title and outcome, and a case of a ratio by its label.
The codes stay in the document's machine-readable record.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from approvals.models import MatchingPolicyVersion

from .letterhead import date_text


def _english() -> bool:
    return translation.get_language() == "en"


def policy_basis(policy: Mapping[str, Any]) -> str:
    """The policy an amount was computed under: its name and the date it took effect."""
    name = str(policy.get("name", ""))
    if not name:
        return ""
    effective = _effective_from(name, str(policy.get("version", "")))
    if effective is None:
        return name
    return _("%(name)s（%(date)s起施行）") % {"name": name, "date": date_text(effective)}


def _effective_from(name: str, version: str) -> Any:
    return (
        MatchingPolicyVersion.objects.filter(name=name, version=version)
        .values_list("effective_from", flat=True)
        .first()
    )


def explanation_lines(steps: list[Mapping[str, Any]]) -> list[str]:
    """One line per rule that fired, in the current language, without rule ids or
    condition expressions."""
    return [_step_line(step) for step in steps]


def _step_line(step: Mapping[str, Any]) -> str:
    english = _english()
    inputs = step.get("inputs") or {}
    title = str(step.get("title_en" if english else "title_zh") or step.get("title_zh", ""))
    template = str(step.get("template", ""))
    if template == "eligibility.met":
        return _("【%(rule)s】符合") % {"rule": title}
    if template == "eligibility.failed":
        message = inputs.get("message_en" if english else "message_zh") or ""
        return _("【%(rule)s】不符合：%(message)s") % {"rule": title, "message": message}
    text = str(step.get("text_en" if english else "text_zh") or step.get("text_zh", ""))
    condition = str(inputs.get("condition") or "")
    if condition:  # a case without a label is named by its number alone
        text = text.replace(f"（{condition}）", "").replace(f" ({condition})", "")
    if template.startswith("pooled_funding."):
        text = _without_departments_at_zero(text, inputs.get("departments") or [], english)
    return text


def _without_departments_at_zero(
    text: str, departments: list[Mapping[str, Any]], english: bool
) -> str:
    """A split by department names each department with its part, one after the other: the
    parts of departments that pay nothing are left out."""
    colon, separator = (": ", "; ") if english else ("：", "；")
    head, found, tail = text.partition(colon)
    parts = tail.split(separator)
    if not found or len(parts) != len(departments):
        return text
    pairs = zip(parts, departments, strict=True)
    paying = [part for part, department in pairs if _paid(department)]
    return head + colon + separator.join(paying)


def _paid(department: Mapping[str, Any]) -> bool:
    try:
        return Decimal(str(department.get("amount"))) != 0
    except ArithmeticError:
        return True
