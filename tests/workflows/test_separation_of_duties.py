"""Separation of duties and conflicts of interest: nobody acts at two tiers of one application,
nobody reviews their own organisation's request, an expert with a declared conflict stays away,
and applicants never learn who the experts are. Every refusal says why (``why_not``) and is kept
for auditors as a ``RefusedAttempt``."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from approvals import group_review, lead_review, meetings, rubric
from tests.factories import (
    CHECKS_PASSED,
    FundingApplicationFactory,
    assign_experts,
    make_user,
    score_by_experts,
)
from workflows import access, assignments, submission
from workflows import permissions as rights
from workflows.errors import NotAllowed
from workflows.models import FundingApplication, Profile, RefusedAttempt

pytestmark = pytest.mark.django_db

ACTED_AT_ANOTHER_TIER = "您已在该申请的其他审核环节办理过，同一人不得在两个环节办理同一申请。"
OWN_ORGANISATION = "您所在单位是该申请的申报单位，须回避。"
CONFLICT_DECLARED = "您已就该申请申报利益冲突，须回避。"

# The state in which each tier has a task to claim, and one with its decision task open.
TO_CLAIM = {"lead": "submitted", "group": "group_review", "meeting": "meeting_review"}
TO_DECIDE = {"lead": "lead_review", "group": "group_review", "meeting": "meeting_review"}
DECIDER_ROLE = {"lead": "lead_officer", "group": "group_chair", "meeting": "meeting_secretary"}


def _claim(application, user):
    assignments.claim_task(application_id=application.pk, actor=user)


def _decide(application, user):
    """The decision that moves the application on from its current tier, through its tier's
    public service (at the meeting: a meeting with the application alone on its agenda)."""
    pk = application.pk
    if application.status == "lead_review":
        lead_review.record_formal_check(
            application_id=pk, actor=user, decision="accept", items=CHECKS_PASSED, reason="同意受理"
        )
    elif application.status == "group_review":
        group_review.record_group_recommendation(
            application_id=pk,
            actor=user,
            decision="recommend",
            amount=Decimal("5000000.00"),
            reason="建议支持",
        )
    else:
        secretary = make_user("meeting_secretary")
        meeting = meetings.create_meeting(
            actor=secretary,
            call_id=application.call_id,
            held_on=timezone.localdate(),
            place="市政府会议室",
            chair="主管副市长",
        )
        meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[pk])
        meetings.record_resolutions(
            meeting_id=meeting.pk,
            actor=user,
            resolutions=[meetings.Resolution(pk, "approve", Decimal("5000000.00"), "审议通过")],
        )


ACTIONS = {"claim": _claim, "decide": _decide}
SERVICE_NAME = {
    ("claim", "lead"): "claim_task",
    ("claim", "group"): "claim_task",
    ("claim", "meeting"): "claim_task",
    ("decide", "lead"): "record_formal_check",
    ("decide", "group"): "record_group_recommendation",
    ("decide", "meeting"): "record_resolutions",
}


def _application(action: str, tier: str) -> FundingApplication:
    if action == "claim":
        return FundingApplicationFactory(state=TO_CLAIM[tier])
    application = FundingApplicationFactory(state=TO_DECIDE[tier])
    if tier == "group":  # the group's decision task opens once the experts have scored
        score_by_experts(application, application.people)
    return application


def _becomes(user, role: str):
    """The user's profile changed to ``role`` after they acted (roles are single per user)."""
    Profile.objects.filter(user=user).update(role=role, department=None)
    return get_user_model().objects.get(pk=user.pk)


def _unchanged(application: FundingApplication) -> bool:
    return FundingApplication.objects.get(pk=application.pk).status == application.status


def _why(message: str) -> str:
    """A refusal's reason, without the agenda item a meeting's refusal begins with
    ("第1项（12）：…")."""
    return message.rsplit("：", 1)[-1]


def _refusals(user):
    return [
        (application_id, action, _why(message))
        for application_id, action, message in RefusedAttempt.objects.filter(
            actor=user
        ).values_list("application_id", "action", "message")
    ]


# --- nobody acts at two tiers of one application ---------------------------------------------

# (who acted earlier on the application, the role they were given afterwards, the later tier)
TWO_TIERS = [
    ("lead_officer", "group"),
    ("lead_officer", "meeting"),
    ("group_chair", "meeting"),
    ("group_member", "meeting"),
]


def _earlier_actor(application, acted_as: str):
    people = application.people
    return {
        "lead_officer": people.lead_officer,
        "group_chair": people.group_chair,
        "group_member": people.experts[0],
    }[acted_as]


@pytest.mark.parametrize("action", ["claim", "decide"])
@pytest.mark.parametrize(("acted_as", "tier"), TWO_TIERS)
def test_a_person_who_acted_at_an_earlier_tier_cannot_act_at_a_later_one(acted_as, tier, action):
    application = _application(action, tier)
    person = _becomes(_earlier_actor(application, acted_as), DECIDER_ROLE[tier])

    with pytest.raises(NotAllowed) as refused:
        ACTIONS[action](application, person)

    assert _why(refused.value.message) == ACTED_AT_ANOTHER_TIER
    assert _unchanged(application)


