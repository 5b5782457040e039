"""What the outcome stages add to the application page, through ``workflows.pages``: a card
with the reporting periods and what is due next, the acceptance and the recovery, with links
to their pages for those who act on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.template.loader import render_to_string

from workflows import access
from workflows.models import FundingApplication, Status
from workflows.review_path import Role

from . import selectors
from .recovery import outstanding

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.safestring import SafeString

    from workflows.actors import Actor

# The statuses from which the outcome stages have something to show.
AFTER_EXECUTION = (
    Status.IN_EXECUTION,
    Status.ACCEPTANCE_REVIEW,
    Status.COMPLETED,
    Status.FAILED,
    Status.RECOVERY,
    Status.CLOSED,
)


def outcome_fragments(
    request: HttpRequest, application: FundingApplication, page: str
) -> dict[str, SafeString]:
    if page != "detail" or application.status not in AFTER_EXECUTION:
        return {}
    user = cast("Actor", request.user)
    role = access.role_of(user)
    acceptance = selectors.acceptance_of(application)
    order = selectors.recovery_of(application)
    context = {
        "application": application,
        "lines": selectors.period_lines(application),
        "due_next": selectors.due_next(application),
        "acceptance": acceptance,
        "order": order,
        "outstanding": outstanding(order) if order is not None else None,
        "is_applicant": role == Role.APPLICANT,
        "is_officer": role == Role.LEAD_OFFICER,
    }
    return {
        "summary": render_to_string("outcomes/_summary.html", context, request=request),
    }


def outcome_queue(request: HttpRequest) -> SafeString:
    """The outcome stages' part of the reviewers' queue."""
    items = selectors.work_for(cast("Actor", request.user))
    return render_to_string("outcomes/_queue.html", {"items": items}, request=request)
