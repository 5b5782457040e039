"""The review tiers' pages: each form reaches its service, and each page shows only what its
reader may see."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import group_review, meetings, rubric
from approvals.models import (
    AgendaItem,
    CheckItem,
    CriterionScore,
    ExpertAssignment,
    FormalCheck,
    GroupRecommendation,
    Meeting,
)
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    assign_experts,
    claim_open_task,
    make_user,
)
from workflows import assignments
from workflows.flows import ReviewFlow
from workflows.models import FundingApplication
from workflows.selectors import open_tasks

pytestmark = pytest.mark.django_db

RUBRIC_CODES = ("district_fit", "market_prospects", "feasibility", "highlights")


def _detail(application: FundingApplication) -> str:
    return reverse("application-detail", args=[application.pk])


def _page(client, user, url: str):
    client.force_login(user)
    return client.get(url)


def _status(application: FundingApplication) -> str:
    return FundingApplication.objects.values_list("status", flat=True).get(pk=application.pk)


def _all_passed(decision: str, **overrides: str) -> dict[str, str]:
    data = {"decision": decision, "reason": ""}
    for item in CheckItem:
        data[f"passed_{item.value}"] = "yes"
        data[f"note_{item.value}"] = ""
    data.update(overrides)
    return data


def _scores(value: int = 80, comment: str = "论证充分") -> dict[str, str]:
    data = {}
    for code in RUBRIC_CODES:
        data[f"score_{code}"] = str(value)
        data[f"comment_{code}"] = comment
    return data


def _experts_assigned():
    """An application at tier 2 whose chair has assigned its experts, none declared yet."""
    application = FundingApplicationFactory(state="group_review")
    assign_experts(application)
    return application


def _declared(application, expert):
    group_review.declare_interest(application_id=application.pk, actor=expert, conflict=False)


def _scored_with(application, values: list[int]) -> None:
    """Each expert declares no conflict and scores every criterion with their own value."""
    criteria = rubric.rubric_for(application.call)
    for expert, value in zip(application.people.experts, values, strict=True):
        _declared(application, expert)
        group_review.submit_scores(
            application_id=application.pk,
            actor=expert,
            scores={c.code: (value, "评语") for c in criteria},
        )


def _named(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as itself (user7 is not inside user71)."""
    return re.search(re.escape(name) + r"(?!\d)", text) is not None


# --- tier 1 ---------------------------------------------------------------------------------


def test_lead_officer_holding_the_task_sees_the_formal_check_list(client):
    application = FundingApplicationFactory(state="lead_review")
    response = _page(client, application.people.lead_officer, _detail(application))
    content = response.content.decode()
    assert reverse("approvals:formal-check", args=[application.pk]) in content
    assert all(str(item.label) in content for item in CheckItem)


def test_lead_officer_who_has_not_claimed_sees_no_formal_check_list(client):
    application = FundingApplicationFactory(state="submitted")
    response = _page(client, application.people.lead_officer, _detail(application))
    assert reverse("approvals:formal-check", args=[application.pk]) not in response.content.decode()


def test_formal_check_form_accepts_the_request_for_the_review_group(client):
    application = FundingApplicationFactory(state="lead_review")
    client.force_login(application.people.lead_officer)
    response = client.post(
        reverse("approvals:formal-check", args=[application.pk]), _all_passed("accept")
    )
    assert response.status_code == 302
    assert _status(application) == "group_review"
    assert FormalCheck.objects.get(application=application).decision == "accept"


def test_formal_check_form_returns_the_request_with_a_reason_per_failed_item(client):
    application = FundingApplicationFactory(state="lead_review")
    client.force_login(application.people.lead_officer)
    failed = CheckItem.NATIONAL_APPROVAL_PRESENT.value
    client.post(
        reverse("approvals:formal-check", args=[application.pk]),
        _all_passed(
            "return", **{f"passed_{failed}": "no", f"note_{failed}": "缺国家批复文件扫描件"}
        ),
    )
    assert _status(application) == "returned"
    entry = application.audit_entries.get(transition="return_for_revision")
    assert entry.details["reasons"] == [{"item": failed, "text": "缺国家批复文件扫描件"}]


