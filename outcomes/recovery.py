"""Stage 5, after a failed acceptance or an abandoned project: recovery (追回). The joint
meeting sets the amount to recover (its secretariat records it, never above the approved
amount); the lead department records the repayments and closes the order once it is repaid in
full. A project that passed its acceptance is closed (结项) by the lead department."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import InvalidInput, TransitionConflict
from workflows.models import FundingApplication, Status
from workflows.money import parse_money
from workflows.review_path import Tier
from workflows.transitions import (
    ensure_may_take,
    locked_application,
    perform,
    refusals_recorded,
)

from .models import RecoveryCause, RecoveryOrder, Repayment
from .steps import ensure_acts, record_step

if TYPE_CHECKING:
    from workflows.actors import Actor


def repaid(order: RecoveryOrder) -> Decimal:
    total = order.repayments.aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def outstanding(order: RecoveryOrder) -> Decimal | None:
    """What remains to be repaid; None while the joint meeting has not set the amount."""
    return None if order.amount is None else order.amount - repaid(order)


@refusals_recorded
def abandon_project(*, application_id: int, actor: Actor, reason: str) -> RecoveryOrder:
    """An officer of the lead department records that a project in execution is abandoned
    (终止), with the reason; a recovery order opens and waits for the joint meeting's amount."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("终止项目时必须写明理由。"))
    with transaction.atomic():
        application = locked_application(application_id)
        perform(
            "abandon",
            application_id=application_id,
            actor=actor,
            tier=Tier.LEAD,
            reason=reason,
            call={"reason": reason},
            waits_for_task=False,
            locked=application,
        )
        return RecoveryOrder.objects.create(
            application=application, cause=RecoveryCause.ABANDONED, cause_reason=reason
        )


def _amount(application: FundingApplication, amount: object) -> Decimal:
    value = parse_money(amount)
    approved = application.approved_amount or Decimal(0)
    if value <= 0 or value > approved:
        raise InvalidInput(
            _("追回金额必须大于零且不超过批复配套金额（%(approved)s 元）。")
            % {"approved": f"{approved:,.2f}"}
        )
    return value


@refusals_recorded
def set_recovery_amount(
    *, application_id: int, actor: Actor, amount: Decimal | str, reason: str = ""
) -> RecoveryOrder:
    """The joint meeting's secretariat records the amount the meeting decided to recover, after
    a failed acceptance (which opens the order) or on an abandoned project's open order; the
    recovery order (追回通知) is issued. Refused for anybody else, above the approved amount,
    and once the amount is set."""
    reason = (reason or "").strip()
    with transaction.atomic():
        application = locked_application(application_id)
        if application.status == Status.FAILED:
            ensure_may_take(
                "order_recovery", tier=Tier.MEETING, application=application, actor=actor
            )
            value = _amount(application, amount)
            perform(
                "order_recovery",
                application_id=application_id,
                actor=actor,
                tier=Tier.MEETING,
                reason=reason,
                details={"amount": value, "cause": RecoveryCause.FAILED},
                waits_for_task=False,
                locked=application,
            )
            return RecoveryOrder.objects.create(
                application=application,
                cause=RecoveryCause.FAILED,
                amount=value,
                amount_reason=reason,
                ordered_by=actor,
                ordered_at=timezone.now(),
            )
        ensure_acts(application, actor, Tier.MEETING)
        order = RecoveryOrder.objects.filter(application=application).first()
        if application.status != Status.RECOVERY or order is None:
            raise TransitionConflict(_("该项目没有待确定金额的追回。"))
        if order.amount is not None:
            raise TransitionConflict(_("追回金额已经确定。"))
        order.amount = _amount(application, amount)
        order.amount_reason = reason
        order.ordered_by = actor
        order.ordered_at = timezone.now()
        order.save(update_fields=["amount", "amount_reason", "ordered_by", "ordered_at"])
        record_step(
            application,
            actor=actor,
            name="set_recovery_amount",
            tier=Tier.MEETING,
            reason=reason,
            details={"amount": order.amount, "cause": order.cause},
        )
        return order


def _open_order(application: FundingApplication) -> RecoveryOrder:
    order = RecoveryOrder.objects.filter(application=application).first()
    if application.status != Status.RECOVERY or order is None:
        raise TransitionConflict(_("该项目不在追回中。"))
    if order.amount is None:
        raise TransitionConflict(_("联席会议尚未确定追回金额。"))
    return order


@refusals_recorded
def record_repayment(
    *,
    application_id: int,
    actor: Actor,
    amount: Decimal | str,
    paid_on: datetime.date,
    reference: str = "",
) -> Repayment:
    """An officer of the lead department records money paid back against the recovery order.
    Refused before the amount is set, for nothing or more than remains, and for a date in the
    future."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_acts(application, actor, Tier.LEAD)
        order = _open_order(application)
        value = parse_money(amount)
        remaining = outstanding(order) or Decimal(0)
        if value <= 0 or value > remaining:
            raise InvalidInput(
                _("还款金额必须大于零且不超过未追回金额（%(left)s 元）。")
                % {"left": f"{remaining:,.2f}"}
            )
        if paid_on > timezone.localdate():
            raise InvalidInput(_("到账日期不能晚于今天。"))
        repayment = Repayment.objects.create(
            order=order,
            amount=value,
            paid_on=paid_on,
            reference=(reference or "").strip()[:80],
            recorded_by=actor,
        )
        record_step(
            application,
            actor=actor,
            name="record_repayment",
            tier=Tier.LEAD,
            details={
                "amount": value,
                "paid_on": paid_on,
                "outstanding": remaining - value,
            },
        )
    return repayment


@refusals_recorded
def close_recovery(*, application_id: int, actor: Actor) -> RecoveryOrder:
    """An officer of the lead department closes the project once the recovery order is repaid
    in full; the closing notice is issued. Refused while anything remains to be repaid."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("close_recovery", tier=Tier.LEAD, application=application, actor=actor)
        order = _open_order(application)
        left = outstanding(order)
        if left:
            raise InvalidInput(_("尚有 %(left)s 元未追回，不能结项。") % {"left": f"{left:,.2f}"})
        perform(
            "close_recovery",
            application_id=application_id,
            actor=actor,
            tier=Tier.LEAD,
            details={"amount": order.amount, "repaid": repaid(order)},
            waits_for_task=False,
            locked=application,
        )
        order.closed_at = timezone.now()
        order.save(update_fields=["closed_at"])
    return order


@refusals_recorded
def close_project(*, application_id: int, actor: Actor, reason: str = "") -> FundingApplication:
    """An officer of the lead department closes (结项) a project that passed its acceptance."""
    return perform(
        "close_project",
        application_id=application_id,
        actor=actor,
        tier=Tier.LEAD,
        reason=reason,
        waits_for_task=False,
    )
