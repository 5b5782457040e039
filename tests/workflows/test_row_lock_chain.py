"""A decision reads its application's audit chain in the statement that takes the row lock:
it must be the chain as it stands once the lock is granted, not as it stood when the statement
began waiting for another transaction that held the lock (PostgreSQL reads other tables of a
statement as of its start; ``workflows.0020``). Else the separation of duties would miss what
that other transaction recorded."""

import pytest

from tests.factories import FundingApplicationFactory
from workflows.audit import record_event

from .row_lock import claim_after_waiting


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_that_waited_for_the_row_lock_is_refused_for_what_was_recorded_meanwhile():
    application = FundingApplicationFactory(state="group_review")
    chair = application.people.group_chair

    def act_at_the_lead_tier(locked):
        # The chair acts at the lead tier meanwhile: nobody acts at two tiers of one request.
        record_event(locked, actor=chair, name="receive", tier="lead")

    assert claim_after_waiting(application, chair, act_at_the_lead_tier) == "NotAllowed"