def test_formal_check_form_asks_for_a_note_on_each_failed_item_of_a_return(client):
    application = FundingApplicationFactory(state="lead_review")
    client.force_login(application.people.lead_officer)
    failed = CheckItem.AMOUNTS_CONSISTENT.value
    response = client.post(
        reverse("approvals:formal-check", args=[application.pk]),
        _all_passed("return", **{f"passed_{failed}": "no"}),
    )
    assert response.status_code == 200
    assert "请说明未通过项需要如何修改" in response.content.decode()
    assert _status(application) == "lead_review"


def test_formal_check_form_shows_the_refusal_to_accept_with_a_failed_item(client):
    application = FundingApplicationFactory(state="lead_review")
    client.force_login(application.people.lead_officer)
    failed = CheckItem.ATTACHMENTS_COMPLETE.value
    response = client.post(
        reverse("approvals:formal-check", args=[application.pk]),
        _all_passed("accept", **{f"passed_{failed}": "no"}),
    )
    assert "形式审查有未通过的项目，不能受理" in response.content.decode()
    assert _status(application) == "lead_review"
    assert not FormalCheck.objects.filter(application=application).exists()


# --- tier 2: the chair assigns experts -------------------------------------------------------


def test_chair_holding_the_assignment_task_is_offered_only_eligible_experts(client):
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    from_the_applicant = make_user("group_member", organisation=application.organisation)
    response = _page(client, people.group_chair, _detail(application))
    form = response.context["review"]["experts_form"]
    offered = set(form.fields["experts"].queryset)
    assert set(people.experts) <= offered
    assert from_the_applicant not in offered
    assert people.group_chair not in offered


def test_assign_experts_form_opens_one_scoring_task_per_expert(client):
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    client.force_login(people.group_chair)
    response = client.post(
        reverse("approvals:assign-experts", args=[application.pk]),
        {"experts": [e.pk for e in people.experts]},
    )
    assert response.status_code == 302
    scoring = open_tasks(application, "score")
    assert {t.owner_id for t in scoring} == {e.pk for e in people.experts}


def test_assign_experts_form_shows_the_refusal_for_too_few_experts(client):
    application = FundingApplicationFactory(state="group_review")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    client.force_login(people.group_chair)
    response = client.post(
        reverse("approvals:assign-experts", args=[application.pk]),
        {"experts": [people.experts[0].pk]},
    )
    assert "至少须指派" in response.content.decode()
    assert not ExpertAssignment.objects.filter(application=application).exists()


# --- tier 2: the expert ----------------------------------------------------------------------


def test_expert_who_has_not_declared_sees_only_the_declaration_form(client):
    application = _experts_assigned()
    response = _page(client, application.people.experts[0], _detail(application))
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("approvals:declaration", args=[application.pk]) in content
    assert application.title not in content
    assert application.national_task_code not in content
    assert "8,000,000" not in content and "8000000" not in content
    assert "20,000,000" not in content


def test_group_member_who_was_not_assigned_cannot_open_the_application(client):
    application = _experts_assigned()
    response = _page(client, make_user("group_member"), _detail(application))
    assert response.status_code == 404
    assert application.title not in response.content.decode()


def test_declaring_no_conflict_opens_the_scoring_form(client):
    application = _experts_assigned()
    expert = application.people.experts[0]
    client.force_login(expert)
    client.post(reverse("approvals:declaration", args=[application.pk]), {"conflict": "no"})
    assignment = ExpertAssignment.objects.get(application=application, expert=expert)
    assert assignment.state == ExpertAssignment.State.DECLARED
    content = client.get(_detail(application)).content.decode()
    assert application.title in content
    assert reverse("approvals:scores", args=[application.pk]) in content


def test_declaring_a_conflict_takes_the_expert_off_the_application(client):
    application = _experts_assigned()
    expert = application.people.experts[0]
    client.force_login(expert)
    client.post(
        reverse("approvals:declaration", args=[application.pk]),
        {"conflict": "yes", "reason": "曾在申报单位兼职"},
    )
    assignment = ExpertAssignment.objects.get(application=application, expert=expert)
    assert assignment.state == ExpertAssignment.State.CONFLICT
    response = client.get(_detail(application))
    assert response.status_code == 404
    assert application.title not in response.content.decode()


