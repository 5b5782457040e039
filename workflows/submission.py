"""The applicant's own steps on a request: submitting it, resubmitting it after a return, and
withdrawing it. None of them has a tier's rules; each is one step of the review path through
the transition engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .drafts import snapshot, validate
from .errors import InvalidInput
from .flows import ReviewFlow
from .models import Attachment, AttachmentKind, FundingApplication
from .transitions import perform, refusals_recorded

if TYPE_CHECKING:
    from .actors import Actor


# Written once: the kinds are read on every submission.
_KINDS_OF = (
    f'SELECT "{Attachment._meta.get_field("kind").column}" '  # noqa: S608
    f'FROM "{Attachment._meta.db_table}" '
    f'WHERE "{Attachment._meta.get_field("application").column}" = %s'
)


def missing_attachment_kinds(application: FundingApplication) -> list[AttachmentKind]:
    """The kinds of attachment the request's call requires that it does not have yet."""
    with connection.cursor() as cursor:
        cursor.execute(_KINDS_OF, [application.pk])
        present = {kind for (kind,) in cursor.fetchall()}
    return [
        AttachmentKind(kind)
        for kind in application.call.required_attachment_kinds
        if kind not in present
    ]


def _ready(application: FundingApplication) -> None:
    validate(application, as_stored=True)
    if missing := missing_attachment_kinds(application):
        raise InvalidInput(
            _("以下必须上传的材料尚未上传：%(kinds)s。")
            % {"kinds": pgettext("between items", "、").join(str(k.label) for k in missing)}
        )


@refusals_recorded
def submit_application(*, application_id: int, actor: Actor) -> FundingApplication:
    """The applicant submits a draft inside the call's window; the lead department's queue
    receives it. Refused outside the window, for invalid data, while an attachment the call
    requires is missing (the message lists them), and for other users."""

    def start_review(application: FundingApplication) -> None:
        snapshot(application)
        application.review_process = ReviewFlow.start.run(application=application)

    return perform(
        "submit",
        application_id=application_id,
        actor=actor,
        tier=None,
        call={"at": timezone.now()},
        check=_ready,
        then=start_review,
        also_saves=("review_process",),
        waits_for_task=False,
    )


@refusals_recorded
def resubmit_application(*, application_id: int, actor: Actor) -> FundingApplication:
    """The applicant resubmits a returned request as a new revision; it goes back to the tier
    that returned it. Refused for invalid data, while an attachment the call requires is
    missing, and for other users."""
    return perform(
        "resubmit",
        application_id=application_id,
        actor=actor,
        tier=None,
        check=_ready,
        then=snapshot,
    )


@refusals_recorded
def withdraw_application(*, application_id: int, actor: Actor, reason: str) -> FundingApplication:
    """The applicant withdraws a request before a final decision, saying why (the reason is on
    the audit trail); every open task is closed. Cannot be undone. Refused without a reason,
    after a final decision, and for other users."""

    def has_reason(application: FundingApplication) -> None:
        if not reason.strip():
            raise InvalidInput(_("撤回申请须说明理由。"))

    def close_tasks(application: FundingApplication) -> None:
        if application.review_process_id:
            ReviewFlow.instance.cancel(application.review_process)

    return perform(
        "withdraw",
        application_id=application_id,
        actor=actor,
        tier=None,
        reason=reason.strip(),
        call={"at": timezone.now()},
        check=has_reason,
        then=close_tasks,
        waits_for_task=False,
    )
