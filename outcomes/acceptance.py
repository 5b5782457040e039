"""Stage 5: the completion acceptance (验收). At the end of the implementation period the
applicant requests it; the lead department convenes a panel of experts, who declare their
interests and score the project under the rules of the review group's scoring (approvals); the
lead department records the outcome: pass, pass with conditions, or fail."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.group_review import eligible_expert, validated_scores, weighted_score
from workflows import permissions as rights
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication, Status
from workflows.review_path import Tier
from workflows.transitions import (
    ensure_may_take,
    locked_application,
    perform,
    refusals_recorded,
)

from .models import AcceptanceOutcome, AcceptanceRequest, AcceptanceReview, OutcomeReport
from .notices import tell_experts, tell_lead_department, tell_meeting
from .steps import ensure_acts, record_step

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from workflows.actors import Actor


@dataclass(frozen=True)
class AcceptanceCriterion:
    code: str
    name: StrOrPromise
    weight: int


# What an acceptance panel scores (weights add up to 100).
ACCEPTANCE_RUBRIC = (
    AcceptanceCriterion("targets_met", gettext_lazy("任务书目标完成情况"), 40),
    AcceptanceCriterion("industrialised", gettext_lazy("成果在京转化和产业化"), 30),
    AcceptanceCriterion("use_of_funds", gettext_lazy("配套资金使用规范"), 20),
    AcceptanceCriterion("documentation", gettext_lazy("验收材料完整"), 10),
)


def acceptance_window() -> datetime.timedelta:
    """How long before the end of the implementation period acceptance may be requested."""
    return datetime.timedelta(days=int(getattr(settings, "OUTCOME_ACCEPTANCE_WINDOW_DAYS", 90)))


def panel_size(application: FundingApplication) -> int:
    return application.call.experts_required


@refusals_recorded
def request_acceptance(*, application_id: int, actor: Actor, summary: str) -> AcceptanceRequest:
    """The applicant requests the completion acceptance with a summary of what was done.
    Refused before the last ``OUTCOME_ACCEPTANCE_WINDOW_DAYS`` days of the implementation
    period, while a progress report awaits the lead department, and without a summary."""
    summary = (summary or "").strip()[:4000]
    if not summary:
        raise InvalidInput(_("请填写完成情况总结。"))

    def check(application: FundingApplication) -> None:
        if timezone.localdate() < application.period_end - acceptance_window():
            raise InvalidInput(
                _("实施期结束前 %(days)d 天内方可申请验收（实施期至 %(end)s）。")
                % {"days": acceptance_window().days, "end": application.period_end.isoformat()}
            )
        if OutcomeReport.objects.filter(
            application=application, state=OutcomeReport.State.SUBMITTED
        ).exists():
            raise InvalidInput(_("尚有进展报告待牵头部门确认，请确认后再申请验收。"))

    with transaction.atomic():
        application = locked_application(application_id)
        perform(
            "request_acceptance",
            application_id=application_id,
            actor=actor,
            tier=None,
            reason=summary[:200],
            check=check,
            waits_for_task=False,
            locked=application,
        )
        return AcceptanceRequest.objects.create(
            application=application, summary=summary, requested_by=actor
        )


def _open_acceptance(application: FundingApplication) -> AcceptanceRequest:
    if application.status != Status.ACCEPTANCE_REVIEW:
        raise TransitionConflict(_("该项目不在验收中。"))
    return AcceptanceRequest.objects.get(application=application)


def active_reviews(acceptance: AcceptanceRequest) -> list[AcceptanceReview]:
    return list(acceptance.reviews.exclude(state=AcceptanceReview.State.CONFLICT))


@refusals_recorded
def assign_acceptance_experts(
    *, application_id: int, actor: Actor, expert_ids: list[int]
) -> list[AcceptanceReview]:
    """An officer of the lead department convenes the acceptance panel: at least the call's
    number of experts (counting those already on it who did not withdraw), or adds experts in
    place of those who withdrew for a conflict. Refused for duplicates, for experts already
    asked, and for experts who must stay away from the request under the review group's
    rules (their own organisation, a conflict declared on it, another tier of its review)."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_acts(application, actor, Tier.LEAD)
        acceptance = _open_acceptance(application)
        if acceptance.outcome:
            raise TransitionConflict(_("验收结论已经作出。"))
        ids = list(dict.fromkeys(int(pk) for pk in expert_ids))
        if len(ids) != len(expert_ids) or not ids:
            raise InvalidInput(_("请指派专家，同一专家不能重复指派。"))
        asked = set(acceptance.reviews.values_list("expert_id", flat=True))
        if asked & set(ids):
            raise InvalidInput(_("所选专家已在验收专家组中。"))
        needed = panel_size(application)
        if len(active_reviews(acceptance)) + len(ids) < needed:
            raise InvalidInput(_("验收专家组至少须有 %(n)d 名专家。") % {"n": needed})
        experts = get_user_model()._default_manager.select_related("profile").in_bulk(ids)
        for pk in ids:
            expert = experts.get(pk)
            if expert is None or expert.pk == actor.pk or not eligible_expert(application, expert):
                name = expert.get_username() if expert else str(pk)
                why = rights.why_not(application, expert, Tier.GROUP) if expert else None
                raise InvalidInput(
                    _("%(name)s 不能担任该项目的验收专家。") % {"name": name} + (why or "")
                )
        reviews = AcceptanceReview.objects.bulk_create(
            AcceptanceReview(acceptance=acceptance, expert_id=pk) for pk in ids
        )
        acceptance.convened_by = actor
        acceptance.convened_at = timezone.now()
        acceptance.save(update_fields=["convened_by", "convened_at"])
        record_step(
            application,
            actor=actor,
            name="assign_acceptance_experts",
            tier=Tier.LEAD,
            details={"experts": len(ids)},
        )
        tell_experts("acceptance_expert_assigned", application, ids)
    return reviews