@pytest.mark.parametrize("action", ["claim", "decide"])
@pytest.mark.parametrize(("acted_as", "tier"), TWO_TIERS)
def test_acting_at_a_second_tier_is_kept_as_a_refused_attempt(acted_as, tier, action):
    application = _application(action, tier)
    person = _becomes(_earlier_actor(application, acted_as), DECIDER_ROLE[tier])

    with pytest.raises(NotAllowed):
        ACTIONS[action](application, person)

    assert _refusals(person) == [
        (application.pk, SERVICE_NAME[action, tier], ACTED_AT_ANOTHER_TIER)
    ]


def test_the_same_reviewer_may_act_again_at_their_own_tier():
    """The rule is about two tiers: the officer who returned a request takes the resubmission."""
    application = FundingApplicationFactory(state="returned_by_lead")
    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )
    officer = application.people.lead_officer
    _claim(application, officer)

    lead_review.record_formal_check(
        application_id=application.pk,
        actor=officer,
        decision="accept",
        items=CHECKS_PASSED,
        reason="已补正",
    )

    assert FundingApplication.objects.get(pk=application.pk).status == "group_review"


# --- nobody reviews their own organisation's request -----------------------------------------


def _insider(application, tier: str):
    """A reviewer of ``tier`` whose profile places them in the applicant organisation."""
    department = application.special_project.lead_department if tier == "lead" else None
    return make_user(
        DECIDER_ROLE[tier], organisation=application.organisation, department=department
    )


@pytest.mark.parametrize("action", ["claim", "decide"])
@pytest.mark.parametrize("tier", ["lead", "group", "meeting"])
def test_a_reviewer_from_the_applicant_organisation_can_neither_claim_nor_decide(tier, action):
    application = _application(action, tier)
    insider = _insider(application, tier)

    with pytest.raises(NotAllowed) as refused:
        ACTIONS[action](application, insider)

    assert _why(refused.value.message) == OWN_ORGANISATION
    assert _unchanged(application)
    assert _refusals(insider) == [(application.pk, SERVICE_NAME[action, tier], OWN_ORGANISATION)]


@pytest.mark.parametrize("tier", ["lead", "group", "meeting"])
def test_a_reviewer_from_the_applicant_organisation_holds_no_right_on_it(tier):
    application = _application("claim", tier)

    assert not rights.acts_at_tier(application, _insider(application, tier), tier)


# --- an expert with a declared conflict stays away -------------------------------------------


@pytest.fixture
def conflicted():
    """The first of three experts declared a conflict of interest on the application."""
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assign_experts(application)
    group_review.declare_interest(
        application_id=application.pk,
        actor=people.experts[0],
        conflict=True,
        reason="与申报单位有合作关系",
    )
    return application


def test_an_expert_with_a_declared_conflict_is_refused_scoring(conflicted):
    expert = conflicted.people.experts[0]
    scores = {c.code: (90, "很好") for c in rubric.rubric_for(conflicted.call)}

    with pytest.raises(NotAllowed) as refused:
        group_review.submit_scores(application_id=conflicted.pk, actor=expert, scores=scores)

    assert refused.value.message == CONFLICT_DECLARED
    assert _refusals(expert) == [(conflicted.pk, "submit_scores", CONFLICT_DECLARED)]


def test_an_expert_with_a_declared_conflict_holds_no_right_at_tier_2(conflicted):
    expert = conflicted.people.experts[0]

    assert rights.why_not(conflicted, expert, "group") == CONFLICT_DECLARED
    assert not rights.is_group_member(conflicted, expert)


def test_an_expert_with_a_declared_conflict_cannot_claim_the_group_decision_as_chair(conflicted):
    """Even if they chair the group later, the conflict keeps them away from this request."""
    people = conflicted.people
    replacement = make_user("group_member")
    group_review.replace_expert(
        application_id=conflicted.pk, actor=people.group_chair, expert_id=replacement.pk
    )
    for expert in [*people.experts[1:], replacement]:
        group_review.declare_interest(application_id=conflicted.pk, actor=expert, conflict=False)
        group_review.submit_scores(
            application_id=conflicted.pk,
            actor=expert,
            scores={c.code: (80, "论证充分") for c in rubric.rubric_for(conflicted.call)},
        )
    chair = _becomes(people.experts[0], "group_chair")

    with pytest.raises(NotAllowed) as refused:
        _claim(conflicted, chair)

    assert refused.value.message == CONFLICT_DECLARED
    assert _refusals(chair) == [(conflicted.pk, "claim_task", CONFLICT_DECLARED)]


# --- applicants never learn who the experts are ----------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("applicant", False),
        ("anonymous", False),
        ("lead_officer", False),
        ("group_member", False),  # experts never see each other
        ("group_chair", True),
        ("meeting_secretary", True),
        ("auditor", True),
        ("administrator", True),
    ],
)
def test_only_the_chair_the_secretariat_and_auditors_see_the_experts_names(who, sees):
    if who == "anonymous":
        user = AnonymousUser()
    else:
        application = FundingApplicationFactory()
        user = (
            application.people.applicant
            if who == "applicant"
            else make_user(who, department=application.special_project.lead_department)
        )

    assert access.sees_expert_identities(user) is sees
