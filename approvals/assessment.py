"""The matching-fund policy in the running system: stored versions, the version in force for a
call, an application's facts and assessment, the applicant's preview, what-if runs, and a
joint meeting's approvals drawn on the call's pool.

Selectors read (`policy_in_force_for_call`, `facts_for`, `assess`, `preview_for`, `simulate`);
services write in one transaction (`load_policy`, `deactivate_policy_version`,
`delete_policy_version`, `record_pool_draw`). The compiled policy holds closures, so it is never
pickled or stored: it is rebuilt from the stored text once per process, cached by content hash.

The version in force for a call is the active version whose period includes the day the call
opened: every application of a call is measured by the rules announced for it, whenever its
decision falls.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from workflows import permissions as rights
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import (
    Attachment,
    AttachmentKind,
    District,
    FundingApplication,
    FundingCall,
    SpecialProject,
    Status,
)

from .models import AgendaItem, ApprovalSplit, MatchingPolicyVersion, PoolBalance
from .policy import (
    ApplicationFacts,
    Assessment,
    BatchAllocation,
    BatchItem,
    InvalidFactsError,
    PolicyComparison,
    PolicyValidationError,
    PolicyVersion,
    PoolState,
    allocate_batch,
    check_periods_do_not_overlap,
    compare_policies,
    evaluate,
    format_comparison,
    load_policy_text,
    policy_in_force,
)
from .policy.money import MAX_AMOUNT, ZERO, format_money, times_down
from .policy.whatif import ComparisonRow, DepartmentTotal

# The open applications a what-if run looks at: submitted up to deferred by a meeting.
OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.LEAD_REVIEW,
    Status.GROUP_REVIEW,
    Status.MEETING_REVIEW,
    Status.DEFERRED,
)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


# --- stored versions and the compiled cache -------------------------------------------------

_compiled: dict[str, PolicyVersion] = {}


def compiled_policy(record: MatchingPolicyVersion) -> PolicyVersion:
    """The evaluator's form of a stored version, compiled once per process.

    Refuses (InvalidInput) stored text whose hash is no longer the stored hash.
    """
    policy = _compiled.get(record.content_hash)
    if policy is None:
        policy = load_policy_text(record.source_text)
        if policy.content_hash != record.content_hash:
            raise InvalidInput(
                _("已存储的政策 %(policy)s 内容与其哈希不符。") % {"policy": str(record)}
            )
        _compiled[record.content_hash] = policy
    return policy


@dataclass(frozen=True)
class PolicyInForce:
    """A stored version and its compiled rules."""

    record: MatchingPolicyVersion
    policy: PolicyVersion


def policy_in_force_on(day: datetime.date) -> PolicyInForce | None:
    """The active version in force on `day`, or None."""
    records = list(MatchingPolicyVersion.objects.in_force_on(day))
    if not records:
        return None
    compiled = {r.content_hash: r for r in records}
    try:
        policy = policy_in_force([compiled_policy(r) for r in records], day)
    except PolicyValidationError as exc:  # only if versions were activated around the service
        raise InvalidInput(_("同一天有多个生效的配套资金政策版本：%s") % exc) from exc
    return PolicyInForce(compiled[policy.content_hash], policy)


def policy_day_for_call(call: FundingCall) -> datetime.date:
    return timezone.localdate(call.opens_at)


def policy_in_force_for_call(call: FundingCall) -> PolicyInForce | None:
    """The version that governs a call's applications: the one in force when it opened."""
    return policy_in_force_on(policy_day_for_call(call))


def _ensure_administrator(actor: Any) -> None:
    # None is the operator at the command line (manage.py load_policy).
    if actor is None or getattr(actor, "is_superuser", False):
        return
    profile = rights.profile_of(actor)
    if profile is None or profile.role != "administrator":
        raise NotAllowed(_("只有管理员可以管理配套资金政策。"))


