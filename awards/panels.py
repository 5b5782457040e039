"""What the stages after the approval add to the application pages, through
``workflows.pages``: the life of the request after its approval as one timeline, what is due
next, and the links to the notice, agreement and equity pages for those who may use them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows import access
from workflows.models import FundingApplication, Status
from workflows.review_path import AWARDED, Role

from .models import EquityHolding, FundingAgreement, NoticePeriod, Objection

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

    from workflows.actors import Viewer

DONE, DUE, LATER = "done", "due", "later"


@dataclass(frozen=True)
class TimelineStep:
    label: str
    state: str
    at: datetime.date | datetime.datetime | None = None
    note: str = ""


def timeline(application: FundingApplication) -> tuple[list[TimelineStep], str]:
    """The request's life after its approval, and what is due next ('' when nothing is)."""
    steps: list[TimelineStep] = []
    if application.decided_at is not None and application.approved_amount is not None:
        steps.append(
            TimelineStep(
                _("市联席会议批准"),
                DONE,
                application.decided_at,
                f"{application.approved_amount:,.2f}",
            )
        )
    for period in NoticePeriod.objects.filter(application=application).order_by("opened_at"):
        objections = list(period.objections.all())
        upheld = sum(o.status == Objection.Outcome.UPHELD for o in objections)
        note = _("收到异议 %(n)d 件，成立 %(u)d 件") % {"n": len(objections), "u": upheld}
        steps.append(
            TimelineStep(
                _("公示（至 %s）") % period.ends_on.isoformat(),
                DONE if period.closed_at else DUE,
                period.opened_at,
                note if objections else _("未收到异议"),
            )
        )
    agreement = FundingAgreement.objects.filter(application=application).first()
    if application.status in (Status.FINAL, Status.IN_EXECUTION) or agreement is not None:
        steps.append(TimelineStep(_("正式批复"), DONE))
    if agreement is not None:
        steps.append(TimelineStep(_("起草资金协议"), DONE, agreement.drafted_at))
        steps.append(
            TimelineStep(
                _("申报单位确认协议"),
                DONE if agreement.applicant_confirmed_at else DUE,
                agreement.applicant_confirmed_at,
            )
        )
        steps.append(
            TimelineStep(
                _("签订资金协议"), DONE if agreement.signed else LATER, agreement.signed_at
            )
        )
        steps.extend(
            TimelineStep(
                _("第 %(n)d 批拨付 %(amount)s 元")
                % {"n": t.position, "amount": f"{t.amount:,.2f}"},
                DONE if t.released_at else LATER,
                t.released_at,
                str(t.get_condition_display()),
            )
            for t in agreement.tranches.all()
        )
        steps.extend(
            TimelineStep(m.title, DONE if m.due_on < timezone.localdate() else LATER, m.due_on)
            for m in agreement.milestones.all()
        )
    holding = EquityHolding.objects.filter(application=application).first()
    if holding is not None:
        steps.append(TimelineStep(_("股权投资"), DONE, holding.invested_on, holding.investing_body))
        if holding.exit_kind:
            steps.append(
                TimelineStep(
                    _("股权退出"), DONE, holding.exited_on, str(holding.get_exit_kind_display())
                )
            )
    return steps, _next_due(application, agreement)


def _next_due(application: FundingApplication, agreement: FundingAgreement | None) -> str:
    status = application.status
    if status == Status.APPROVED:
        return _("市联席会议办公室开始公示")
    if status == Status.IN_NOTICE:
        return _("公示期满后正式批复")
    if status == Status.OBJECTION_REVIEW:
        return _("市联席会议办公室核查异议")
    if status == Status.FINAL:
        if agreement is None:
            return _("牵头部门起草资金协议")
        if agreement.applicant_confirmed_at is None:
            return _("申报单位确认资金协议")
        return _("牵头部门签订资金协议")
    if status == Status.IN_EXECUTION and agreement is not None:
        waiting = agreement.tranches.filter(released_at__isnull=True).order_by("position").first()
        if waiting is not None:
            return _("第 %(n)d 批拨付（%(condition)s）") % {
                "n": waiting.position,
                "condition": waiting.get_condition_display(),
            }
    return ""


def _links(user: Viewer, application: FundingApplication) -> dict[str, bool]:
    role = access.role_of(user)
    return {
        "notice": access.may_read_objections(user),
        "agreement": application.status in (Status.FINAL, Status.IN_EXECUTION)
        or FundingAgreement.objects.filter(application=application).exists(),
        "equity": role in (Role.LEAD_OFFICER, *access.STAFF_READERS)
        and application.status == Status.IN_EXECUTION,
    }


def application_fragments(
    request: HttpRequest, application: FundingApplication, page: str
) -> dict[str, SafeString]:
    """The panel after the approval on the application page, once the request is approved
    (or was, and is back at the joint meeting after an upheld objection)."""
    if page != "detail" or not (
        application.status in AWARDED
        or NoticePeriod.objects.filter(application=application).exists()
    ):
        return {}
    steps, next_due = timeline(application)
    context = {
        "application": application,
        "timeline": steps,
        "next_due": next_due,
        "links": _links(request.user, application),
    }
    return {"summary": render_to_string("awards/panel.html", context, request=request)}
