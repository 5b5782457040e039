"""The arrival at their tier of applications written in bulk without history
(``tests.factories.bulk_awaiting``), for read-only tests and benchmarks of the queues: the review
group's chair and the meeting's secretary see only requests that reached their tier, which the
audit trail tells."""

from __future__ import annotations

from django.db import transaction

from workflows.audit import record_transition
from workflows.models import FundingApplication

# The step that brought a request to the status it waits in: (transition, source, tier). A
# request waiting at the lead department needs none (its officers see their department's).
ARRIVAL = {
    "group_review": ("accept_for_review", "lead_review", "lead"),
    "meeting_review": ("recommend", "group_review", "group"),
}


def record_arrival(application_ids: list[int]) -> None:
    """Append to the audit trail, for each application waiting at the group or the meeting, the
    step that brought it there."""
    with transaction.atomic():
        for application in FundingApplication.objects.filter(pk__in=application_ids):
            arrival = ARRIVAL.get(application.status)
            if arrival is not None:
                transition, source, tier = arrival
                record_transition(
                    application, actor=None, name=transition, source=source, tier=tier
                )
