"""Services of the first two tiers: the lead department's formal check, experts and their
scores, and the review group's recommendation. Each performs its writes in one transaction and
moves the application only through ``workflows.services``."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import permissions as rights
from workflows import services as workflow
from workflows.assignments import actor_task, complete_people_task, hand_back_task, reassign_task
from workflows.audit import record_event
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication, FundingCall, Status
from workflows.notifications import notify_after_commit, tier_heads
from workflows.services import locked_application, open_tasks, refusals_recorded

from .assessment import check_recommendation
from .models import (
    CheckItem,
    CriterionScore,
    ExpertAssignment,
    FormalCheck,
    GroupRecommendation,
    RubricCriterion,
)
from .policy_store import mark_policy_used

# The programme's selection criteria (see the seed text), used when a call sets no rubric.
DEFAULT_RUBRIC = (
    ("district_fit", "符合区县功能定位", "Fits the district's functional positioning", 25),
    ("market_prospects", "市场应用前景", "Market prospects", 25),
    ("feasibility", "技术经济可行", "Technical and economic feasibility", 30),
    ("highlights", "有亮点、有显示度", "Highlights and visibility", 20),
)
TWO_PLACES = Decimal("0.01")


# --- rubric ---------------------------------------------------------------------------------


def rubric_for(call: FundingCall) -> list[RubricCriterion]:
    criteria = list(call.rubric.all())
    if criteria:
        return criteria
    return [
        RubricCriterion(call=call, code=c, name=n, name_en=e, weight=w, position=i)
        for i, (c, n, e, w) in enumerate(DEFAULT_RUBRIC)
    ]


def set_rubric(
    *, call_id: int, actor: Any, criteria: list[dict[str, Any]]
) -> list[RubricCriterion]:
    """An administrator sets a call's scoring criteria. Refused unless the weights are whole
    numbers from 1 to 100 adding up to exactly 100 and the codes are distinct."""
    profile = rights.profile_of(actor)
    if not (getattr(actor, "is_superuser", False) or (profile and profile.role == "administrator")):
        raise NotAllowed()
    codes = [c["code"] for c in criteria]
    if len(set(codes)) != len(codes) or not criteria:
        raise InvalidInput(_("评分项代码不能为空且不能重复。"))
    weights = [int(c["weight"]) for c in criteria]
    if any(w < 1 or w > 100 for w in weights) or sum(weights) != 100:
        raise InvalidInput(_("评分项权重之和必须为100（现为%(sum)d）。") % {"sum": sum(weights)})
    with transaction.atomic():
        RubricCriterion.objects.filter(call_id=call_id).delete()
        return RubricCriterion.objects.bulk_create(
            RubricCriterion(
                call_id=call_id,
                code=c["code"],
                name=c["name"],
                name_en=c.get("name_en", ""),
                weight=int(c["weight"]),
                position=i,
            )
            for i, c in enumerate(criteria)
        )


# --- tier 1 ---------------------------------------------------------------------------------


@refusals_recorded
def record_formal_check(
    *,
    application_id: int,
    actor: Any,
    decision: str,
    items: dict[str, dict[str, Any]],
    reason: str = "",
) -> FundingApplication:
    """The lead-department officer records the formal check list with their decision: accept
    for review, return (the failed items become the structured reasons), or reject. Refused
    when an item is unknown, or when accepting with a failed item."""
    unknown = set(items) - set(CheckItem.values)
    if unknown:
        raise InvalidInput(_("未知的审查项：%s") % ", ".join(sorted(unknown)))
    failed = [
        {"item": k, "text": (v.get("note") or str(CheckItem(k).label)).strip()}
        for k, v in items.items()
        if not v.get("passed")
    ]
    with transaction.atomic():
        if decision == "accept":
            if failed:
                raise InvalidInput(_("形式审查有未通过的项目，不能受理。"))
            application = workflow.accept_for_review(
                application_id=application_id, actor=actor, reason=reason
            )
        elif decision == "return":
            application = workflow.return_application(
                application_id=application_id, actor=actor, reason=reason, reasons=failed
            )
        elif decision == "reject":
            application = workflow.reject_application(
                application_id=application_id, actor=actor, reason=reason, reasons=failed
            )
        else:
            raise InvalidInput(_("未知的决定。"))
        FormalCheck.objects.create(
            application=application,
            revision=application.revision,
            officer=actor,
            items=items,
            decision=decision,
        )
    return application


# --- tier 2: experts ------------------------------------------------------------------------


@refusals_recorded
def assign_experts(
    *, application_id: int, actor: Any, expert_ids: list[int]
) -> list[ExpertAssignment]:
    """The group chair, holding the assignment task, asks at least the call's number of experts
    to score the request; the flow opens one scoring task per expert. Refused for fewer
    experts, duplicates, and experts who must stay away from the request."""
    with transaction.atomic():
        application = locked_application(application_id)
        if application.status != Status.GROUP_REVIEW:
            raise TransitionConflict()
        if not rights.is_group_chair(application, actor):
            raise NotAllowed(rights.why_not(application, actor, "group"))
        task = actor_task(
            application,
            actor,
            "assign_experts",
            missing=_("请先认领指派专家任务；专家可能已经指派。"),
        )
        ids = list(dict.fromkeys(int(pk) for pk in expert_ids))
        if len(ids) != len(expert_ids):
            raise InvalidInput(_("同一专家不能重复指派。"))
        if len(ids) < application.call.experts_required:
            raise InvalidInput(
                _("至少须指派 %(n)d 名专家。") % {"n": application.call.experts_required}
            )
        experts = get_user_model()._default_manager.select_related("profile").in_bulk(ids)
        for pk in ids:
            expert = experts.get(pk)
            if expert is None or expert.pk == actor.pk or not _eligible_expert(application, expert):
                name = expert.get_username() if expert else str(pk)
                why = rights.why_not(application, expert, "group") if expert else None
                raise InvalidInput(
                    _("%(name)s 不能担任该申请的评审专家。") % {"name": name} + (why or "")
                )
        assignments = ExpertAssignment.objects.bulk_create(
            ExpertAssignment(
                application=application,
                revision=application.revision,
                expert_id=pk,
                assigned_by=actor,
            )
            for pk in ids
        )
        task.process.experts = experts  # the scoring tasks' owners (flows._assigned_expert)
        complete_people_task(
            application=application,
            actor=actor,
            node="assign_experts",
            event="assign_experts",
            data={"experts": ids},
            details={"experts": len(ids)},
            task=task,
        )
        notify_after_commit("expert_assigned", application.pk, ids)
    return assignments


def _eligible_expert(application: FundingApplication, expert: Any) -> bool:
    profile = rights.profile_of(expert)
    return (
        profile is not None
        and profile.role == "group_member"
        and rights.is_group_member(application, expert)
    )


@refusals_recorded
def declare_interest(
    *, application_id: int, actor: Any, conflict: bool, reason: str = ""
) -> ExpertAssignment:
    """An assigned expert declares, before seeing any material, whether they have a conflict
    of interest. A conflict takes them off the request and hands their scoring task back to
    the chair to give to another expert."""
    with transaction.atomic():
        application = locked_application(application_id)
        assignment = _assignment(application, actor, ExpertAssignment.State.ASSIGNED)
        assignment.declared_at = timezone.now()
        if conflict:
            if not reason.strip():
                raise InvalidInput(_("请说明利益冲突的情形。"))
            assignment.state = ExpertAssignment.State.CONFLICT
            assignment.conflict_reason = reason.strip()
            hand_back_task(
                application=application,
                actor=actor,
                node="score",
                event=rights.CONFLICT_DECLARED,
                reason=reason.strip(),
            )
            notify_after_commit(
                "reassign_needed", application.pk, [u.pk for u in tier_heads(application, "group")]
            )
        else:
            assignment.state = ExpertAssignment.State.DECLARED
            record_event(application, actor=actor, name="declare_no_conflict", tier="group")
        assignment.save(update_fields=["state", "declared_at", "conflict_reason"])
    return assignment


@refusals_recorded
def replace_expert(*, application_id: int, actor: Any, expert_id: int) -> ExpertAssignment:
    """The chair gives a scoring task left by an expert with a conflict to another expert."""
    with transaction.atomic():
        application = locked_application(application_id)
        waiting = [t for t in open_tasks(application, "score") if t.owner_id is None]
        if not waiting:
            raise TransitionConflict(_("没有等待改派的评分任务。"))
        expert = get_user_model()._default_manager.filter(pk=expert_id).first()
        if expert is None or not _eligible_expert(application, expert) or expert.pk == actor.pk:
            raise InvalidInput(_("该专家不能担任该申请的评审专家。"))
        if ExpertAssignment.objects.filter(
            application=application, revision=application.revision, expert=expert
        ).exists():
            raise InvalidInput(_("该专家已被指派过本申请。"))
        reassign_task(
            application_id=application_id,
            actor=actor,
            task_id=waiting[0].pk,
            to_user_id=expert.pk,
            reason=_("专家利益冲突回避，改派"),
        )
        return ExpertAssignment.objects.create(
            application=application, revision=application.revision, expert=expert, assigned_by=actor
        )


@refusals_recorded
def submit_scores(
    *, application_id: int, actor: Any, scores: dict[str, tuple[int, str]]
) -> ExpertAssignment:
    """An expert who declared no conflict scores every criterion of the call's rubric from 0 to
    100 with a written comment. Refused for a missing or unknown criterion, a value out of
    range, or an empty comment."""
    with transaction.atomic():
        application = locked_application(application_id)
        assignment = _assignment(application, actor, ExpertAssignment.State.DECLARED)
        rubric = rubric_for(application.call)
        codes = {c.code for c in rubric}
        if set(scores) != codes:
            raise InvalidInput(_("须对每一评分项打分：%s") % "、".join(c.name for c in rubric))
        rows = []
        for criterion in rubric:
            value, comment = scores[criterion.code]
            try:
                value = int(value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("分值须为0到100的整数。")) from exc
            if not 0 <= value <= 100:
                raise InvalidInput(_("分值须为0到100的整数。"))
            if not (comment or "").strip():
                raise InvalidInput(_("每一评分项都须填写评语（%s）。") % criterion.name)
            rows.append(
                CriterionScore(
                    assignment=assignment,
                    criterion_code=criterion.code,
                    criterion_name=criterion.name,
                    weight=criterion.weight,
                    value=value,
                    comment=comment.strip()[:2000],
                )
            )
        CriterionScore.objects.bulk_create(rows)
        assignment.state = ExpertAssignment.State.SCORED
        assignment.scored_at = timezone.now()
        assignment.save(update_fields=["state", "scored_at"])
        complete_people_task(
            application=application,
            actor=actor,
            node="score",
            event="score",
            details={"weighted": str(_weighted(rows))},
        )
    return assignment


def _assignment(application: FundingApplication, actor: Any, state: str) -> ExpertAssignment:
    assignment = ExpertAssignment.objects.filter(
        application=application, revision=application.revision, expert=actor
    ).first()
    if assignment is None:
        raise NotAllowed(_("您未被指派评审该申请。"))
    if assignment.state == ExpertAssignment.State.CONFLICT:
        raise NotAllowed(rights.why_not(application, actor, "group"))
    if assignment.state != state:
        raise TransitionConflict(_("该评审任务当前状态为：%s。") % assignment.get_state_display())
    return assignment


def _weighted(rows: Iterable[CriterionScore]) -> Decimal:
    total = sum(Decimal(r.weight) * Decimal(r.value) for r in rows) / Decimal(100)
    return total.quantize(TWO_PLACES, ROUND_HALF_UP)


# --- tier 2: the group's view and recommendation --------------------------------------------


@dataclass
class CriterionSummary:
    code: str
    name: str
    weight: int
    mean: Decimal
    comments: list[str]


@dataclass
class GroupSummary:
    experts: int
    weighted_score: Decimal | None
    spread: Decimal | None
    by_expert: list[tuple[Any, Decimal]] = field(default_factory=list)
    criteria: list[CriterionSummary] = field(default_factory=list)


def group_summary(application: FundingApplication, *, revision: int | None = None) -> GroupSummary:
    """The experts' scores on one revision: the weighted mean, its spread (highest minus lowest
    expert), each criterion's mean and comments. Two queries."""
    revision = revision or application.revision
    assignments = list(
        ExpertAssignment.objects.filter(
            application=application, revision=revision, state=ExpertAssignment.State.SCORED
        )
        .select_related("expert")
        .prefetch_related("scores")
    )
    if not assignments:
        return GroupSummary(0, None, None)
    by_expert = [(a.expert, _weighted(list(a.scores.all()))) for a in assignments]
    totals = [w for _, w in by_expert]
    criteria: dict[str, CriterionSummary] = {}
    values: dict[str, list[int]] = {}
    for a in assignments:
        for s in a.scores.all():
            summary = criteria.setdefault(
                s.criterion_code,
                CriterionSummary(s.criterion_code, s.criterion_name, s.weight, Decimal(0), []),
            )
            summary.comments.append(s.comment)
            values.setdefault(s.criterion_code, []).append(s.value)
    for code, summary in criteria.items():
        summary.mean = Decimal(statistics.fmean(values[code])).quantize(TWO_PLACES)
    mean = cast(Decimal, sum(totals) / len(totals)).quantize(TWO_PLACES, ROUND_HALF_UP)
    return GroupSummary(
        len(assignments), mean, max(totals) - min(totals), by_expert, list(criteria.values())
    )


