"""The one access policy: who sees which request, and what of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals import group_review
from tests.approvals.test_policy_store import active_policy
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    SpecialProjectFactory,
    make_user,
    perform,
)
from workflows import access, assignments, submission
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db


def _assigned(application: FundingApplication, expert) -> None:
    """The chair asks ``expert`` (and two more) to score the application's current revision."""
    people = application.people
    chair = people.group_chair
    assignments.claim_task(application_id=application.pk, actor=chair)
    others = [make_user("group_member") for _ in range(application.call.experts_required - 1)]
    group_review.assign_experts(
        application_id=application.pk, actor=chair, expert_ids=[expert.pk, *(o.pk for o in others)]
    )
    people.others = others


def _conflicted_on_second_revision() -> tuple[FundingApplication, object]:
    """An expert who declared no conflict on revision 1 and a conflict on revision 2."""
    application = FundingApplicationFactory(at_group_review=True)
    people = application.people
    expert = people.experts[0]
    perform("claim_group", application, people)  # the experts (``expert`` among them) score
    group_review.record_group_recommendation(
        application_id=application.pk, actor=people.group_chair, decision="return", reason="补充"
    )
    submission.resubmit_application(application_id=application.pk, actor=people.applicant)
    application.refresh_from_db()
    application.people = people
    _assigned(application, expert)
    group_review.declare_interest(
        application_id=application.pk, actor=expert, conflict=True, reason="曾参与前期研究"
    )
    return application, expert


def test_an_expert_who_declared_a_conflict_on_a_later_revision_cannot_open_the_edit_page(client):
    application, expert = _conflicted_on_second_revision()
    client.force_login(expert)

    response = client.get(reverse("application-edit", args=[application.pk]))

    assert response.status_code == 404


def test_an_expert_who_declared_a_conflict_on_a_later_revision_cannot_download_the_documents(
    client,
):
    application, expert = _conflicted_on_second_revision()
    client.force_login(expert)
    documents = list(application.documents.values_list("pk", flat=True))

    statuses = {client.get(reverse("document-download", args=[pk])).status_code for pk in documents}

    assert documents and statuses == {404}


def test_an_expert_who_declared_a_conflict_on_any_revision_sees_nothing_of_the_request():
    application, expert = _conflicted_on_second_revision()

    assert not access.may_view(expert, application)
    assert not access.applications_for(expert).filter(pk=application.pk).exists()


def test_an_expert_who_has_not_declared_sees_neither_title_nor_code_on_the_home_page(client):
    application = FundingApplicationFactory(at_group_review=True)
    expert = application.people.experts[0]
    _assigned(application, expert)
    client.force_login(expert)

    page = client.get(reverse("home")).content.decode()

    assert application.title not in page
    assert application.national_task_code not in page


def test_an_expert_who_has_not_declared_gets_the_declaration_instead_of_the_request(client):
    application = FundingApplicationFactory(at_group_review=True)
    expert = application.people.experts[0]
    _assigned(application, expert)
    client.force_login(expert)

    page = client.get(reverse("application-detail", args=[application.pk])).content.decode()

    assert "利益冲突声明" in page
    assert application.title not in page


def test_an_expert_never_sees_another_experts_name_or_conflict_reason(client):
    application = FundingApplicationFactory(at_group_review=True)
    people = application.people
    expert, other = people.experts[0], make_user("group_member", first_name="王某某")
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    rest = [make_user("group_member") for _ in range(application.call.experts_required - 2)]
    group_review.assign_experts(
        application_id=application.pk,
        actor=people.group_chair,
        expert_ids=[expert.pk, other.pk, *(r.pk for r in rest)],
    )
    group_review.declare_interest(
        application_id=application.pk, actor=other, conflict=True, reason="与申报单位负责人系亲属"
    )
    group_review.declare_interest(application_id=application.pk, actor=expert, conflict=False)
    client.force_login(expert)

    page = client.get(reverse("application-detail", args=[application.pk])).content.decode()

    assert "王某某" not in page and other.username not in page
    assert "与申报单位负责人系亲属" not in page