def test_declaring_a_conflict_without_saying_what_it_is_is_refused(client):
    application = _experts_assigned()
    expert = application.people.experts[0]
    client.force_login(expert)
    response = client.post(
        reverse("approvals:declaration", args=[application.pk]), {"conflict": "yes"}
    )
    assert "请说明利益冲突的情形" in response.content.decode()
    assert application.title not in response.content.decode()
    assert ExpertAssignment.objects.get(application=application, expert=expert).state == "assigned"


def test_scoring_form_records_a_score_and_comment_per_criterion(client):
    application = _experts_assigned()
    expert = application.people.experts[0]
    _declared(application, expert)
    client.force_login(expert)
    response = client.post(reverse("approvals:scores", args=[application.pk]), _scores(77))
    assert response.status_code == 302
    recorded = CriterionScore.objects.filter(assignment__expert=expert)
    assert sorted(recorded.values_list("criterion_code", flat=True)) == sorted(RUBRIC_CODES)
    assert set(recorded.values_list("value", flat=True)) == {77}


def test_scoring_form_refuses_a_score_above_100_and_records_nothing(client):
    application = _experts_assigned()
    expert = application.people.experts[0]
    _declared(application, expert)
    client.force_login(expert)
    response = client.post(reverse("approvals:scores", args=[application.pk]), _scores(101))
    assert response.status_code == 200
    assert not CriterionScore.objects.filter(assignment__expert=expert).exists()


def test_expert_cannot_score_before_declaring(client):
    application = _experts_assigned()
    client.force_login(application.people.experts[0])
    response = client.post(reverse("approvals:scores", args=[application.pk]), _scores())
    # Before declaring, the expert may see only the declaration: the request is not found.
    assert response.status_code == 404
    assert not CriterionScore.objects.exists()


# --- tier 2: the chair's summary, replacements and recommendation ----------------------------


def test_chair_replaces_an_expert_who_declared_a_conflict(client):
    application = _experts_assigned()
    people = application.people
    group_review.declare_interest(
        application_id=application.pk, actor=people.experts[0], conflict=True, reason="亲属任职"
    )
    newcomer = make_user("group_member")
    page = _page(client, people.group_chair, _detail(application))
    assert newcomer in set(page.context["review"]["replace_form"].fields["expert"].queryset)
    client.post(reverse("approvals:replace-expert", args=[application.pk]), {"expert": newcomer.pk})
    assert any(t.owner_id == newcomer.pk for t in open_tasks(application, "score"))
    assert ExpertAssignment.objects.filter(application=application, expert=newcomer).exists()


def test_chair_sees_each_experts_name_and_weighted_total(client):
    application = _experts_assigned()
    _scored_with(application, [61, 73, 97])
    content = _page(client, application.people.group_chair, _detail(application)).content
    content = content.decode()
    for expert, total in zip(application.people.experts, ("61.00", "73.00", "97.00"), strict=True):
        assert expert.get_full_name() in content
        assert total in content
    assert "77.00" in content  # the weighted mean
    assert "36.00" in content  # the spread


def test_recommendation_form_sends_the_request_to_the_joint_meeting(client):
    application = claim_open_task(FundingApplicationFactory(state="group_review"))
    client.force_login(application.people.group_chair)
    response = client.post(
        reverse("approvals:recommendation", args=[application.pk]),
        {"decision": "recommend", "amount": "5000000", "reason": "建议支持"},
    )
    assert response.status_code == 302
    assert _status(application) == "meeting_review"
    recommendation = GroupRecommendation.objects.get(application=application)
    assert recommendation.recommended_amount == Decimal("5000000.00")


def test_recommendation_form_refuses_an_amount_above_the_request(client):
    application = claim_open_task(FundingApplicationFactory(state="group_review"))
    client.force_login(application.people.group_chair)
    response = client.post(
        reverse("approvals:recommendation", args=[application.pk]),
        {"decision": "recommend", "amount": "9000000", "reason": "建议支持"},
    )
    assert "建议金额必须大于零且不超过申请配套金额" in response.content.decode()
    assert _status(application) == "group_review"