@dataclass(frozen=True)
class PolicyLoad:
    """What `load_policy` did: `outcome` is created, replaced or unchanged."""

    record: MatchingPolicyVersion
    policy: PolicyVersion
    outcome: str
    activated: bool


def load_policy(*, text: str, actor: Any = None, activate: bool = False) -> PolicyLoad:
    """An administrator loads a policy document (YAML or JSON), optionally activating it.

    Identical content under an existing (name, version) changes nothing; other content replaces
    an unused version. Refuses, storing nothing: PolicyValidationError for an invalid document,
    or for an active version whose period overlaps another active version; InvalidInput when
    the (name, version) exists with other content and a decision has used it (bump the version).
    """
    _ensure_administrator(actor)
    policy = load_policy_text(text)
    loaded_by = actor if actor is not None and actor.pk else None
    with transaction.atomic():
        record = (
            MatchingPolicyVersion.objects.select_for_update()
            .filter(name=policy.name, version=policy.version)
            .first()
        )
        if record is not None and record.content_hash == policy.content_hash:
            outcome = "unchanged"
        elif record is not None and record.is_used:
            raise InvalidInput(
                _(
                    "政策“%(name)s”版本 %(version)s 已用于决定，不能修改；"
                    "请提高版本号（version）后作为新版本导入。"
                )
                % {"name": policy.name, "version": policy.version}
            )
        else:
            outcome = "created" if record is None else "replaced"
            record = record or MatchingPolicyVersion(name=policy.name, version=policy.version)
            record.content_hash = policy.content_hash
            record.source_text = text
            record.effective_from = policy.effective_from
            record.effective_to = policy.effective_to
            record.notice = policy.notice
            record.loaded_by = loaded_by
            record.loaded_at = timezone.now()
        activated = activate and not record.active
        if activated:
            record.active = True
            record.activated_at = timezone.now()
        if record.active:
            others = MatchingPolicyVersion.objects.active().exclude(pk=record.pk)
            check_periods_do_not_overlap([*(compiled_policy(o) for o in others), policy])
        if outcome != "unchanged" or activated:
            record.save()
    _compiled[policy.content_hash] = policy
    return PolicyLoad(record, policy, outcome, activated)


def _unused_version(version_id: int, action: str) -> MatchingPolicyVersion:
    record = MatchingPolicyVersion.objects.select_for_update().filter(pk=version_id).first()
    if record is None:
        raise NotFound(_("政策版本不存在。"))
    if record.is_used:
        raise InvalidInput(
            _("政策 %(policy)s 已用于决定，不能%(action)s。") % {"policy": record, "action": action}
        )
    return record


def deactivate_policy_version(*, version_id: int, actor: Any = None) -> MatchingPolicyVersion:
    """An administrator takes an unused version out of force. Refused once a decision used it."""
    _ensure_administrator(actor)
    with transaction.atomic():
        record = _unused_version(version_id, _("停用"))
        record.active = False
        record.save(update_fields=["active"])
    return record


def delete_policy_version(*, version_id: int, actor: Any = None) -> None:
    """An administrator removes a version loaded by mistake. Refused once a decision used it."""
    _ensure_administrator(actor)
    with transaction.atomic():
        _unused_version(version_id, _("删除")).delete()


def mark_policy_used(record: MatchingPolicyVersion) -> None:
    """A decision has stated an amount under this version: from now on it is frozen."""
    MatchingPolicyVersion.objects.filter(pk=record.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )


# --- facts ----------------------------------------------------------------------------------

