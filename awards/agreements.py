"""The funding agreement (任务书/协议): drafted from the final approval by the lead department,
confirmed by the applicant, signed by the lead department; changes after signing are
amendments, approved by the joint meeting's secretariat. Each is the one public service of its
decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import ApprovalSplit
from outcomes import targets as outcome_targets
from workflows.errors import InvalidInput, NotFound, TransitionConflict
from workflows.models import FundingApplication, FundingForm, Status
from workflows.money import parse_money
from workflows.review_path import Tier
from workflows.transitions import ensure_may_take, locked_application, perform, refusals_recorded

from .models import AgreementMilestone, AgreementTarget, Amendment, FundingAgreement, Tranche
from .recording import in_both_languages, record_step
from .rights import ensure_may_record

if TYPE_CHECKING:
    from workflows.actors import Actor

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# The tranches proposed with a new agreement: (share in per cent, condition).
DEFAULT_TRANCHES = (
    (Decimal(40), Tranche.Condition.ON_SIGNING),
    (Decimal(30), Tranche.Condition.ON_ACCEPTED_REPORT),
    (Decimal(30), Tranche.Condition.ON_COMPLETION),
)


@dataclass(frozen=True)
class Milestone:
    title: str
    due_on: datetime.date


@dataclass(frozen=True)
class Target:
    start: datetime.date
    end: datetime.date
    sales_revenue: Decimal
    of_which_industrial: Decimal = Decimal(0)
    patents_filed: int = 0
    patents_granted: int = 0
    jobs: int = 0


@dataclass(frozen=True)
class TrancheTerms:
    share: Decimal
    condition: str


@dataclass(frozen=True)
class Terms:
    """What the lead department writes into the agreement (within the approval)."""

    amount: Decimal
    equity_amount: Decimal
    milestones: tuple[Milestone, ...]
    targets: tuple[Target, ...]
    tranches: tuple[TrancheTerms, ...]


# --- the draft proposed from the approval ----------------------------------------------------


def approval_split(application: FundingApplication) -> ApprovalSplit | None:
    """The split the joint meeting's pool draw recorded for the approval that stands."""
    split = (
        ApprovalSplit.objects.filter(application=application).order_by("-created_at", "-id").first()
    )
    return split if split is not None and split.amount == application.approved_amount else None


def reporting_periods(application: FundingApplication) -> list[tuple[datetime.date, datetime.date]]:
    """The reporting periods the outcome reports use (``OUTCOME_REPORT_MONTHS``, half-yearly by
    default), from the project's start to its end (the last one shorter)."""
    return outcome_targets.periods(
        application.period_start, application.period_end, outcome_targets.report_months()
    )


def proposed_terms(application: FundingApplication) -> Terms:
    """The draft the lead department starts from: the approved amount and its split, a
    milestone at mid-term and at the end, the application's expected sales revenue, patents
    and jobs spread over the half-yearly reporting periods, and three tranches."""
    amount = application.approved_amount or Decimal(0)
    split = approval_split(application)
    if split is not None:
        equity = split.equity_amount
    else:
        equity = amount if application.funding_form == FundingForm.EQUITY else Decimal(0)
    spread = outcome_targets.default_targets(application)
    middle = application.period_start + (application.period_end - application.period_start) / 2
    return Terms(
        amount=amount,
        equity_amount=equity,
        milestones=(
            Milestone(_("完成中期目标"), middle),
            Milestone(_("完成全部任务并申请验收"), application.period_end),
        ),
        targets=tuple(
            Target(
                t.start,
                t.end,
                t.sales_revenue,
                t.of_which_industrial,
                t.patents_filed,
                0,
                t.jobs,
            )
            for t in spread
        ),
        tranches=tuple(TrancheTerms(share, condition) for share, condition in DEFAULT_TRANCHES),
    )


# --- checking the terms against the approval ------------------------------------------------


def _department_parts(application: FundingApplication, amount: Decimal) -> list[dict[str, Any]]:
    """The approval's split by department, scaled to the agreement's amount (the last
    department takes the rounding), so that the parts add up to it."""
    split = approval_split(application)
    if split is None or not split.amount:
        return []
    parts, running = [], Decimal(0)
    for i, part in enumerate(split.by_department):
        share = Decimal(part["amount"])
        if i == len(split.by_department) - 1:
            value = amount - running
        else:
            value = (amount * share / split.amount).quantize(CENT, rounding=ROUND_DOWN)
        running += value
        parts.append({**part, "amount": str(value)})
    return parts


