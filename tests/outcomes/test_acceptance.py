"""Stage 5: the completion acceptance by an expert panel, under the review group's scoring and
conflict rules."""

from decimal import Decimal

import pytest
from django.core import mail

from outcomes import acceptance
from outcomes.acceptance import ACCEPTANCE_RUBRIC
from outcomes.models import AcceptanceReview
from tests.factories import make_user
from workflows import permissions as rights
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import FundingApplication

from .conftest import executing

pytestmark = pytest.mark.django_db


def status(application):
    return FundingApplication.objects.get(pk=application.pk).status


def near_the_end():
    """A request in execution whose implementation period ends in 50 days."""
    return executing(days_ago=950, length=1000)


def request(application, summary="任务全部完成"):
    return acceptance.request_acceptance(
        application_id=application.pk, actor=application.people.applicant, summary=summary
    )


def panel(application, count=None):
    experts = [make_user("group_member") for _ in range(count or application.call.experts_required)]
    acceptance.assign_acceptance_experts(
        application_id=application.pk,
        actor=application.people.lead_officer,
        expert_ids=[e.pk for e in experts],
    )
    return experts


def score(application, expert, value=80):
    acceptance.declare_acceptance_interest(
        application_id=application.pk, actor=expert, conflict=False
    )
    return acceptance.submit_acceptance_scores(
        application_id=application.pk,
        actor=expert,
        scores={c.code: (value, "完成良好") for c in ACCEPTANCE_RUBRIC},
    )


def conclude(application, outcome, **fields):
    return acceptance.record_acceptance_outcome(
        application_id=application.pk,
        actor=application.people.lead_officer,
        outcome=outcome,
        **fields,
    )


@pytest.fixture
def scored():
    application = near_the_end()
    request(application)
    for expert in panel(application):
        score(application, expert)
    return application


def test_the_applicant_requests_acceptance_near_the_end_of_the_period():
    application = near_the_end()

    request(application)

    assert status(application) == "acceptance_review"


def test_acceptance_long_before_the_end_of_the_period_is_refused():
    application = executing()

    with pytest.raises(InvalidInput, match="方可申请验收"):
        request(application)


def test_acceptance_without_a_summary_is_refused():
    with pytest.raises(InvalidInput, match="完成情况总结"):
        request(near_the_end(), summary=" ")


def test_the_lead_department_cannot_request_acceptance_for_the_applicant():
    application = near_the_end()

    with pytest.raises(NotAllowed):
        acceptance.request_acceptance(
            application_id=application.pk, actor=application.people.lead_officer, summary="完成"
        )


def test_a_panel_smaller_than_the_calls_number_of_experts_is_refused():
    application = near_the_end()
    request(application)

    with pytest.raises(InvalidInput, match="至少须有 3 名专家"):
        acceptance.assign_acceptance_experts(
            application_id=application.pk,
            actor=application.people.lead_officer,
            expert_ids=[make_user("group_member").pk],
        )


def test_an_expert_of_the_applicant_organisation_cannot_sit_on_the_panel():
    application = near_the_end()
    request(application)
    own = make_user("group_member", organisation=application.organisation)
    others = [make_user("group_member") for _ in range(application.call.experts_required - 1)]

    with pytest.raises(InvalidInput, match="不能担任该项目的验收专家"):
        acceptance.assign_acceptance_experts(
            application_id=application.pk,
            actor=application.people.lead_officer,
            expert_ids=[own.pk, *[e.pk for e in others]],
        )


def test_an_expert_who_declared_a_conflict_stays_away_from_the_request_for_good():
    application = near_the_end()
    request(application)
    expert = panel(application)[0]

    acceptance.declare_acceptance_interest(
        application_id=application.pk, actor=expert, conflict=True, reason="曾参与该项目"
    )

    assert rights.why_not(application, expert, "group") == "您已就该申请申报利益冲突，须回避。"


def test_an_expert_who_withdrew_cannot_score():
    application = near_the_end()
    request(application)
    expert = panel(application)[0]
    acceptance.declare_acceptance_interest(
        application_id=application.pk, actor=expert, conflict=True, reason="曾参与该项目"
    )

    with pytest.raises(NotAllowed):
        acceptance.submit_acceptance_scores(
            application_id=application.pk,
            actor=expert,
            scores={c.code: (80, "好") for c in ACCEPTANCE_RUBRIC},
        )


def test_an_expert_scores_only_after_declaring():
    application = near_the_end()
    request(application)
    expert = panel(application)[0]

    with pytest.raises(TransitionConflict, match="待申报利益冲突"):
        acceptance.submit_acceptance_scores(
            application_id=application.pk,
            actor=expert,
            scores={c.code: (80, "好") for c in ACCEPTANCE_RUBRIC},
        )


def test_scores_follow_the_review_groups_rules():
    application = near_the_end()
    request(application)
    expert = panel(application)[0]
    acceptance.declare_acceptance_interest(
        application_id=application.pk, actor=expert, conflict=False
    )

    with pytest.raises(InvalidInput, match="分值须为0到100的整数"):
        acceptance.submit_acceptance_scores(
            application_id=application.pk,
            actor=expert,
            scores={c.code: (101, "好") for c in ACCEPTANCE_RUBRIC},
        )


def test_an_experts_scores_are_weighted_by_the_acceptance_rubric():
    application = near_the_end()
    request(application)
    review = score(application, panel(application)[0], value=90)

    assert review.state == AcceptanceReview.State.SCORED
    assert review.weighted == Decimal("90.00")


def test_the_outcome_waits_for_every_experts_scores():
    application = near_the_end()
    request(application)
    panel(application)

    with pytest.raises(TransitionConflict, match="尚未全部评分"):
        conclude(application, "pass")


def test_a_pass_completes_the_project_and_issues_its_document(
    scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conclude(scored, "pass")

    assert status(scored) == "completed"
    assert scored.documents.get(kind="acceptance_outcome").number.startswith("京科配验〔")


def test_a_pass_with_conditions_needs_the_conditions(scored):
    with pytest.raises(InvalidInput, match="整改条件"):
        conclude(scored, "pass_with_conditions")


def test_a_pass_with_conditions_completes_the_project(scored):
    conclude(scored, "pass_with_conditions", conditions="半年内补齐专利授权")

    assert status(scored) == "completed"


def test_a_fail_needs_a_reason(scored):
    with pytest.raises(InvalidInput, match="写明理由"):
        conclude(scored, "fail")


def test_a_fail_asks_the_joint_meeting_for_the_amount_to_recover(
    scored, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conclude(scored, "fail", reason="销售收入远低于任务书目标")

    assert status(scored) == "failed"
    assert any(m.to == [scored.people.secretary.email] for m in mail.outbox)


def test_only_the_lead_department_records_the_outcome(scored):
    with pytest.raises(NotAllowed):
        acceptance.record_acceptance_outcome(
            application_id=scored.pk, actor=scored.people.secretary, outcome="pass"
        )