def test_recommendation_form_returns_the_request_to_the_applicant(client):
    application = claim_open_task(FundingApplicationFactory(state="group_review"))
    client.force_login(application.people.group_chair)
    client.post(
        reverse("approvals:recommendation", args=[application.pk]),
        {"decision": "return", "reason": "请补充市场分析"},
    )
    assert _status(application) == "returned"


# --- what applicants never see --------------------------------------------------------------


def test_applicants_page_never_names_experts_or_shows_their_scores(client):
    application = _experts_assigned()
    _scored_with(application, [61, 73, 97])
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.record_group_recommendation(
        application_id=application.pk,
        actor=people.group_chair,
        decision="recommend",
        amount=Decimal("6000000"),
        reason="建议支持",
    )
    content = _page(client, people.applicant, _detail(application)).content.decode()
    for expert in people.experts:
        assert not _named(content, expert.username)
        assert not _named(content, expert.get_full_name())
    for total in ("61.00", "73.00", "97.00"):
        assert total not in content
    assert "declare_no_conflict" not in content
    assert "审核工作小组" in content


def test_applicant_does_not_see_which_expert_holds_a_scoring_task(client):
    application = _experts_assigned()
    people = application.people
    content = _page(client, people.applicant, _detail(application)).content.decode()
    for expert in people.experts:
        assert not _named(content, expert.username)
        assert not _named(content, expert.get_full_name())


# --- tier 3: the joint meeting ---------------------------------------------------------------


def _meeting_with(call, *, count: int = 2):
    secretary = make_user("meeting_secretary")
    applications = [
        FundingApplicationFactory(call=call, state="meeting_review") for _ in range(count)
    ]
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=timezone.localdate(),
        place="市政府",
        chair="市领导",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    return meeting, secretary, applications


def _resolutions(applications, decision: str, amount: str = "") -> dict[str, str]:
    data = {"confirm": "on"}
    for a in applications:
        data[f"decision_{a.pk}"] = decision
        data[f"amount_{a.pk}"] = amount
        data[f"reason_{a.pk}"] = "会议审议"
    return data


def test_secretary_creates_a_meeting_from_the_meetings_page(client):
    call = FundingCallFactory()
    client.force_login(make_user("meeting_secretary"))
    response = client.post(
        reverse("approvals:meetings"),
        {"call": call.pk, "held_on": "2026-12-10", "place": "市政府第一会议室", "chair": "副市长"},
    )
    meeting = Meeting.objects.get()
    assert response.url == reverse("approvals:meeting", args=[meeting.pk])
    assert (meeting.place, meeting.chair) == ("市政府第一会议室", "副市长")


def test_only_the_secretariat_opens_the_meetings_page(client):
    response = _page(client, make_user("group_chair"), reverse("approvals:meetings"))
    assert response.status_code == 403


def test_home_page_links_the_secretary_to_the_meetings(client):
    content = _page(client, make_user("meeting_secretary"), reverse("home")).content.decode()
    assert reverse("approvals:meetings") in content


def test_build_agenda_button_puts_the_waiting_requests_on_the_agenda(client):
    call = FundingCallFactory()
    application = FundingApplicationFactory(call=call, state="meeting_review")
    secretary = make_user("meeting_secretary")
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=timezone.localdate(),
        place="市政府",
        chair="市领导",
    )
    client.force_login(secretary)
    client.post(reverse("approvals:build-agenda", args=[meeting.pk]))
    assert list(meeting.items.values_list("application_id", flat=True)) == [application.pk]


def test_meeting_page_shows_the_agenda_with_running_total_and_remaining_budget(client):
    call = FundingCallFactory(total_budget=Decimal("20000000"))
    meeting, secretary, applications = _meeting_with(call)
    content = _page(client, secretary, reverse("approvals:meeting", args=[meeting.pk]))
    content = content.content.decode()
    assert all(a.organisation.name in content for a in applications)
    running_and_left = re.findall(r"([¥\d,.]+)<br><span[^>]*>([¥\d,.-]+)</span>", content)
    assert running_and_left == [
        ("¥6,000,000.00", "¥14,000,000.00"),
        ("¥12,000,000.00", "¥8,000,000.00"),
    ]


