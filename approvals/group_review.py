"""Tier 2: the review working group. The chair assigns experts, each expert declares an
interest and scores the request against the call's rubric, and the chair records the group's
recommendation — the one way the group recommends, returns or rejects a request."""

from __future__ import annotations

import json
import secrets
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Func, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import permissions as rights
from workflows.assignments import reassign_task
from workflows.audit import record_event
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.flow_tasks import actor_task, complete_people_task, hand_back_task
from workflows.models import FundingApplication, Status
from workflows.money import parse_money
from workflows.notifications import notify_after_commit, tier_heads
from workflows.review_path import Role, Tier
from workflows.selectors import open_tasks
from workflows.transitions import (
    ensure_may_take,
    locked_application,
    perform,
    refusals_recorded,
)

from .assessment import check_recommendation
from .expert_pool import draw_from, pool_candidates, same_affiliation_group
from .models import CriterionScore, ExpertAssignment, ExpertDraw, GroupRecommendation
from .policy_store import mark_policy_used
from .rubric import TWO_PLACES, Criterion, rubric_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from workflows.actors import Actor

DECISIONS = {"recommend": "recommend", "return": "return_for_revision", "reject": "reject"}


@refusals_recorded
def assign_experts(
    *, application_id: int, actor: Actor, expert_ids: list[int]
) -> list[ExpertAssignment]:
    """The group chair, holding the assignment task, asks at least the call's number of experts
    to score the request; the flow opens one scoring task per expert. Refused for fewer
    experts, duplicates, and experts who must stay away from the request."""
    with transaction.atomic():
        application = locked_application(application_id)
        if application.status != Status.GROUP_REVIEW:
            raise TransitionConflict()
        if not rights.is_group_chair(application, actor):
            raise NotAllowed(rights.why_not(application, actor, Tier.GROUP))
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
        experts = (
            get_user_model()
            ._default_manager.select_related("profile", "expert_profile")
            .in_bulk(ids)
        )
        for pk in ids:
            expert = experts.get(pk)
            if expert is None or expert.pk == actor.pk or not _eligible_expert(application, expert):
                name = expert.get_username() if expert else str(pk)
                why = rights.why_not(application, expert, Tier.GROUP) if expert else None
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


def _eligible_expert(application: FundingApplication, expert: User) -> bool:
    profile = rights.profile_of(expert)
    return (
        profile is not None
        and profile.role == Role.GROUP_MEMBER
        and rights.is_group_member(application, expert)
        and not same_affiliation_group(application, expert)
    )


def draw_experts(
    *,
    application_id: int,
    actor: Actor,
    count: int | None = None,
    field_codes: Sequence[str] = (),
    seed: str | None = None,
) -> ExpertDraw:
    """The group chair, holding the assignment task, draws experts at random from the eligible
    of the pool (of the given fields; conflict rules applied: not of the applicant or its
    group or system, never involved with the request before, no declared conflict) and asks
    them to score, as ``assign_experts`` does. The draw is recorded with its seed and its
    candidates, so that it can be replayed. Refused with fewer candidates than experts to draw,
    and as ``assign_experts`` refuses."""
    with transaction.atomic():
        application = locked_application(application_id)
        if application.status != Status.GROUP_REVIEW:
            raise TransitionConflict()
        if not rights.is_group_chair(application, actor):
            raise NotAllowed(rights.why_not(application, actor, Tier.GROUP))
        count = count or application.call.experts_required
        if count < application.call.experts_required:
            raise InvalidInput(
                _("至少须指派 %(n)d 名专家。") % {"n": application.call.experts_required}
            )
        candidates = [
            c.expert.pk for c in pool_candidates(application, actor, field_codes=field_codes)
        ]
        if len(candidates) < count:
            raise InvalidInput(
                _("符合条件的专家只有 %(have)d 名，不足 %(n)d 名。")
                % {"have": len(candidates), "n": count}
            )
        seed = seed or secrets.token_hex(8)
        drawn = draw_from(candidates, seed=seed, count=count)
        assign_experts(application_id=application_id, actor=actor, expert_ids=drawn)
        return ExpertDraw.objects.create(
            application=application,
            revision=application.revision,
            drawn_by=actor,
            seed=seed,
            field_codes=list(field_codes),
            count=count,
            candidate_ids=candidates,
            drawn_ids=drawn,
        )


@refusals_recorded
def declare_interest(
    *, application_id: int, actor: Actor, conflict: bool, reason: str = ""
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
                "reassign_needed",
                application.pk,
                [u.pk for u in tier_heads(application, Tier.GROUP)],
            )
        else:
            assignment.state = ExpertAssignment.State.DECLARED
            record_event(application, actor=actor, name="declare_no_conflict", tier=Tier.GROUP)
        assignment.save(update_fields=["state", "declared_at", "conflict_reason"])
    return assignment