def _review(application: FundingApplication, actor: Actor, state: str) -> AcceptanceReview:
    review = AcceptanceReview.objects.filter(
        acceptance__application=application, expert_id=actor.pk
    ).first()
    if review is None:
        raise NotAllowed(_("您未被邀请参加该项目的验收。"))
    if review.state == AcceptanceReview.State.CONFLICT:
        raise NotAllowed(_("您已就该申请申报利益冲突，须回避。"))
    if review.state != state:
        raise TransitionConflict(_("该验收评审当前状态为：%s。") % review.get_state_display())
    return review


@refusals_recorded
def declare_acceptance_interest(
    *, application_id: int, actor: Actor, conflict: bool, reason: str = ""
) -> AcceptanceReview:
    """An expert asked onto the acceptance panel declares, before seeing the project, whether
    they have a conflict of interest. A conflict takes them off the panel, keeps them away from
    the request for good (as a conflict in its review does), and asks the lead department for
    another expert."""
    with transaction.atomic():
        application = locked_application(application_id)
        review = _review(application, actor, AcceptanceReview.State.ASSIGNED)
        _open_acceptance(application)
        review.declared_at = timezone.now()
        if conflict:
            if not (reason or "").strip():
                raise InvalidInput(_("请说明利益冲突的情形。"))
            review.state = AcceptanceReview.State.CONFLICT
            review.conflict_reason = reason.strip()
            record_step(
                application,
                actor=actor,
                name="declare_acceptance_conflict",
                tier=Tier.GROUP,
                reason=reason.strip(),
            )
            tell_lead_department("acceptance_replace_needed", application)
        else:
            review.state = AcceptanceReview.State.DECLARED
            record_step(
                application, actor=actor, name="declare_acceptance_no_conflict", tier=Tier.GROUP
            )
        review.save(update_fields=["state", "declared_at", "conflict_reason"])
    return review