@refusals_recorded
def record_group_recommendation(
    *,
    application_id: int,
    actor: Any,
    decision: str,
    amount: Decimal | None = None,
    reason: str = "",
    assessment: dict[str, Any] | None = None,
) -> GroupRecommendation:
    """The chair records the group's recommendation once every expert has scored: recommend
    with an amount (never above the request), return, or reject. Refused before the scores are
    in and for anybody but the chair.

    When a matching-fund policy is in force for the call, a recommendation is assessed under
    it: the assessment (with the policy version and content hash) is stored with it, the
    assessed amount is used when none is given, and it is refused for an ineligible
    application (naming the failed conditions) or above the assessed amount without a reason."""
    if amount is not None:
        amount = workflow.parse_money(amount)
    with transaction.atomic():
        application = locked_application(application_id)
        summary = group_summary(application)
        under_policy = None
        if decision == "recommend":
            under_policy = check_recommendation(
                application=application, amount=amount, reason=reason
            )
            if under_policy is not None:
                amount, assessment = under_policy.amount, under_policy.assessment
            if amount is None or amount <= 0 or amount > application.requested_amount:
                raise InvalidInput(_("建议金额必须大于零且不超过申请配套金额。"))
            workflow.recommend_application(
                application_id=application_id,
                actor=actor,
                reason=reason,
                amount=amount,
                locked=application,
            )
        elif decision == "return":
            workflow.return_application(
                application_id=application_id, actor=actor, reason=reason, locked=application
            )
        elif decision == "reject":
            workflow.reject_application(
                application_id=application_id, actor=actor, reason=reason, locked=application
            )
        else:
            raise InvalidInput(_("未知的决定。"))
        recommendation = GroupRecommendation.objects.create(
            application=application,
            revision=application.revision,
            chair=actor,
            decision=decision,
            weighted_score=summary.weighted_score or Decimal(0),
            score_spread=summary.spread or Decimal(0),
            recommended_amount=amount if decision == "recommend" else None,
            assessment=assessment or {},
            reason=reason,
        )
        if under_policy is not None:
            mark_policy_used(under_policy.record)
        return recommendation