@refusals_recorded
def replace_expert(*, application_id: int, actor: Actor, expert_id: int) -> ExpertAssignment:
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
    *, application_id: int, actor: Actor, scores: dict[str, tuple[int, str]]
) -> ExpertAssignment:
    """An expert who declared no conflict scores every criterion of the call's rubric from 0 to
    100 with a written comment. Refused for a missing or unknown criterion, a value out of
    range, or an empty comment."""
    with transaction.atomic():
        application = locked_application(application_id)
        assignment = _assignment(application, actor, ExpertAssignment.State.DECLARED)
        rows = [
            CriterionScore(
                assignment=assignment,
                criterion_code=criterion.code,
                criterion_name=criterion.name,
                weight=criterion.weight,
                value=value,
                comment=comment,
            )
            for criterion, value, comment in validated_scores(rubric_for(application.call), scores)
        ]
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


_C = TypeVar("_C", bound=Criterion)


def validated_scores(
    criteria: Sequence[_C], scores: dict[str, tuple[int, str]]
) -> list[tuple[_C, int, str]]:
    """An expert's scores checked against a rubric (the review group's, or another panel's):
    every criterion scored, each a whole number from 0 to 100 with a written comment. Returns
    (criterion, value, comment) in the rubric's order; InvalidInput otherwise."""
    if set(scores) != {c.code for c in criteria}:
        raise InvalidInput(_("须对每一评分项打分：%s") % "、".join(c.name for c in criteria))
    rows = []
    for criterion in criteria:
        value, comment = scores[criterion.code]
        try:
            value = int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("分值须为0到100的整数。")) from exc
        if not 0 <= value <= 100:
            raise InvalidInput(_("分值须为0到100的整数。"))
        if not (comment or "").strip():
            raise InvalidInput(_("每一评分项都须填写评语（%s）。") % criterion.name)
        rows.append((criterion, value, comment.strip()[:2000]))
    return rows


def weighted_score(rows: Iterable[tuple[int, int]]) -> Decimal:
    """The weighted score of (weight, value) pairs whose weights add up to 100."""
    total = sum(Decimal(weight) * Decimal(value) for weight, value in rows) / Decimal(100)
    return total.quantize(TWO_PLACES, ROUND_HALF_UP)


def eligible_expert(application: FundingApplication, expert: User) -> bool:
    """A review-group member who need not stay away from the application (their own
    organisation, a declared conflict, another tier)."""
    return _eligible_expert(application, expert)


def _assignment(application: FundingApplication, actor: Actor, state: str) -> ExpertAssignment:
    assignment = ExpertAssignment.objects.filter(
        application=application, revision=application.revision, expert=actor
    ).first()
    if assignment is None:
        raise NotAllowed(_("您未被指派评审该申请。"))
    if assignment.state == ExpertAssignment.State.CONFLICT:
        raise NotAllowed(rights.why_not(application, actor, Tier.GROUP))
    if assignment.state != state:
        raise TransitionConflict(_("该评审任务当前状态为：%s。") % assignment.get_state_display())
    return assignment


def _weighted(rows: Iterable[CriterionScore]) -> Decimal:
    return weighted_score((r.weight, r.value) for r in rows)


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
    expert), each criterion's mean and comments. One query: the scores with their expert."""
    revision = revision or application.revision
    scores = list(
        CriterionScore.objects.filter(
            assignment__application=application,
            assignment__revision=revision,
            assignment__state=ExpertAssignment.State.SCORED,
        )
        .select_related("assignment__expert")
        .order_by("assignment_id", "id")
    )
    if not scores:
        return GroupSummary(0, None, None)
    by_assignment: dict[int, list[CriterionScore]] = {}
    for s in scores:
        by_assignment.setdefault(s.assignment_id, []).append(s)
    by_expert = [(rows[0].assignment.expert, _weighted(rows)) for rows in by_assignment.values()]
    totals = [w for _, w in by_expert]
    criteria: dict[str, CriterionSummary] = {}
    values: dict[str, list[int]] = {}
    for s in scores:
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
        len(by_assignment), mean, max(totals) - min(totals), by_expert, list(criteria.values())
    )