# The columns `facts_for_rows` reads, fetched in one values() query for many applications.
FACT_COLUMNS = (
    "pk",
    "call_id",
    "national_task_code",
    "submitted_at",
    "organisation__kind",
    "organisation__district",
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


@cache
def _district_names() -> dict[str, str]:
    # The policy names districts in Chinese; the untranslated labels are exactly those names.
    with translation.override(None):
        return {value: str(label) for value, label in District.choices}


def project_months(start: datetime.date, end: datetime.date) -> int:
    """The months the project runs, counting a begun month as a month (at least one)."""
    months = (end.year - start.year) * 12 + end.month - start.month + (end.day > start.day)
    return max(1, months)


def call_special_project_codes(call_id: int) -> tuple[str, ...]:
    return tuple(
        SpecialProject.objects.filter(calls=call_id).order_by("code").values_list("code", flat=True)
    )


def _facts(row: Mapping[str, Any], call_codes: tuple[str, ...]) -> ApplicationFacts:
    district = row["organisation__district"]
    in_beijing = district != District.OUTSIDE_BEIJING
    return ApplicationFacts(
        organisation_kind=row["organisation__kind"],
        district=_district_names().get(district, district) if in_beijing else "",
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


def facts_for(application: FundingApplication) -> ApplicationFacts:
    """What the policy knows about one application (saved or not).

    Refuses (InvalidInput, naming the field) data no policy can read, e.g. a special project
    whose code is not of the form ZX01.
    """
    try:
        number = application.national_approval_number or ""
        attached = bool(
            not number.strip()
            and application.pk
            and application.attachments.filter(kind=AttachmentKind.NATIONAL_APPROVAL).exists()
        )
        row = {
            "organisation__kind": application.organisation.kind,
            "organisation__district": application.organisation.district,
            "special_project__code": application.special_project.code,
            "national_approval_number": number,
            "approval_attached": attached,
            **{column: getattr(application, column) for column in _OWN_COLUMNS},
        }
        return _facts(row, call_special_project_codes(application.call_id))
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
    *, application: FundingApplication, amount: Decimal | None, reason: str
) -> RecommendationCheck | None:
    """For the chair's recommendation: None when no version is in force for the call.
    Otherwise the assessed amount when none is given; refuses (InvalidInput) an ineligible
    application with the failed conditions' messages, an amount above the assessed one
    without a written reason, and an assessed amount of zero when no amount is given."""
    in_force = policy_in_force_for_call(application.call)
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


# --- what-if --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    """A draft policy beside the version in force, over a call's open applications."""

    call: FundingCall
    in_force: PolicyInForce | None
    draft: PolicyVersion
    comparison: PolicyComparison
    skipped: dict[int, str]
    on_balances: bool  # the in-force side drew on balances lowered by earlier meetings


def simulate(draft: PolicyVersion, *, call: FundingCall) -> Simulation:
    """Every open application (submitted … deferred) of the call under the draft and under the
    version in force (on the call's current balances). Reads only: a handful of queries
    whatever the number of applications."""
    in_force = policy_in_force_for_call(call)
    rows = fact_rows(FundingApplication.objects.filter(call=call, status__in=OPEN_STATUSES))
    facts, skipped = facts_for_rows(rows, call_special_project_codes(call.pk))
    keys = {r["pk"]: f"#{r['pk']} {r['national_task_code']}" for r in rows}
    by_key = {keys[pk]: f for pk, f in facts.items()}
    balances = pool_state_for(call, in_force) if in_force is not None else None
    if in_force is not None:
        comparison = compare_policies(in_force.policy, draft, by_key, old_pool_state=balances)
    else:
        comparison = _draft_alone(draft, by_key)
    return Simulation(call, in_force, draft, comparison, skipped, balances is not None)


def _draft_alone(draft: PolicyVersion, facts: dict[str, ApplicationFacts]) -> PolicyComparison:
    # No version in force: the "old" side is nothing at all, not the draft a second time.
    same = compare_policies(draft, draft, facts)
    return replace(
        same,
        old_version="—",
        old_content_hash="",
        rows=tuple(
            ComparisonRow(r.key, False, ZERO, r.new_eligible, r.new_amount) for r in same.rows
        ),
        departments=tuple(
            DepartmentTotal(d.code, d.name, None, None, d.new_total, d.new_budget)
            for d in same.departments
        ),
    )


_SIMULATION_WORDS = {
    "zh": {
        "call": "批次：", "in_force": "现行政策：", "draft": "草案：",
        "none": "无（原金额按零计）", "skipped": "无法测算：",
        "balances": "原预算为本批次资金池的当前余额（已扣除此前会议批准的金额）。",
    },
    "en": {
        "call": "Call: ", "in_force": "In force: ", "draft": "Draft: ",
        "none": "none (old amounts count as zero)", "skipped": "Cannot be assessed: ",
        "balances": "Old budgets are the call's pool balances now, after earlier approvals.",
    },
}  # fmt: skip


def _policy_label(policy: PolicyVersion) -> str:
    return f"{policy.name} {policy.version} ({policy.content_hash[:12]})"


def format_simulation(simulation: Simulation, *, language: str = "zh") -> str:
    """The what-if as a plain-text report: which versions, then the comparison table."""
    if language not in _SIMULATION_WORDS:
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    w = _SIMULATION_WORDS[language]
    in_force = simulation.in_force
    lines = [
        f"{w['call']}#{simulation.call.pk} {simulation.call.title}",
        w["in_force"] + (_policy_label(in_force.policy) if in_force else w["none"]),
        w["draft"] + _policy_label(simulation.draft),
        "",
    ]
    text = "\n".join(lines) + format_comparison(simulation.comparison, language=language)
    if simulation.on_balances:
        text += w["balances"] + "\n"
    text += "".join(
        f"{w['skipped']}#{pk} — {problem}\n" for pk, problem in simulation.skipped.items()
    )
    return text


# --- a joint meeting's approvals on the pool ------------------------------------------------


@dataclass(frozen=True)
class PoolDraw:
    """A meeting's approvals drawn (on paper) on the pool, and each one's form split."""

    in_force: PolicyInForce
    call: FundingCall
    allocation: BatchAllocation
    forms: dict[int, tuple[Decimal, Decimal, dict[str, Any]]]  # application → grant, equity, rule


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    # Anything else is the approval's to refuse, with its own message.
    return amount if amount.is_finite() and 0 < amount < MAX_AMOUNT else None


def form_split(
    policy: PolicyVersion, facts: ApplicationFacts, amount: Decimal
) -> tuple[Decimal, Decimal, dict[str, Any]]:
    """(grant, equity, the case that decided) for an approved amount under the equity rule."""
    rule = policy.equity_share
    if rule is None:
        return amount, ZERO, {}
    for index, case in enumerate(rule.cases):
        if case.when is None or case.when.test(facts):
            equity = times_down(amount, case.value)
            return (
                amount - equity,
                equity,
                {"rule_id": rule.id, "case": index, "share": str(case.value)},
            )
    return amount, ZERO, {}  # pragma: no cover - the schema makes the last case a fallback


def plan_pool_draw(
    *, call: FundingCall, approvals: list[tuple[AgendaItem, Any]]
) -> PoolDraw | None:
    """Before a meeting's resolutions are recorded: draw its approvals (agenda item, amount) on
    the call's pool in the fixed order (score descending, then submission time). None when no
    version is in force. Locks the call's pool until the transaction ends. Refuses
    (InvalidInput) an oversubscribed pool, naming each department short and by how much.
    Amounts that are missing or not positive are left to the approval itself to refuse."""
    in_force = policy_in_force_for_call(call)
    if in_force is None:
        return None
    list(FundingCall.objects.select_for_update().filter(pk=call.pk).values_list("pk", flat=True))
    pool_state = pool_state_for(call, in_force, lock=True)
    requested = {item.application_id: (item, _amount(amount)) for item, amount in approvals}
    wanted: dict[int, tuple[AgendaItem, Decimal]] = {
        pk: (item, amount) for pk, (item, amount) in requested.items() if amount is not None
    }
    rows = fact_rows(FundingApplication.objects.filter(pk__in=wanted))
    facts, problems = facts_for_rows(rows, call_special_project_codes(call.pk))
    if problems:
        pk, problem = next(iter(problems.items()))
        raise InvalidInput(
            _("申请 %(pk)s 的数据无法按配套资金政策测算：%(problem)s")
            % {"pk": pk, "problem": problem}
        )
    items = [
        BatchItem(
            key=str(row["pk"]),
            amount=wanted[row["pk"]][1],
            score=wanted[row["pk"]][0].weighted_score or ZERO,
            submitted_at=row["submitted_at"] or _EPOCH,
        )
        for row in rows
    ]
    allocation = allocate_batch(in_force.policy, items, pool_state)
    if allocation.is_oversubscribed:
        raise InvalidInput(_oversubscribed_message(in_force.policy, allocation))
    forms = {
        pk: form_split(in_force.policy, facts[pk], amount) for pk, (_item, amount) in wanted.items()
    }
    return PoolDraw(in_force, call, allocation, forms)


def _oversubscribed_message(policy: PolicyVersion, allocation: BatchAllocation) -> str:
    short = {o.department for o in allocation.oversubscriptions}
    needed: dict[str, Decimal] = {}
    for draw in allocation.draws:
        for code, part in draw.by_department:
            needed[code] = needed.get(code, ZERO) + part
    english = _english()
    parts = []
    for department in policy.pool.departments:
        if department.code not in short:
            continue
        have = allocation.balances_before.balances[department.code]
        parts.append(
            _("%(department)s 需 %(needed)s 元，余额 %(balance)s 元，缺口 %(shortfall)s 元")
            % {
                "department": department.name.en if english else department.name.zh,
                "needed": format_money(needed[department.code]),
                "balance": format_money(have),
                "shortfall": format_money(needed[department.code] - have),
            }
        )
    items = [
        f"#{key}" for key in sorted({o.item_key for o in allocation.oversubscriptions}, key=int)
    ]
    return _("资金池不足，决议未记录：%(departments)s（无法足额支付的申请：%(items)s）。") % {
        "departments": "；".join(parts),
        "items": "、".join(items),
    }


def record_pool_draw(draw: PoolDraw, *, items: Mapping[int, AgendaItem]) -> list[ApprovalSplit]:
    """With the meeting's resolutions, in their transaction: lower the departments' balances
    and keep each approval's split by department and by form, with the policy version."""
    policy = draw.in_force.policy
    record = draw.in_force.record
    after = draw.allocation.balances_after.balances
    existing = {
        b.department_code: b for b in PoolBalance.objects.filter(call=draw.call, policy=record)
    }
    now = timezone.now()
    for position, department in enumerate(policy.pool.departments):
        balance = existing.get(department.code)
        if balance is None:
            existing[department.code] = PoolBalance(
                call=draw.call,
                policy=record,
                department_code=department.code,
                department_name=department.name.zh,
                budget=department.budget,
                balance=after[department.code],
                position=position,
                updated_at=now,
            )
        else:
            balance.balance = after[department.code]
            balance.updated_at = now
    PoolBalance.objects.bulk_create([b for b in existing.values() if b.pk is None])
    PoolBalance.objects.bulk_update(
        [b for b in existing.values() if b.pk is not None], ["balance", "updated_at"]
    )
    names = {d.code: d.name for d in policy.pool.departments}
    splits = []
    for position, batch_draw in enumerate(draw.allocation.draws, 1):
        pk = int(batch_draw.key)
        grant, equity, rule = draw.forms[pk]
        splits.append(
            ApprovalSplit(
                agenda_item=items[pk],
                application_id=pk,
                policy=record,
                policy_version=policy.version,
                policy_content_hash=policy.content_hash,
                amount=batch_draw.amount,
                grant_amount=grant,
                equity_amount=equity,
                by_department=[
                    {
                        "code": code,
                        "name_zh": names[code].zh,
                        "name_en": names[code].en,
                        "amount": str(part),
                    }
                    for code, part in batch_draw.by_department
                ],
                form_rule=rule,
                draw_position=position,
            )
        )
    created = ApprovalSplit.objects.bulk_create(splits)
    mark_policy_used(record)
    return created
