"""An application's facts and its assessment under the matching-fund policy in force for its
call, the applicant's preview, and the check of the review group's recommended amount.

Selectors read (`facts_for`, `fact_rows`, `assess`, `preview_for`); none of them writes. The
version in force for a call comes from `approvals.policy_store`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from workflows.errors import InvalidInput
from workflows.models import (
    Attachment,
    AttachmentKind,
    District,
    FundingApplication,
    FundingCall,
    SpecialProject,
)

from .models import MatchingPolicyVersion, PoolBalance
from .policy import ApplicationFacts, Assessment, InvalidFactsError, PoolState, evaluate
from .policy.money import format_money
from .policy_store import PolicyInForce, policy_in_force_for_call


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


# --- facts ----------------------------------------------------------------------------------

# The columns `facts_for_rows` reads, fetched in one values() query for many applications.
FACT_COLUMNS = (
    "pk",
    "call_id",
    "national_task_code",
    "submitted_at",
    "organisation__kind",
    "organisation__district",
    "organisation__district__counted_as",
    "special_project__code",
    "national_approval_number",
    "national_funding",
    "own_funds",
    "other_local_funds",
    "requested_amount",
    "funding_form",
    "industrialised_in_beijing",
    "period_start",
    "period_end",
)


def project_months(start: datetime.date, end: datetime.date) -> int:
    """The months the project runs, counting a begun month as a month (at least one)."""
    months = (end.year - start.year) * 12 + end.month - start.month + (end.day > start.day)
    return max(1, months)


def call_special_project_codes(call_id: int) -> tuple[str, ...]:
    return tuple(
        SpecialProject.objects.filter(calls=call_id).order_by("code").values_list("code", flat=True)
    )


def _facts(row: Mapping[str, Any], call_codes: tuple[str, ...]) -> ApplicationFacts:
    # The policy names districts in Chinese, as they are counted (a park as its district).
    in_beijing = row["organisation__district"] != District.OUTSIDE_BEIJING
    return ApplicationFacts(
        organisation_kind=row["organisation__kind"],
        district=row["organisation__district__counted_as"] if in_beijing else "",
        registered_in_beijing=in_beijing,
        industrialised_in_beijing=bool(row["industrialised_in_beijing"]),
        special_project=row["special_project__code"],
        call_special_projects=call_codes,
        # The approval is on file when its number is recorded or its document attached.
        has_national_approval=bool((row["national_approval_number"] or "").strip())
        or bool(row.get("approval_attached")),
        national_funding=row["national_funding"],
        own_funds=row["own_funds"],
        other_local_funds=row["other_local_funds"],
        requested_amount=row["requested_amount"],
        funding_form=row["funding_form"],
        project_months=project_months(row["period_start"], row["period_end"]),
    )


def _invalid_facts(exc: InvalidFactsError, who: str) -> InvalidInput:
    return InvalidInput(
        _("%(who)s 的数据无法按配套资金政策测算（%(field)s）：%(problem)s")
        % {"who": who, "field": exc.field, "problem": exc}
    )


_OWN_COLUMNS = (
    "national_funding",
    "own_funds",
    "other_local_funds",
    "requested_amount",
    "funding_form",
    "industrialised_in_beijing",
    "period_start",
    "period_end",
)


def fact_row(application: FundingApplication) -> dict[str, Any]:
    """The fact columns of one application already read (as ``fact_rows`` reads them), with
    its organisation, district and special project; whether the national approval is attached
    is asked only when no approval number is recorded."""
    number = application.national_approval_number or ""
    attached = bool(
        not number.strip()
        and application.pk
        and application.attachments.filter(kind=AttachmentKind.NATIONAL_APPROVAL).exists()
    )
    return {
        "pk": application.pk,
        "call_id": application.call_id,
        "national_task_code": application.national_task_code,
        "submitted_at": application.submitted_at,
        "organisation__kind": application.organisation.kind,
        "organisation__district": application.organisation.district_id,
        "organisation__district__counted_as": application.organisation.district.counted_as,
        "special_project__code": application.special_project.code,
        "national_approval_number": number,
        "approval_attached": attached,
        **{column: getattr(application, column) for column in _OWN_COLUMNS},
    }


def facts_for(application: FundingApplication) -> ApplicationFacts:
    """What the policy knows about one application (saved or not).

    Refuses (InvalidInput, naming the field) data no policy can read, e.g. a special project
    whose code is not of the form ZX01.
    """
    try:
        codes = (
            application.call.special_project_codes()
            if FundingApplication._meta.get_field("call").is_cached(application)
            else call_special_project_codes(application.call_id)
        )
        return _facts(fact_row(application), codes)
    except InvalidFactsError as exc:
        raise _invalid_facts(exc, str(application)) from exc
    except (TypeError, AttributeError, ObjectDoesNotExist) as exc:
        # An unsaved draft may still lack a field (no period, no special project yet).
        raise _invalid_facts(
            InvalidFactsError("(application)", str(exc)), str(application)
        ) from exc


def fact_rows(applications: Any) -> list[dict[str, Any]]:
    """One values() query: the fact columns of every application in the queryset."""
    attached = Attachment.objects.filter(
        application=OuterRef("pk"), kind=AttachmentKind.NATIONAL_APPROVAL
    )
    return list(
        applications.annotate(approval_attached=Exists(attached))
        .order_by("pk")
        .values(*FACT_COLUMNS, "approval_attached")
    )


def facts_for_rows(
    rows: Iterable[Mapping[str, Any]], call_codes: tuple[str, ...]
) -> tuple[dict[int, ApplicationFacts], dict[int, str]]:
    """Facts by application id, and the problem of each row no policy can read."""
    facts: dict[int, ApplicationFacts] = {}
    problems: dict[int, str] = {}
    for row in rows:
        try:
            facts[row["pk"]] = _facts(row, call_codes)
        except InvalidFactsError as exc:
            problems[row["pk"]] = str(exc)
    return facts, problems


# --- assessing ------------------------------------------------------------------------------


def pool_state_for(
    call: FundingCall, in_force: PolicyInForce, *, lock: bool = False
) -> PoolState | None:
    """The call's pool balances under the version, or None (the whole budgets) before any
    meeting drew on it."""
    if in_force.amounts is not None and not lock:  # read with the version
        balances = dict(in_force.amounts)
    else:
        rows = PoolBalance.objects.filter(call=call, policy=in_force.record)
        if lock:
            rows = rows.select_for_update()
        balances = dict(rows.values_list("department_code", "balance"))
    return PoolState(balances) if balances else None


def assess(
    application: FundingApplication, *, in_force: PolicyInForce | None = None
) -> Assessment | None:
    """The application's matching amount under the version in force for its call, drawing (on
    paper) on the call's pool as it stands; None when no version is in force.

    Refuses (InvalidInput) data no policy can read.
    """
    in_force = in_force or policy_in_force_for_call(application.call)
    if in_force is None:
        return None
    return _assess_under(in_force, application)


def _assess_under(in_force: PolicyInForce, application: FundingApplication) -> Assessment:
    pool_state = pool_state_for(application.call, in_force)
    return evaluate(in_force.policy, facts_for(application), pool_state=pool_state)


def preview_for(application: FundingApplication) -> Assessment | None:
    """What the applicant sees while editing a draft (saved or not): the amount the policy in
    force would give and what limits it. None when no version is in force, when the call is
    not chosen yet, or when the data cannot be assessed yet. Not a decision: nothing is stored."""
    if not application.call_id or not application.organisation_id:
        return None
    try:
        return assess(application)
    except InvalidInput:
        return None


@dataclass(frozen=True)
class RecommendationCheck:
    """The amount the review group recommends under the policy, and the assessment behind it."""

    amount: Decimal
    assessment: dict[str, Any]
    record: MatchingPolicyVersion


def check_recommendation(
    *,
    application: FundingApplication,
    amount: Decimal | None,
    reason: str,
    read_with: dict[str, Any] | None = None,
) -> RecommendationCheck | None:
    """For the chair's recommendation: None when no version is in force for the call.
    Otherwise the assessed amount when none is given; refuses (InvalidInput) an ineligible
    application with the failed conditions' messages, an amount above the assessed one
    without a written reason, and an assessed amount of zero when no amount is given.
    ``read_with``: columns the caller reads in the versions' query (set on the record)."""
    in_force = policy_in_force_for_call(application.call, with_pool=True, also=read_with)
    if in_force is None:
        return None
    assessment = _assess_under(in_force, application)
    label = f"{in_force.policy.name} {in_force.policy.version}"
    if not assessment.eligible:
        messages = [
            (f.message.en if _english() else f.message.zh).rstrip("。. ")
            for f in assessment.failures
        ]
        raise InvalidInput(
            _("不符合配套资金政策（%(policy)s）的条件，不能建议支持：%(failures)s。")
            % {"policy": label, "failures": "；".join(messages)}
        )
    if amount is None:
        if assessment.amount <= 0:
            raise InvalidInput(
                _("按配套资金政策（%(policy)s）测算的金额为零，请填写建议金额并说明理由。")
                % {"policy": label}
            )
        amount = assessment.amount
    else:
        try:
            amount = Decimal(str(amount))
        except InvalidOperation as exc:
            raise InvalidInput(_("金额格式不正确。")) from exc
        if amount > assessment.amount and not (reason or "").strip():
            raise InvalidInput(
                _(
                    "建议金额 %(amount)s 元高于按配套资金政策（%(policy)s）测算的 "
                    "%(assessed)s 元，须说明理由。"
                )
                % {
                    "amount": format_money(amount),
                    "policy": label,
                    "assessed": format_money(assessment.amount),
                }
            )
    stored = assessment.as_dict()
    stored["policy"]["id"] = in_force.record.pk
    stored["assessed_at"] = timezone.now().isoformat()
    return RecommendationCheck(amount, stored, in_force.record)