class ScoredValues(Func):
    """The scores of one revision's scored experts as one column of another table's query (the
    policy's versions, which the recommendation reads anyway): a JSON array of [assignment,
    weight, value], read by ``score_totals``."""

    output_field = TextField()
    contains_aggregate = False

    def __init__(self, application_id: int, revision: int) -> None:
        super().__init__(
            Value(application_id), Value(revision), Value(ExpertAssignment.State.SCORED)
        )

    def as_sql(  # type: ignore[override]  # none of Func's templating is used
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (app_sql, app_params), (rev_sql, rev_params), (state_sql, state_params) = (
            compiler.compile(e) for e in self.source_expressions
        )
        scores, assignments = CriterionScore._meta.db_table, ExpertAssignment._meta.db_table
        if connection.vendor == "postgresql":
            triples = (
                "coalesce(json_agg(json_build_array(s.assignment_id, s.weight, s.value)), '[]')"
                "::text"
            )
        else:
            triples = "json_group_array(json_array(s.assignment_id, s.weight, s.value))"
        return (
            f'(SELECT {triples} FROM "{scores}" AS s JOIN "{assignments}" AS a '  # noqa: S608
            f"ON a.id = s.assignment_id WHERE a.application_id = {app_sql} "
            f"AND a.revision = {rev_sql} AND a.state = {state_sql})",
            [*app_params, *rev_params, *state_params],
        )


def score_totals(column: str) -> tuple[Decimal | None, Decimal | None]:
    """The weighted mean and the spread (as ``group_summary`` gives them) of a
    ``ScoredValues`` column."""
    by_assignment: dict[int, list[tuple[int, int]]] = {}
    for assignment, weight, value in json.loads(column):
        by_assignment.setdefault(assignment, []).append((weight, value))
    if not by_assignment:
        return None, None
    totals = [weighted_score(rows) for rows in by_assignment.values()]
    mean = cast(Decimal, sum(totals) / len(totals)).quantize(TWO_PLACES, ROUND_HALF_UP)
    return mean, max(totals) - min(totals)


@refusals_recorded
def record_group_recommendation(
    *,
    application_id: int,
    actor: Actor,
    decision: str,
    amount: Decimal | None = None,
    reason: str = "",
) -> GroupRecommendation:
    """The chair, holding the group's decision task (open once every assigned expert has scored
    or been replaced), records the group's recommendation: recommend with an amount (never
    above the request), return, or reject, each with the experts' scores summarised and stored
    with it.

    When a matching-fund policy is in force for the call, a recommendation is assessed under
    it: the assessment (with the policy version and content hash) is stored with it, the
    assessed amount is used when none is given, and it is refused for an ineligible
    application (naming the failed conditions) and above the assessed amount without a reason.
    Refused before the scores are in and for anybody but the chair."""
    transition = DECISIONS.get(decision)
    if transition is None:
        raise InvalidInput(_("未知的决定。"))
    if amount is not None:
        amount = parse_money(amount)
    with transaction.atomic():
        # The policy's assessment reads the applicant's kind and district.
        application = locked_application(application_id, "organisation__district")
        ensure_may_take(transition, tier=Tier.GROUP, application=application, actor=actor)
        under_policy = None
        assessment: dict[str, Any] = {}
        call: dict[str, Any] = {}
        totals: tuple[Decimal | None, Decimal | None] | None = None
        if decision == "recommend":
            under_policy = check_recommendation(
                application=application,
                amount=amount,
                reason=reason,
                # The experts' scores in the policy's own query.
                read_with={"scored": ScoredValues(application.pk, application.revision)},
            )
            if under_policy is not None:
                amount, assessment = under_policy.amount, under_policy.assessment
                totals = score_totals(under_policy.record.scored)  # type: ignore[attr-defined]
            if amount is None or amount <= 0 or amount > application.requested_amount:
                raise InvalidInput(_("建议金额必须大于零且不超过申请配套金额。"))
            call = {"amount": amount}
        elif decision == "return":
            call = {"reason": reason}
        else:
            call = {"reason": reason, "at": timezone.now()}
        if totals is None:  # no policy read them
            summary = group_summary(application)
            totals = summary.weighted_score, summary.spread
        recommendation = GroupRecommendation(
            application=application,
            revision=application.revision,
            chair=actor,
            decision=decision,
            weighted_score=totals[0] or Decimal(0),
            score_spread=totals[1] or Decimal(0),
            recommended_amount=amount if decision == "recommend" else None,
            assessment=assessment,
            reason=reason,
        )
        perform(
            transition,
            application_id=application_id,
            actor=actor,
            tier=Tier.GROUP,
            reason=reason,
            details={"recommended_amount": amount} if decision == "recommend" else {},
            call=call,
            locked=application,
            # Written with the decision (in its statement on PostgreSQL).
            records=(recommendation,),
        )
        if under_policy is not None:
            mark_policy_used(under_policy.record)
        return recommendation