def test_batch_resolutions_approve_every_item_at_once(client):
    call = FundingCallFactory(total_budget=Decimal("20000000"))
    meeting, secretary, applications = _meeting_with(call)
    client.force_login(secretary)
    response = client.post(
        reverse("approvals:meeting", args=[meeting.pk]),
        _resolutions(applications, "approve", "5000000"),
    )
    assert response.status_code == 302
    assert [_status(a) for a in applications] == ["approved", "approved"]
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.RESOLVED


def test_batch_form_with_a_budget_overrun_shows_the_overrun_and_records_nothing(client):
    call = FundingCallFactory(total_budget=Decimal("10000000"))
    meeting, secretary, applications = _meeting_with(call)
    client.force_login(secretary)
    response = client.post(
        reverse("approvals:meeting", args=[meeting.pk]),
        _resolutions(applications, "approve", "6000000"),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "超出本批次剩余预算" in content
    assert "超出 2,000,000.00 元" in content
    assert [_status(a) for a in applications] == ["meeting_review", "meeting_review"]
    assert not AgendaItem.objects.exclude(resolution="").exists()
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.PLANNED


# --- queues ---------------------------------------------------------------------------------


def _lead_queue(count: int, special_project, officer) -> list[FundingApplication]:
    """``count`` requests waiting for the officer's department: one claimed by the officer and
    one overdue, the rest new."""
    applications = [
        FundingApplicationFactory(special_project=special_project, state="submitted")
        for _ in range(count)
    ]
    assignments.claim_task(application_id=applications[0].pk, actor=officer)
    long_ago = timezone.now() - datetime.timedelta(days=applications[1].call.lead_days + 1)
    ReviewFlow.task_class.objects.filter(process_id=applications[1].review_process_id).update(
        created=long_ago
    )
    return applications


def test_queue_page_counts_new_claimed_and_overdue_tasks(client):
    special_project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=special_project.lead_department)
    _lead_queue(4, special_project, officer)
    response = _page(client, officer, reverse("approvals:queue"))
    summary = response.context["summary"]
    assert (summary.new, summary.mine, summary.overdue) == (3, 1, 1)
    assert "逾期" in response.content.decode()


def test_queue_page_leaves_out_another_departments_tasks(client):
    special_project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=special_project.lead_department)
    FundingApplicationFactory(state="submitted")
    response = _page(client, officer, reverse("approvals:queue"))
    assert response.context["summary"].tasks == []


def test_queue_page_runs_as_many_queries_for_40_applications_as_for_10(client):
    special_project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=special_project.lead_department)
    client.force_login(officer)
    _lead_queue(10, special_project, officer)
    with CaptureQueriesContext(connection) as ten:
        assert len(client.get(reverse("approvals:queue")).context["summary"].tasks) == 10
    _lead_queue(30, special_project, officer)
    with CaptureQueriesContext(connection) as forty:
        assert len(client.get(reverse("approvals:queue")).context["summary"].tasks) == 40
    assert len(forty) == len(ten)


def test_experts_queue_shows_their_scoring_task_without_the_title(client):
    application = _experts_assigned()
    response = _page(client, application.people.experts[0], reverse("approvals:queue"))
    assert response.context["summary"].mine == 1
    assert application.title not in response.content.decode()


def test_chairs_queue_lists_a_scoring_task_waiting_for_another_expert(client):
    application = _experts_assigned()
    people = application.people
    group_review.declare_interest(
        application_id=application.pk, actor=people.experts[0], conflict=True, reason="亲属任职"
    )
    response = _page(client, people.group_chair, reverse("approvals:queue"))
    waiting = [t for t in response.context["summary"].tasks if t.flow_task.name == "score"]
    assert [t.process_id for t in waiting] == [application.review_process_id]
    assert "待改派" in response.content.decode()
