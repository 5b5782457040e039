"""Tier 1: the lead department's formal check, the one way it accepts a request for review,
returns it or rejects it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.errors import InvalidInput
from workflows.models import FundingApplication
from workflows.review_path import Tier
from workflows.transitions import (
    ensure_may_take,
    locked_application,
    perform,
    refusals_recorded,
    written_reasons,
)

from .models import CheckItem, FormalCheck

if TYPE_CHECKING:
    from workflows.actors import Actor

DECISIONS = {"accept": "accept_for_review", "return": "return_for_revision", "reject": "reject"}


@refusals_recorded
def record_formal_check(
    *,
    application_id: int,
    actor: Actor,
    decision: str,
    items: dict[str, dict[str, Any]],
    reason: str = "",
) -> FundingApplication:
    """The lead-department officer holding the request records the formal check list with
    their decision: accept for review, return (the failed items become the structured reasons,
    each with its note), or reject. The check list is stored with the decision, in the same
    transaction. Refused unless every item of the list is decided, for an unknown item or
    decision, when accepting with a failed item, and when returning with none failed and no
    reason."""
    transition = DECISIONS.get(decision)
    if transition is None:
        raise InvalidInput(_("未知的决定。"))
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take(transition, tier=Tier.LEAD, application=application, actor=actor)
        text, details = _check_list(decision, items, reason)
        call: dict[str, Any] = {}
        if transition == "return_for_revision":
            call = {"reason": text}
        elif transition == "reject":
            call = {"reason": text, "at": timezone.now()}
        check = FormalCheck(
            application=application,
            revision=application.revision,
            officer=actor,
            items=items,
            decision=decision,
        )
        perform(
            transition,
            application_id=application_id,
            actor=actor,
            tier=Tier.LEAD,
            reason=text,
            details=details,
            call=call,
            locked=application,
            records=(check,),
        )
    return application


def _check_list(
    decision: str, items: dict[str, dict[str, Any]], reason: str
) -> tuple[str, dict[str, Any]]:
    """The written reason and structured reasons of a formal check, or InvalidInput."""
    unknown = set(items) - set(CheckItem.values)
    if unknown:
        raise InvalidInput(_("未知的审查项：%s") % ", ".join(sorted(unknown)))
    undecided = [
        str(CheckItem(k).label)
        for k in CheckItem.values
        if k not in items or items[k].get("passed") is None
    ]
    if undecided:
        raise InvalidInput(_("请逐项作出审查结论：%s") % "、".join(undecided))
    failed = [
        {"item": k, "text": (v.get("note") or str(CheckItem(k).label)).strip()}
        for k, v in items.items()
        if not v.get("passed")
    ]
    if decision == "accept" and failed:
        raise InvalidInput(_("形式审查有未通过的项目，不能受理。"))
    if decision == "return" and not failed and not reason.strip():
        raise InvalidInput(_("退回修改时须列明未通过的审查项或填写理由。"))
    return written_reasons(reason, failed if decision != "accept" else None)
