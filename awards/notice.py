"""The public notice (公示) of an approval: opening it, the objections anybody may lodge, the
secretariat's review of them, and the end of the notice, when the approval becomes final and
the 批复 is issued. Each is the one public service of its decision."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.pool import return_reservation
from workflows.errors import InvalidInput, NotFound, TransitionConflict
from workflows.flow_tasks import reopen_meeting_review
from workflows.models import FundingApplication, Status
from workflows.review_path import Tier
from workflows.transitions import ensure_may_take, locked_application, perform, refusals_recorded
from workflows.uploads import checked_content_type

from .calendar import add_working_days
from .models import NoticePeriod, Objection
from .recording import record_step

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from workflows.actors import Actor

IN_NOTICE = (Status.IN_NOTICE, Status.OBJECTION_REVIEW)
OPEN = (Objection.Outcome.RECEIVED, Objection.Outcome.UNDER_REVIEW)


def current_notice(application: FundingApplication) -> NoticePeriod | None:
    """The notice period of the request's latest publication."""
    return application.notice_periods.order_by("-opened_at", "-id").first()


def _notice_of(application: FundingApplication) -> NoticePeriod:
    notice = current_notice(application)
    if notice is None or notice.closed_at is not None:
        raise TransitionConflict(_("该项目不在公示中。"))
    return notice


