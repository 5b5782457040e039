"""The policy in force at the review group (the assessed amount, stored with the
recommendation) and at the joint meeting (approvals drawn on the call's pool)."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from approvals import group_review, meetings
from approvals.meetings import Resolution
from approvals.models import (
    AgendaItem,
    ApprovalSplit,
    GroupRecommendation,
    MatchingPolicyVersion,
    Meeting,
    PolicyVersionInUseError,
    PoolBalance,
)
from approvals.rubric import rubric_for
from tests.approvals.test_policy_store import active_policy
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    assign_experts,
    claim_open_task,
)
from workflows import assignments
from workflows.errors import InvalidInput
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db

ASSESSED = Decimal("6000000.00")  # 20,000,000 national funding × 30 %, see the example policy


@pytest.fixture
def special_project():
    return SpecialProjectFactory(code="ZX01")


@pytest.fixture
def call(special_project):
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(special_project)
    return call


@pytest.fixture
def at_group_decision(call, special_project):
    """An eligible application whose experts have scored, the chair holding the decision."""
    return claim_open_task(
        FundingApplicationFactory(at_group_review=True, call=call, special_project=special_project)
    )


def recommend(application, **kwargs):
    return group_review.record_group_recommendation(
        application_id=application.pk,
        actor=application.people.group_chair,
        decision=kwargs.pop("decision", "recommend"),
        **kwargs,
    )


# --- the review group -----------------------------------------------------------------------


def test_a_recommendation_without_an_amount_takes_the_assessed_amount(at_group_decision):
    active_policy()

    recommendation = recommend(at_group_decision)

    assert recommendation.recommended_amount == ASSESSED


def test_the_assessment_is_stored_with_the_recommendation_naming_the_policy_version_and_hash(
    at_group_decision,
):
    record = active_policy()

    recommendation = recommend(at_group_decision)

    stored = GroupRecommendation.objects.get(pk=recommendation.pk).assessment
    assert stored["policy"] == {
        "name": record.name,
        "version": "t.1",
        "content_hash": record.content_hash,
        "id": record.pk,
    }
    assert stored["amount"] == "6000000.00"
    assert [s["rule_id"] for s in stored["explanation"]][:2] == [
        "registered-in-beijing",
        "national-approval",
    ]


def test_a_recommendation_under_a_policy_keeps_the_experts_mean_score_and_spread(
    call, special_project
):
    application = FundingApplicationFactory(
        state="group_review", call=call, special_project=special_project
    )
    people = application.people
    assign_experts(application)
    values = [70 + 7 * n for n in range(len(people.experts))]
    for expert, value in zip(people.experts, values, strict=True):
        group_review.declare_interest(application_id=application.pk, actor=expert, conflict=False)
        group_review.submit_scores(
            application_id=application.pk,
            actor=expert,
            scores={c.code: (value, "论证充分") for c in rubric_for(call)},
        )
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    active_policy()

    recommendation = recommend(application)

    mean = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (recommendation.weighted_score, recommendation.score_spread) == (
        mean,
        Decimal(values[-1] - values[0]),
    )


def test_a_recommendation_under_a_policy_marks_the_version_used(at_group_decision):
    record = active_policy()

    recommend(at_group_decision)

    assert MatchingPolicyVersion.objects.get(pk=record.pk).is_used


def test_an_amount_below_the_assessed_amount_needs_no_reason(at_group_decision):
    active_policy()

    recommendation = recommend(at_group_decision, amount=Decimal("5000000.00"))

    assert recommendation.recommended_amount == Decimal("5000000.00")


def test_an_amount_above_the_assessed_amount_without_a_reason_is_refused(at_group_decision):
    active_policy()

    with pytest.raises(InvalidInput) as refused:
        recommend(at_group_decision, amount=Decimal("7000000.00"))

    assert "6,000,000.00" in str(refused.value.message)
    assert FundingApplication.objects.get(pk=at_group_decision.pk).status == "group_review"
    assert not GroupRecommendation.objects.exists()


def test_an_amount_above_the_assessed_amount_with_a_reason_is_recorded(at_group_decision):
    active_policy()

    recommendation = recommend(
        at_group_decision, amount=Decimal("7000000.00"), reason="产业带动作用显著，建议适当提高"
    )

    assert recommendation.recommended_amount == Decimal("7000000.00")
    assert recommendation.assessment["amount"] == "6000000.00"


def test_the_stored_assessment_reads_back_as_the_chair_recorded_it(at_group_decision):
    active_policy()

    recorded = recommend(at_group_decision).assessment

    stored = GroupRecommendation.objects.get(application=at_group_decision).assessment
    assert stored == recorded
    assert any("【" in step["text_zh"] for step in stored["explanation"])


def test_an_ineligible_application_cannot_be_recommended_and_the_message_names_each_failure(
    call,
):
    application = claim_open_task(
        FundingApplicationFactory(
            at_group_review=True,
            call=call,
            special_project=SpecialProjectFactory(code="ZX09"),
            organisation__district_id="outside",
        )
    )
    active_policy()

    with pytest.raises(InvalidInput) as refused:
        recommend(application, amount=Decimal("1000000.00"))

    assert "申报单位须在北京市注册" in str(refused.value.message)
    assert "所属重大专项不在本批次支持范围内" in str(refused.value.message)
    assert FundingApplication.objects.get(pk=application.pk).status == "group_review"


def test_an_ineligible_application_can_still_be_rejected(call):
    application = claim_open_task(
        FundingApplicationFactory(
            at_group_review=True, call=call, special_project=SpecialProjectFactory(code="ZX09")
        )
    )
    active_policy()

    recommendation = recommend(application, decision="reject", reason="不属于本批次支持范围")

    assert (recommendation.decision, recommendation.assessment) == ("reject", {})


def test_a_refused_recommendation_leaves_the_version_unused(at_group_decision):
    record = active_policy()

    with pytest.raises(InvalidInput):
        recommend(at_group_decision, amount=Decimal("7000000.00"))

    assert not MatchingPolicyVersion.objects.get(pk=record.pk).is_used


def test_without_a_policy_in_force_a_recommendation_still_needs_an_amount(at_group_decision):
    with pytest.raises(InvalidInput):
        recommend(at_group_decision)


def test_without_a_policy_in_force_a_recommendation_is_recorded_without_an_assessment(
    at_group_decision,
):
    recommendation = recommend(at_group_decision, amount=Decimal("6500000.00"))

    assert (recommendation.recommended_amount, recommendation.assessment) == (
        Decimal("6500000.00"),
        {},
    )


# --- the joint meeting ----------------------------------------------------------------------


def awaiting_meeting(call, special_project, count=2):
    """Applications recommended for 6,000,000 each, before any policy is in force."""
    return [
        FundingApplicationFactory(
            at_meeting_review=True, call=call, special_project=special_project
        )
        for _ in range(count)
    ]


def planned_meeting(applications, scores=None):
    secretary = applications[0].people.secretary
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=applications[0].call_id,
        held_on=timezone.localdate(),
        place="市政府第一会议室",
        chair="副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    for application, score in zip(applications, scores or (), strict=False):
        AgendaItem.objects.filter(meeting=meeting, application=application).update(
            weighted_score=Decimal(score)
        )
    return meeting, secretary


def resolve(meeting, secretary, resolutions):
    return meetings.record_resolutions(
        meeting_id=meeting.pk, actor=secretary, resolutions=resolutions
    )


def approve_all(applications, amount=ASSESSED):
    return [Resolution(a.pk, "approve", amount) for a in applications]


def test_approvals_lower_each_funding_departments_balance(call, special_project):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy()

    resolve(meeting, secretary, approve_all(applications))

    balances = dict(PoolBalance.objects.values_list("department_code", "balance"))
    assert balances == {
        "kw": Decimal("288000000.00"),
        "jxw": Decimal("150000000.00"),
        "fgw": Decimal("100000000.00"),
    }


def test_each_approval_keeps_its_split_by_department_and_form_with_the_policy_version(
    call, special_project
):
    applications = awaiting_meeting(call, special_project, count=1)
    meeting, secretary = planned_meeting(applications)
    record = active_policy()

    resolve(meeting, secretary, approve_all(applications, Decimal("5000000.00")))

    split = ApprovalSplit.objects.get()
    assert (split.application_id, split.amount, split.grant_amount, split.equity_amount) == (
        applications[0].pk,
        Decimal("5000000.00"),
        Decimal("5000000.00"),
        Decimal("0.00"),
    )
    assert [(d["code"], d["amount"]) for d in split.by_department] == [
        ("kw", "5000000.00"),
        ("jxw", "0.00"),
        ("fgw", "0.00"),
    ]
    assert (split.policy, split.policy_version, split.policy_content_hash) == (
        record,
        "t.1",
        record.content_hash,
    )


def test_a_mixed_form_approval_is_split_into_grant_and_equity_by_the_policy(special_project):
    call = FundingCallFactory(total_budget=Decimal("500000000.00"))
    call.special_projects.add(special_project)
    application = FundingApplicationFactory(
        at_meeting_review=True, call=call, special_project=special_project, funding_form="mixed"
    )
    meeting, secretary = planned_meeting([application])
    active_policy()

    resolve(meeting, secretary, approve_all([application], Decimal("5000000.00")))

    split = ApprovalSplit.objects.get()
    assert (split.grant_amount, split.equity_amount) == (
        Decimal("3000000.00"),
        Decimal("2000000.00"),
    )
    assert split.form_rule == {"rule_id": "equity-share", "case": 2, "share": "0.4"}


def test_the_pool_is_drawn_by_score_before_submission_time(call, special_project):
    first_submitted, better_scored = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting([first_submitted, better_scored], scores=(70, 90))
    active_policy(budgets=(7_000_000, 6_000_000, 0))

    resolve(meeting, secretary, approve_all([first_submitted, better_scored]))

    splits = {s.application_id: s for s in ApprovalSplit.objects.all()}
    assert splits[better_scored.pk].draw_position == 1
    assert [d["amount"] for d in splits[better_scored.pk].by_department] == [
        "6000000.00",
        "0.00",
        "0.00",
    ]
    assert [d["amount"] for d in splits[first_submitted.pk].by_department] == [
        "1000000.00",
        "5000000.00",
        "0.00",
    ]


def test_equal_scores_draw_in_the_order_of_submission(call, special_project):
    first_submitted, second_submitted = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting([second_submitted, first_submitted], scores=(80, 80))
    active_policy(budgets=(7_000_000, 6_000_000, 0))

    resolve(meeting, secretary, approve_all([second_submitted, first_submitted]))

    split = ApprovalSplit.objects.get(application=first_submitted)
    assert (split.draw_position, split.by_department[0]["amount"]) == (1, "6000000.00")


def test_an_oversubscribed_pool_refuses_the_batch_naming_the_department_and_its_shortfall(
    call, special_project
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    active_policy(budgets=(7_000_000, 3_000_000, 0))

    with pytest.raises(InvalidInput) as refused:
        resolve(meeting, secretary, approve_all(applications))

    message = str(refused.value.message)
    assert "市发展改革委" in message and "缺口 2,000,000.00 元" in message
    assert "市科委" not in message


def test_an_oversubscribed_pool_records_nothing(call, special_project):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)
    record = active_policy(budgets=(7_000_000, 3_000_000, 0))

    with pytest.raises(InvalidInput):
        resolve(meeting, secretary, approve_all(applications))

    assert set(
        FundingApplication.objects.filter(pk__in=[a.pk for a in applications]).values_list(
            "status", flat=True
        )
    ) == {"meeting_review"}
    assert Meeting.objects.get(pk=meeting.pk).state == "planned"
    assert not PoolBalance.objects.exists() and not ApprovalSplit.objects.exists()
    assert not MatchingPolicyVersion.objects.get(pk=record.pk).is_used


def test_rejections_and_deferrals_draw_nothing_from_the_pool(call, special_project):
    approved, rejected, deferred = awaiting_meeting(call, special_project, count=3)
    meeting, secretary = planned_meeting([approved, rejected, deferred])
    active_policy()

    resolve(
        meeting,
        secretary,
        [
            Resolution(approved.pk, "approve", ASSESSED),
            Resolution(rejected.pk, "reject", reason="资金需求不明确"),
            Resolution(deferred.pk, "defer", reason="待补充材料"),
        ],
    )

    assert list(ApprovalSplit.objects.values_list("application_id", flat=True)) == [approved.pk]
    assert PoolBalance.objects.get(department_code="kw").balance == Decimal("294000000.00")


def test_a_second_meeting_draws_on_what_the_first_left(call, special_project):
    applications = awaiting_meeting(call, special_project)
    active_policy(budgets=(7_000_000, 0, 0))
    first, secretary = planned_meeting(applications[:1])
    AgendaItem.objects.filter(meeting=first).exclude(application=applications[0]).delete()
    resolve(first, secretary, approve_all(applications[:1]))
    second, secretary = planned_meeting(applications[1:])

    with pytest.raises(InvalidInput) as refused:
        resolve(second, secretary, approve_all(applications[1:]))

    assert "缺口 5,000,000.00 元" in str(refused.value.message)


def test_a_meeting_marks_the_policy_version_used(call, special_project):
    applications = awaiting_meeting(call, special_project, count=1)
    meeting, secretary = planned_meeting(applications)
    record = active_policy()

    resolve(meeting, secretary, approve_all(applications))

    assert MatchingPolicyVersion.objects.get(pk=record.pk).is_used


def test_an_approval_split_cannot_be_changed_afterwards(call, special_project):
    applications = awaiting_meeting(call, special_project, count=1)
    meeting, secretary = planned_meeting(applications)
    active_policy()
    resolve(meeting, secretary, approve_all(applications))
    split = ApprovalSplit.objects.get()
    split.equity_amount = Decimal("1.00")

    with pytest.raises(PolicyVersionInUseError):
        split.save()


def test_without_a_policy_in_force_the_meeting_records_its_resolutions_as_before(
    call, special_project
):
    applications = awaiting_meeting(call, special_project)
    meeting, secretary = planned_meeting(applications)

    resolve(meeting, secretary, approve_all(applications))

    assert Meeting.objects.get(pk=meeting.pk).state == "resolved"
    assert not PoolBalance.objects.exists() and not ApprovalSplit.objects.exists()


def test_a_policy_in_force_after_the_call_opened_does_not_govern_its_meeting(call, special_project):
    applications = awaiting_meeting(call, special_project, count=1)
    meeting, secretary = planned_meeting(applications)
    active_policy(start=timezone.localdate() + datetime.timedelta(days=1))

    resolve(meeting, secretary, approve_all(applications))

    assert not ApprovalSplit.objects.exists()
