"""The applicant's own steps on a request: submitting it, resubmitting it after a return, and
withdrawing it. None of them has a tier's rules; each is one step of the review path through
the transition engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from .drafts import snapshot, validate
from .errors import InvalidInput
from .flows import ReviewFlow
from .models import FundingApplication
from .transitions import perform, refusals_recorded

if TYPE_CHECKING:
    from .actors import Actor


@refusals_recorded
def submit_application(*, application_id: int, actor: Actor) -> FundingApplication:
    """The applicant submits a draft inside the call's window; the lead department's queue
    receives it. Refused outside the window, for invalid data, and for other users."""

    def start_review(application: FundingApplication) -> None:
        snapshot(application)
        application.review_process = ReviewFlow.start.run(application=application)
        application.save(update_fields=["review_process"])

    return perform(
        "submit",
        application_id=application_id,
        actor=actor,
        tier=None,
        call={"at": timezone.now()},
        check=lambda application: validate(application, as_stored=True),
        then=start_review,
        waits_for_task=False,
    )


@refusals_recorded
def resubmit_application(*, application_id: int, actor: Actor) -> FundingApplication:
    """The applicant resubmits a returned request as a new revision; it goes back to the tier
    that returned it. Refused for invalid data and for other users."""
    return perform(
        "resubmit",
        application_id=application_id,
        actor=actor,
        tier=None,
        check=lambda application: validate(application, as_stored=True),
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