def tranche_amounts(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Each tranche's amount; the last takes the rounding so that they add up to ``amount``."""
    values = [(amount * s / HUNDRED).quantize(CENT, rounding=ROUND_DOWN) for s in shares[:-1]]
    return [*values, amount - sum(values, Decimal(0))]


def _checked(application: FundingApplication, terms: Terms) -> Terms:
    approved = application.approved_amount or Decimal(0)
    amount = parse_money(terms.amount)
    equity = parse_money(terms.equity_amount)
    if amount <= 0 or equity < 0:
        raise InvalidInput(_("协议金额须大于零，股权投资金额不得为负。"))
    if amount > approved:
        raise InvalidInput(
            _("协议金额 %(amount)s 元不得超过批复金额 %(approved)s 元。")
            % {"amount": f"{amount:,.2f}", "approved": f"{approved:,.2f}"}
        )
    if equity > amount:
        raise InvalidInput(_("股权投资金额不得超过协议金额。"))
    split = approval_split(application)
    if split is not None and amount == approved and equity != split.equity_amount:
        raise InvalidInput(
            _("按批复的支持方式，股权投资应为 %s 元。") % f"{split.equity_amount:,.2f}"
        )
    if not terms.milestones:
        raise InvalidInput(_("请至少填写一个实施节点。"))
    for m in terms.milestones:
        if not m.title.strip():
            raise InvalidInput(_("实施节点须有名称。"))
        if not application.period_start <= m.due_on <= application.period_end:
            raise InvalidInput(_("实施节点“%s”的日期须在实施期内。") % m.title)
    for t in terms.targets:
        if t.end < t.start:
            raise InvalidInput(_("报告期的结束日期不得早于开始日期。"))
        if t.of_which_industrial > t.sales_revenue:
            raise InvalidInput(_("产业化项目销售收入不得超过新增销售收入。"))
    shares = [t.share for t in terms.tranches]
    if not shares or any(s <= 0 for s in shares) or sum(shares, Decimal(0)) != HUNDRED:
        raise InvalidInput(_("各批拨付比例须大于零，合计为100%。"))
    if any(t.condition not in Tranche.Condition.values for t in terms.tranches):
        raise InvalidInput(_("未知的拨付条件。"))
    return Terms(amount, equity, terms.milestones, terms.targets, terms.tranches)


def _write_terms(agreement: FundingAgreement, terms: Terms) -> None:
    application = agreement.application
    agreement.amount = terms.amount
    agreement.equity_amount = terms.equity_amount
    agreement.grant_amount = terms.amount - terms.equity_amount
    agreement.by_department = _department_parts(application, terms.amount)
    agreement.applicant_confirmed_by = None
    agreement.applicant_confirmed_at = None
    agreement.save()
    agreement.milestones.all().delete()
    agreement.targets.all().delete()
    agreement.tranches.all().delete()
    AgreementMilestone.objects.bulk_create(
        AgreementMilestone(agreement=agreement, position=i, title=m.title.strip(), due_on=m.due_on)
        for i, m in enumerate(sorted(terms.milestones, key=lambda m: m.due_on), 1)
    )
    AgreementTarget.objects.bulk_create(
        AgreementTarget(
            agreement=agreement,
            period_index=i,
            start=t.start,
            end=t.end,
            sales_revenue=t.sales_revenue,
            of_which_industrial=t.of_which_industrial,
            patents_filed=t.patents_filed,
            patents_granted=t.patents_granted,
            jobs=t.jobs,
        )
        for i, t in enumerate(terms.targets, 1)
    )
    amounts = tranche_amounts(terms.amount, [t.share for t in terms.tranches])
    Tranche.objects.bulk_create(
        Tranche(agreement=agreement, position=i, share=t.share, amount=a, condition=t.condition)
        for i, (t, a) in enumerate(zip(terms.tranches, amounts, strict=True), 1)
    )


def _terms_record(terms: Terms) -> dict[str, Any]:
    return {
        "amount": str(terms.amount),
        "equity_amount": str(terms.equity_amount),
        "milestones": len(terms.milestones),
        "targets": len(terms.targets),
        "tranches": [str(t.share) for t in terms.tranches],
    }


def _final(application_id: int, actor: Actor, step: str, tier: Tier | None) -> FundingApplication:
    application = locked_application(application_id)
    ensure_may_record(step, tier=tier, application=application, actor=actor)
    if application.status != Status.FINAL:
        raise TransitionConflict(_("只有已正式批复、尚未签订协议的项目可以办理协议。"))
    return application


# --- the services ---------------------------------------------------------------------------


@refusals_recorded
def draft_agreement(
    *, application_id: int, actor: Actor, terms: Terms | None = None
) -> FundingAgreement:
    """The lead department drafts the agreement of a final approval, from the proposed terms
    unless it gives its own. Refused when one exists already and when the terms break the
    approval (an amount above it, shares not adding up to 100 %, dates outside the project)."""
    with transaction.atomic():
        application = _final(application_id, actor, "draft_agreement", Tier.LEAD)
        if FundingAgreement.objects.filter(application=application).exists():
            raise TransitionConflict(_("该项目的协议已起草，请修改现有协议。"))
        terms = _checked(application, terms or proposed_terms(application))
        agreement = FundingAgreement(application=application, drafted_by=actor)
        _write_terms(agreement, terms)
        record_step(
            application,
            actor=actor,
            name="draft_agreement",
            tier=Tier.LEAD,
            details=_terms_record(terms),
        )
    return agreement


@refusals_recorded
def edit_agreement(*, application_id: int, actor: Actor, terms: Terms) -> FundingAgreement:
    """The lead department changes the draft before signing; an applicant's confirmation is
    undone (they confirm the new terms). Refused as drafting is, and once signed."""
    with transaction.atomic():
        application = _final(application_id, actor, "edit_agreement", Tier.LEAD)
        agreement = _agreement_of(application)
        terms = _checked(application, terms)
        _write_terms(agreement, terms)
        record_step(
            application,
            actor=actor,
            name="edit_agreement",
            tier=Tier.LEAD,
            details=_terms_record(terms),
        )
    return agreement


@refusals_recorded
def confirm_agreement(*, application_id: int, actor: Actor) -> FundingAgreement:
    """The applicant confirms the draft as it stands. Refused when confirmed already."""
    with transaction.atomic():
        application = _final(application_id, actor, "confirm_agreement", None)
        agreement = _agreement_of(application)
        if agreement.applicant_confirmed_at is not None:
            raise TransitionConflict(_("协议已确认。"))
        agreement.applicant_confirmed_by = actor
        agreement.applicant_confirmed_at = timezone.now()
        agreement.save(update_fields=["applicant_confirmed_by", "applicant_confirmed_at"])
        record_step(
            application,
            actor=actor,
            name="confirm_agreement",
            tier="",
            details={"amount": str(agreement.amount)},
        )
    return agreement


@refusals_recorded
def sign_agreement(*, application_id: int, actor: Actor) -> FundingAgreement:
    """The lead department signs the agreement the applicant confirmed: the project is in
    execution and the agreement is issued. Refused before the applicant's confirmation."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("sign_agreement", tier=Tier.LEAD, application=application, actor=actor)
        agreement = _agreement_of(application)
        if agreement.applicant_confirmed_at is None:
            raise TransitionConflict(_("申报单位尚未确认协议，不能签订。"))
        now = timezone.now()
        perform(
            "sign_agreement",
            application_id=application_id,
            actor=actor,
            tier=Tier.LEAD,
            details=agreement_record(agreement, signed_at=now),
            waits_for_task=False,
            locked=application,
        )
        agreement.signed_by = actor
        agreement.signed_at = now
        agreement.save(update_fields=["signed_by", "signed_at"])
    return agreement


def agreement_record(
    agreement: FundingAgreement, *, signed_at: datetime.datetime
) -> dict[str, Any]:
    """The agreement as signed, kept with the signing on the audit trail (its document says
    what was signed, whatever happens to the agreement afterwards)."""
    return {
        "amount": str(agreement.amount),
        "grant_amount": str(agreement.grant_amount),
        "equity_amount": str(agreement.equity_amount),
        "departments": [
            {"name": d.get("name_zh", ""), "amount": d["amount"]} for d in agreement.by_department
        ],
        "milestones": [
            {"title": m.title, "due_on": m.due_on.isoformat()} for m in agreement.milestones.all()
        ],
        "targets": [
            {
                "start": t.start.isoformat(),
                "end": t.end.isoformat(),
                "sales_revenue": str(t.sales_revenue),
                "of_which_industrial": str(t.of_which_industrial),
                "patents_filed": t.patents_filed,
                "patents_granted": t.patents_granted,
                "jobs": t.jobs,
            }
            for t in agreement.targets.all()
        ],
        "tranches": [
            {
                "share": str(t.share),
                "amount": str(t.amount),
                "condition": in_both_languages(Tranche.Condition(t.condition).label),
            }
            for t in agreement.tranches.all()
        ],
        "confirmed_on": timezone.localdate(agreement.applicant_confirmed_at).isoformat()
        if agreement.applicant_confirmed_at
        else "",
        "signed_on": timezone.localdate(signed_at).isoformat(),
    }


def _agreement_of(application: FundingApplication) -> FundingAgreement:
    agreement = FundingAgreement.objects.select_for_update().filter(application=application).first()
    if agreement is None:
        raise TransitionConflict(_("该项目尚未起草协议。"))
    agreement.application = application
    return agreement


# --- amendments -----------------------------------------------------------------------------


@refusals_recorded
def propose_amendment(
    *, application_id: int, actor: Actor, summary: str, milestones: list[Milestone]
) -> Amendment:
    """The lead department proposes a change to a signed agreement (its milestones, with the
    reason in words). Refused without a summary, while another is waiting, and before
    signing."""
    summary = summary.strip()
    if not summary:
        raise InvalidInput(_("请说明变更内容。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_record("propose_amendment", tier=Tier.LEAD, application=application, actor=actor)
        if application.status != Status.IN_EXECUTION:
            raise TransitionConflict(_("只有执行中的项目可以变更协议。"))
        agreement = _agreement_of(application)
        if agreement.amendments.filter(state=Amendment.State.PROPOSED).exists():
            raise TransitionConflict(_("已有待批准的变更。"))
        for m in milestones:
            if (
                not m.title.strip()
                or not application.period_start <= m.due_on <= application.period_end
            ):
                raise InvalidInput(_("变更后的节点须有名称，日期须在实施期内。"))
        amendment = Amendment.objects.create(
            agreement=agreement,
            number=agreement.amendments.count() + 1,
            summary=summary,
            new_milestones=[
                {"title": m.title.strip(), "due_on": m.due_on.isoformat()} for m in milestones
            ],
            proposed_by=actor,
        )
        record_step(
            application,
            actor=actor,
            name="propose_amendment",
            tier=Tier.LEAD,
            details={"amendment": amendment.number},
            reason=summary,
        )
    return amendment


@refusals_recorded
def approve_amendment(*, amendment_id: int, actor: Actor) -> Amendment:
    """The secretariat approves a proposed amendment: the agreement's milestones become the
    amendment's, and the amendment's approval is issued. Refused once approved."""
    application_id = (
        Amendment.objects.filter(pk=amendment_id)
        .values_list("agreement__application_id", flat=True)
        .first()
    )
    if application_id is None:
        raise NotFound(_("变更不存在。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_record(
            "approve_amendment", tier=Tier.MEETING, application=application, actor=actor
        )
        amendment = Amendment.objects.select_for_update().get(pk=amendment_id)
        if amendment.state != Amendment.State.PROPOSED:
            raise TransitionConflict(_("该变更已批准。"))
        agreement = amendment.agreement
        if amendment.new_milestones:
            agreement.milestones.all().delete()
            AgreementMilestone.objects.bulk_create(
                AgreementMilestone(
                    agreement=agreement,
                    position=i,
                    title=m["title"],
                    due_on=datetime.date.fromisoformat(m["due_on"]),
                )
                for i, m in enumerate(
                    sorted(amendment.new_milestones, key=lambda m: m["due_on"]), 1
                )
            )
        amendment.state = Amendment.State.APPROVED
        amendment.approved_by = actor
        amendment.approved_at = timezone.now()
        amendment.save(update_fields=["state", "approved_by", "approved_at"])
        record_step(
            application,
            actor=actor,
            name="approve_amendment",
            tier=Tier.MEETING,
            details={
                "number": amendment.number,
                "summary": amendment.summary,
                "milestones": amendment.new_milestones,
            },
        )
    return amendment