@refusals_recorded
def submit_acceptance_scores(
    *, application_id: int, actor: Actor, scores: dict[str, tuple[int, str]]
) -> AcceptanceReview:
    """An expert of the panel who declared no conflict scores every acceptance criterion from
    0 to 100 with a written comment (the review group's scoring rules)."""
    with transaction.atomic():
        application = locked_application(application_id)
        review = _review(application, actor, AcceptanceReview.State.DECLARED)
        _open_acceptance(application)
        rows = validated_scores(ACCEPTANCE_RUBRIC, scores)
        review.scores = [
            {"code": c.code, "name": str(c.name), "weight": c.weight, "value": v, "comment": m}
            for c, v, m in rows
        ]
        review.weighted = weighted_score((c.weight, v) for c, v, _m in rows)
        review.state = AcceptanceReview.State.SCORED
        review.scored_at = timezone.now()
        review.save(update_fields=["scores", "weighted", "state", "scored_at"])
        record_step(
            application,
            actor=actor,
            name="score_acceptance",
            tier=Tier.GROUP,
            details={"weighted": str(review.weighted)},
        )
    return review


def panel_score(acceptance: AcceptanceRequest) -> Decimal | None:
    scored = [r.weighted for r in acceptance.reviews.filter(state=AcceptanceReview.State.SCORED)]
    if not scored:
        return None
    return (sum(scored, Decimal(0)) / len(scored)).quantize(Decimal("0.01"))


@refusals_recorded
def record_acceptance_outcome(
    *, application_id: int, actor: Actor, outcome: str, conditions: str = "", reason: str = ""
) -> AcceptanceRequest:
    """An officer of the lead department records the panel's outcome once every expert on it
    has scored: pass, pass with conditions (the conditions written out), or fail (with the
    reason; the joint meeting then sets the amount to recover). Refused before the panel has
    scored, for an unknown outcome, and without the conditions or the reason."""
    if outcome not in AcceptanceOutcome.values:
        raise InvalidInput(_("未知的验收结论。"))
    conditions, reason = (conditions or "").strip(), (reason or "").strip()
    if outcome == AcceptanceOutcome.PASS_WITH_CONDITIONS and not conditions:
        raise InvalidInput(_("有条件通过验收时须写明整改条件。"))
    if outcome == AcceptanceOutcome.FAIL and not reason:
        raise InvalidInput(_("验收未通过时须写明理由。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("record_acceptance", tier=Tier.LEAD, application=application, actor=actor)
        acceptance = _open_acceptance(application)
        reviews = active_reviews(acceptance)

        def check(application: FundingApplication) -> None:
            if len(reviews) < panel_size(application) or any(
                r.state != AcceptanceReview.State.SCORED for r in reviews
            ):
                raise TransitionConflict(_("验收专家尚未全部评分，不能作出验收结论。"))

        score = panel_score(acceptance)
        perform(
            "record_acceptance",
            application_id=application_id,
            actor=actor,
            tier=Tier.LEAD,
            reason=reason or conditions,
            details={
                "outcome": outcome,
                "conditions": conditions,
                "weighted_score": str(score) if score is not None else None,
                "experts": len(reviews),
            },
            call={"passed": outcome != AcceptanceOutcome.FAIL},
            check=check,
            waits_for_task=False,
            locked=application,
        )
        acceptance.outcome = outcome
        acceptance.conditions = conditions
        acceptance.reason = reason
        acceptance.weighted_score = score
        acceptance.decided_by = actor
        acceptance.decided_at = timezone.now()
        acceptance.save(
            update_fields=[
                "outcome",
                "conditions",
                "reason",
                "weighted_score",
                "decided_by",
                "decided_at",
            ]
        )
        if outcome == AcceptanceOutcome.FAIL:
            tell_meeting("recovery_needed", application, _("验收未通过"))
    return acceptance
