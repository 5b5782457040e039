"""The request's page, as each person reads it: where it stands, what happens next, why it came
back, and the steps that cannot be undone."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import FundingApplicationFactory, make_user
from workflows.review_path import STAGES

pytestmark = pytest.mark.django_db


def _page(client, application) -> str:
    return client.get(reverse("application-detail", args=[application.pk])).content.decode()


def test_the_applicant_reads_that_the_lead_department_receives_the_submitted_request(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)
    lead = submitted.special_project.lead_department.name

    page = _page(client_of(submitted.people.applicant), submitted)

    assert f"已提交，等待{lead}受理。您现在无需操作。" in page


def test_the_applicant_does_not_read_the_internal_task_names(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)

    page = _page(client_of(submitted.people.applicant), submitted)

    assert "当前任务" not in page and "待认领" not in page


def test_the_lead_officer_reads_the_current_task_and_its_time_limit(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)

    page = _page(client_of(submitted.people.lead_officer), submitted)

    assert "形式审查" in page and "办理期限" in page


def test_the_message_after_submitting_names_the_lead_department(client_of, applicant):
    draft = FundingApplicationFactory(
        organisation=applicant.profile.organisation, created_by=applicant
    )
    client = client_of(applicant)

    response = client.post(
        reverse("application-act", args=[draft.pk, "submit"]), follow=True
    ).content.decode()

    lead = draft.special_project.lead_department.name
    assert f'<p class="flash success">已提交，等待{lead}受理。' in response


def test_the_tracker_marks_the_review_group_as_where_the_request_stands(client_of):
    at_group = FundingApplicationFactory(at_group_review=True)

    page = _page(client_of(at_group.people.applicant), at_group)

    tracker = page[page.index('<ol class="tracker"') : page.index("</ol>", page.index("tracker"))]
    marks = [line.split('"')[1] for line in tracker.split("<li class=")[1:]]
    assert marks == ["done", "done", "current"] + ["ahead"] * (len(marks) - 3)
    assert len(marks) == len(STAGES)


def test_a_returned_request_stays_on_the_tracker_at_the_tier_that_returned_it(client_of):
    returned = FundingApplicationFactory(returned_by_group=True)

    page = _page(client_of(returned.people.applicant), returned)

    assert (
        '<li class="returned" aria-current="step"><span class="dot" aria-hidden="true"></span>'
        "审核工作小组审核"
    ) in page


def test_a_returned_request_opens_with_each_failed_item_and_the_officers_note(client_of):
    returned = FundingApplicationFactory(returned=True)

    page = _page(client_of(returned.people.applicant), returned)

    banner = page[page.index('class="card banner returned"') :]
    assert "国家批复文件齐备</strong>：请补充国家批复文件" in banner
    edit = reverse("application-edit", args=[returned.pk])
    assert f'<a href="{edit}#id_national_approval_number">国家批复文号</a>' in banner


def test_the_edit_form_of_a_returned_request_opens_with_the_same_banner(client_of):
    returned = FundingApplicationFactory(returned=True)
    client = client_of(returned.people.applicant)

    page = client.get(reverse("application-edit", args=[returned.pk])).content.decode()

    assert '<a href="#id_national_approval_number">国家批复文号</a>' in page


def test_a_request_returned_by_the_review_group_shows_the_groups_reason(client_of):
    returned = FundingApplicationFactory(returned_by_group=True)

    page = _page(client_of(returned.people.applicant), returned)

    banner = page[page.index('class="card banner returned"') :]
    assert "审核工作小组退回修改" in banner and "请补充国家批复文件" in banner


def test_withdrawing_asks_for_a_reason_and_a_confirmation_on_the_page(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)

    page = _page(client_of(submitted.people.applicant), submitted)

    form = page[page.index('<details class="confirm">') :]
    assert 'name="reason" rows="3" maxlength="4000" required' in form
    assert 'type="checkbox" name="confirm" value="yes" required' in form


def test_withdrawing_without_a_reason_is_refused_and_the_request_stays_submitted(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)
    client = client_of(submitted.people.applicant)

    response = client.post(
        reverse("application-act", args=[submitted.pk, "withdraw"]), {"reason": ""}
    )

    submitted.refresh_from_db()
    assert (response.status_code, submitted.status) == (400, "submitted")
    assert "撤回申请须说明理由" in response.content.decode()


def test_the_withdrawal_reason_is_on_the_history(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)
    client = client_of(submitted.people.applicant)

    client.post(
        reverse("application-act", args=[submitted.pk, "withdraw"]),
        {"reason": "项目实施主体调整", "confirm": "yes"},
    )

    assert submitted.audit_entries.get(transition="withdraw").reason == "项目实施主体调整"


def test_detail_pages_carry_breadcrumbs_back_to_the_requests(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)

    page = _page(client_of(submitted.people.applicant), submitted)

    home = reverse("home")
    assert (
        f'<nav class="breadcrumbs" aria-label="当前位置"><ol><li><a href="{home}">申请</a>' in page
    )


def test_english_pages_print_the_english_names_of_the_department_and_project(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)
    department = submitted.special_project.lead_department
    department.name_en = "Beijing Municipal Bureau of Economy and Information Technology"
    department.save()

    page = _page(client_of(submitted.people.applicant, "en"), submitted)

    assert "Beijing Municipal Bureau of Economy and Information Technology" in page
    assert submitted.special_project.name_en in page


def test_an_organisation_without_an_english_name_keeps_its_chinese_name_in_english(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)

    page = _page(client_of(submitted.people.applicant, "en"), submitted)

    assert submitted.organisation.name in page


def test_the_auditor_reaches_the_meetings_and_the_audit_trail_from_the_navigation(client_of):
    page = client_of(make_user("auditor")).get(reverse("home")).content.decode()

    nav = page[page.index('<nav class="main-nav"') : page.index("</nav>", page.index("main-nav"))]
    assert reverse("approvals:meetings") in nav and reverse("audit-trail") in nav


def test_the_applicants_navigation_has_no_meetings_or_audit(client_of, applicant):
    page = client_of(applicant).get(reverse("home")).content.decode()

    nav = page[page.index('<nav class="main-nav"') : page.index("</nav>", page.index("main-nav"))]
    assert reverse("approvals:meetings") not in nav and reverse("audit-trail") not in nav


def test_the_navigation_marks_the_page_the_user_is_on(client_of):
    secretary = make_user("meeting_secretary")

    page = client_of(secretary).get(reverse("approvals:meetings")).content.decode()

    assert f'<a href="{reverse("approvals:meetings")}" aria-current="page">' in page


def test_english_documents_address_the_organisation_by_its_english_name():
    submitted = FundingApplicationFactory(at_submitted=True)
    submitted.organisation.name_en = "Beijing Xinyuan Microelectronics Co., Ltd."
    with translation.override("en"):
        addressee = render_to_string(
            "documents/acceptance.html", {"application": submitted, "document": None}
        )

    assert "Beijing Xinyuan Microelectronics Co., Ltd." in addressee


def test_the_applicant_reads_by_when_the_lead_department_should_act(client_of):
    submitted = FundingApplicationFactory(at_submitted=True)
    task = submitted.review_process.task_set.get(flow_task__endswith="lead_review")
    due = task.created + datetime.timedelta(days=submitted.call.lead_days)

    page = _page(client_of(submitted.people.applicant), submitted)

    local = timezone.localtime(due).date().isoformat()
    assert f"按规定时限，本环节应在 {local} 前办理完毕。" in page