def test_applicants_see_no_reviewers_names_in_the_history(client):
    application = FundingApplicationFactory(at_meeting_review=True)
    officer = application.people.lead_officer
    officer.first_name = "李经办"
    officer.save()
    client.force_login(application.people.applicant)

    page = client.get(reverse("application-detail", args=[application.pk])).content.decode()

    assert "李经办" not in page and officer.username not in page
    assert application.people.experts[0].username not in page


def test_the_applicants_estimate_shows_no_rule_expressions_and_no_department_budgets(client):
    special_project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory()
    call.special_projects.add(special_project)
    active_policy()
    application = FundingApplicationFactory(call=call, special_project=special_project)
    client.force_login(application.created_by)

    page = client.get(reverse("application-edit", args=[application.pk])).content.decode()

    assert "配套资金测算" in page  # the estimate is there
    assert "call_special_projects" not in page and "special_project in" not in page
    assert "出资部门" not in page and "测算过程" not in page


def test_an_anonymous_visitor_cannot_learn_of_a_request_through_its_process(client):
    application = FundingApplicationFactory(at_submitted=True)

    response = client.get(
        reverse("application-detail-by-process", args=[application.review_process_id])
    )

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_chair_does_not_see_a_request_rejected_before_it_reached_the_group(client):
    application = FundingApplicationFactory(rejected=True)
    chair = make_user("group_chair")
    client.force_login(chair)

    response = client.get(reverse("application-detail", args=[application.pk]))

    assert response.status_code == 404


def test_the_secretariat_does_not_see_a_request_still_with_the_review_group(client):
    application = FundingApplicationFactory(at_group_review=True)
    client.force_login(application.people.secretary)

    response = client.get(reverse("application-detail", args=[application.pk]))

    assert response.status_code == 404


def test_the_secretariat_sees_a_request_once_it_reached_the_meeting(client):
    application = FundingApplicationFactory(at_meeting_review=True)
    client.force_login(application.people.secretary)

    response = client.get(reverse("application-detail", args=[application.pk]))

    assert response.status_code == 200


def test_a_lead_officer_of_another_department_does_not_see_the_request(client):
    application = FundingApplicationFactory(at_submitted=True)
    client.force_login(
        make_user("lead_officer", department=SpecialProjectFactory().lead_department)
    )

    response = client.get(reverse("application-detail", args=[application.pk]))

    assert response.status_code == 404


def test_auditors_see_every_request_including_drafts():
    draft = FundingApplicationFactory()

    assert access.may_view(make_user("auditor"), draft)


def test_an_applicant_of_another_organisation_does_not_see_the_request(client):
    application = FundingApplicationFactory(at_submitted=True)
    outsider = make_user("applicant", organisation=FundingApplicationFactory().organisation)
    client.force_login(outsider)

    response = client.get(reverse("application-detail", args=[application.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "role", ["lead_officer", "group_chair", "meeting_secretary", "applicant", "group_member"]
)
def test_the_policy_read_through_a_flow_task_shows_the_same_requests_as_the_list(role):
    from workflows.flows import ReviewFlow

    for state in ("lead_review", "at_group_review", "meeting_review", "approved"):
        options = {"at_group_review": True} if state == "at_group_review" else {"state": state}
        application = FundingApplicationFactory(**options)
    people = application.people
    user = {
        "lead_officer": people.lead_officer,
        "group_chair": people.group_chair,
        "meeting_secretary": people.secretary,
        "applicant": people.applicant,
        "group_member": people.experts[0],
    }[role]
    tasks = ReviewFlow.task_class._default_manager.all()

    through_tasks = set(
        tasks.filter(access.visible_q(user, "process__funding_application")).values_list(
            "process__funding_application", flat=True
        )
    )
    listed = set(
        access.applications_for(user)
        .filter(review_process__isnull=False)
        .values_list("pk", flat=True)
    )

    assert through_tasks == listed
