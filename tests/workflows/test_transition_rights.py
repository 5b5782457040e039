"""Who may perform each transition: the rightful role succeeds, every other role is refused."""

import pytest

from tests.factories import ACTOR_KINDS, FundingApplicationFactory, actor
from workflows import assignments
from workflows.errors import NotAllowed
from workflows.models import AuditEntry

from .cases import CLAIMS, TRANSITIONS, Snapshot, TransitionCase, holder

# The task a reviewer claims in each status.
CLAIMED_TASK = {
    "group_review": "assign_experts",
    "meeting_review": "meeting_review",
    "deferred": "meeting_review",
    "lead_review": "lead_review",
}

pytestmark = pytest.mark.django_db


def _others(cases: list[TransitionCase]) -> list:
    return [
        pytest.param(case, kind, id=f"{case.id}-by-{kind}")
        for case in cases
        for kind in ACTOR_KINDS
        if kind != case.rightful and kind not in case.also_entitled
    ]


@pytest.mark.parametrize("case", TRANSITIONS, ids=lambda c: c.id)
def test_the_rightful_role_performs_the_transition(case):
    application = case.prepare()

    case.perform(application, actor(case.rightful, application))

    application.refresh_from_db()
    assert application.status == case.target


@pytest.mark.parametrize("case", TRANSITIONS, ids=lambda c: c.id)
def test_the_rightful_role_appends_exactly_one_audit_entry(case):
    application = case.prepare()
    before = AuditEntry.objects.filter(application=application).count()

    case.perform(application, actor(case.rightful, application))

    assert AuditEntry.objects.filter(application=application).count() == before + 1


@pytest.mark.parametrize(("case", "kind"), _others(TRANSITIONS))
def test_every_other_role_is_refused_the_transition(case, kind):
    application = case.prepare()
    user = actor(kind, application)
    before = Snapshot.of(application)

    with pytest.raises(NotAllowed):
        case.perform(application, user)

    assert Snapshot.of(application) == before


@pytest.mark.parametrize("case", CLAIMS, ids=lambda c: c.id)
def test_the_rightful_reviewer_claims_the_open_task(case):
    application = case.prepare()
    reviewer = actor(case.rightful, application)

    case.perform(application, reviewer)

    application.refresh_from_db()
    assert holder(application, CLAIMED_TASK[case.target]) == reviewer
    assert application.status == case.target


@pytest.mark.parametrize(("case", "kind"), _others(CLAIMS))
def test_every_other_role_is_refused_the_claim(case, kind):
    application = case.prepare()
    user = actor(kind, application)
    before = Snapshot.of(application)

    with pytest.raises(NotAllowed):
        case.perform(application, user)

    assert Snapshot.of(application) == before
    assert holder(application, CLAIMED_TASK[case.target]) is None


@pytest.mark.parametrize("kind", [k for k in ACTOR_KINDS if k != "lead_officer"])
def test_only_the_lead_department_may_claim_a_released_lead_review_task(kind):
    application = FundingApplicationFactory(state="lead_review")
    assignments.release_task(application_id=application.pk, actor=application.people.lead_officer)
    user = actor(kind, application)

    with pytest.raises(NotAllowed):
        assignments.claim_task(application_id=application.pk, actor=user)

    assert holder(application, "lead_review") is None