@refusals_recorded
def open_notice(*, application_id: int, actor: Actor) -> NoticePeriod:
    """The secretariat publishes an approved request: title, organisation and amount, for the
    call's number of working days after today. Refused unless the request is approved."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("open_notice", tier=Tier.MEETING, application=application, actor=actor)
        opened_at = timezone.now()
        ends_on = add_working_days(
            timezone.localdate(opened_at), application.call.notice_working_days
        )
        amount = application.approved_amount or Decimal(0)
        perform(
            "open_notice",
            application_id=application_id,
            actor=actor,
            tier=Tier.MEETING,
            details={"amount": str(amount), "ends_on": ends_on.isoformat()},
            waits_for_task=False,
            locked=application,
        )
        return NoticePeriod.objects.create(
            application=application,
            amount=amount,
            opened_at=opened_at,
            ends_on=ends_on,
            opened_by=actor,
        )


def _receipt_number(notice: NoticePeriod) -> str:
    """Unique, and not guessable from another receipt (it is the objector's only key)."""
    today = timezone.localdate()
    return f"YY{today:%Y%m%d}-{notice.application_id}-{secrets.token_hex(3).upper()}"


def lodge_objection(
    *,
    application_id: int,
    name: str,
    contact: str,
    grounds: str,
    attachment: UploadedFile[bytes] | None = None,
) -> Objection:
    """Anybody lodges an objection to a request in public notice, until the notice's last day;
    they get a receipt number. The objection holds up the final approval until the secretariat
    has resolved it. Refused for missing name, contact or grounds, a file that is not an
    allowed attachment, and a request not (or no longer) in notice."""
    name, contact, grounds = name.strip(), contact.strip(), grounds.strip()
    if not name or not contact or not grounds:
        raise InvalidInput(_("请填写异议人、联系方式和异议事实与理由。"))
    if len(grounds) > 4000:
        raise InvalidInput(_("异议事实与理由不得超过4000字。"))
    content_type = checked_content_type(attachment) if attachment is not None else ""
    with transaction.atomic():
        application = locked_application(application_id)
        if application.status not in IN_NOTICE:
            raise NotFound(_("该项目不在公示中。"))
        notice = _notice_of(application)
        if timezone.localdate() > notice.ends_on:
            raise TransitionConflict(_("公示期已于 %s 结束，不再受理异议。") % notice.ends_on)
        objection = Objection(
            notice=notice,
            receipt_number=_receipt_number(notice),
            name=name[:100],
            contact=contact[:200],
            grounds=grounds,
            attachment_type=content_type,
        )
        if attachment is not None:
            objection.attachment.save(attachment.name or "attachment", attachment, save=False)
        objection.save()
        record_step(
            application,
            actor=None,
            name="lodge_objection",
            tier="",
            details={"receipt_number": objection.receipt_number},
        )
    return objection


@refusals_recorded
def review_objection(*, application_id: int, actor: Actor) -> FundingApplication:
    """The secretariat takes up the objections received: the request leaves the notice for
    their review. Refused when no objection has been received."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("review_objection", tier=Tier.MEETING, application=application, actor=actor)
        notice = _notice_of(application)
        received = notice.objections.filter(status=Objection.Outcome.RECEIVED)
        numbers = list(received.values_list("receipt_number", flat=True))
        if not numbers:
            raise TransitionConflict(_("该项目没有待核查的异议。"))
        perform(
            "review_objection",
            application_id=application_id,
            actor=actor,
            tier=Tier.MEETING,
            details={"objections": numbers},
            waits_for_task=False,
            locked=application,
        )
        received.update(status=Objection.Outcome.UNDER_REVIEW)
    return application


@refusals_recorded
def resolve_objection(
    *, objection_id: int, actor: Actor, upheld: bool, resolution: str
) -> Objection:
    """The secretariat's finding on one objection, with its written grounds. Dismissed: the
    notice goes on (once no other objection is open); upheld: the request goes back to the
    joint meeting, which decides again (its pool draw is returned), and the other open
    objections go with it. Refused without grounds, for an objection already resolved, and
    before the objections have been taken up."""
    resolution = resolution.strip()
    if not resolution:
        raise InvalidInput(_("请填写核查结论。"))
    application_id = (
        Objection.objects.filter(pk=objection_id)
        .values_list("notice__application_id", flat=True)
        .first()
    )
    if application_id is None:
        raise NotFound(_("异议不存在。"))
    transition = "uphold_objection" if upheld else "dismiss_objection"
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take(transition, tier=Tier.MEETING, application=application, actor=actor)
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        if not objection.is_open:
            raise TransitionConflict(_("该异议已办结。"))
        notice = _notice_of(application)
        if objection.notice_id != notice.pk:
            raise TransitionConflict(_("该异议不属于本次公示。"))
        others = notice.objections.filter(status__in=OPEN).exclude(pk=objection.pk)
        now = timezone.now()
        details: dict[str, Any] = {"objection": objection.receipt_number}
        perform(
            transition,
            application_id=application_id,
            actor=actor,
            tier=Tier.MEETING,
            reason=resolution,
            details=details,
            call={} if upheld else {"others_open": others.exists()},
            waits_for_task=False,
            locked=application,
        )
        if upheld:
            others.update(
                status=Objection.Outcome.UPHELD,
                resolution=_("已随受理编号 %s 的异议一并提请联席会议重新审议。")
                % objection.receipt_number,
                resolved_by=actor,
                resolved_at=now,
            )
            notice.closed_at = now
            notice.save(update_fields=["closed_at"])
            return_reservation(application)
            reopen_meeting_review(application)
        objection.status = Objection.Outcome.UPHELD if upheld else Objection.Outcome.DISMISSED
        objection.resolution = resolution
        objection.resolved_by = actor
        objection.resolved_at = now
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    return objection


@refusals_recorded
def finalise(*, application_id: int, actor: Actor) -> FundingApplication:
    """After the notice's last day, with no objection open, the secretariat closes the notice
    and the approval becomes final: the notice's closing and the 批复 are issued, and the lead
    department may draw up the agreement. Refused before the notice has ended and while an
    objection is open."""
    with transaction.atomic():
        application = locked_application(application_id)
        ensure_may_take("finalise", tier=Tier.MEETING, application=application, actor=actor)
        notice = _notice_of(application)
        if timezone.localdate() <= notice.ends_on:
            raise TransitionConflict(
                _("公示期至 %s 结束，结束后方可正式批复。") % notice.ends_on.isoformat()
            )
        if notice.objections.filter(status__in=OPEN).exists():
            raise TransitionConflict(_("尚有未办结的异议，不能正式批复。"))
        dismissed = notice.objections.filter(status=Objection.Outcome.DISMISSED).count()
        perform(
            "finalise",
            application_id=application_id,
            actor=actor,
            tier=Tier.MEETING,
            details={
                "amount": str(application.approved_amount),
                "opened_on": timezone.localdate(notice.opened_at).isoformat(),
                "ends_on": notice.ends_on.isoformat(),
                "objections_dismissed": dismissed,
            },
            waits_for_task=False,
            locked=application,
        )
        notice.closed_at = timezone.now()
        notice.save(update_fields=["closed_at"])
    return application
