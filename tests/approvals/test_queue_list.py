"""Each reviewer's queue as a list to work in: search, the applications' filters over the
tasks, sorting, keyset pages, and exports that carry the filters and are written to the access
log — never showing a task of another department, nor naming a request to an expert who has
not declared on it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent, AccessKind
from tests.factories import (
    FundingApplicationFactory,
    SpecialProjectFactory,
    bulk_awaiting,
    make_user,
)
from tests.listing import csv_rows, signed_in, xlsx_rows
from workflows import assignments
from workflows.flows import ReviewFlow

pytestmark = pytest.mark.django_db

QUEUE = "approvals:queue"
EXPORT = "approvals:queue-export"


def _listed(response) -> list[str]:
    return [t.process.funding_application.national_task_code for t in response.context["page"]]


@pytest.fixture
def desk():
    """Two requests waiting at one lead department: a lithography one and a drug one."""
    project = SpecialProjectFactory()
    litho = FundingApplicationFactory(
        state="submitted", special_project=project, title="极紫外光刻胶材料验证"
    )
    drug = FundingApplicationFactory(
        state="submitted", special_project=project, title="新药创制临床研究"
    )
    return litho, drug, litho.people.lead_officer


def test_a_search_for_a_chinese_word_finds_the_task_of_the_request_with_it(desk):
    litho, _drug, officer = desk

    response = signed_in(officer).get(reverse(QUEUE), {"q": "光刻"})

    assert _listed(response) == [litho.national_task_code]


def test_the_queue_filters_by_special_project():
    officer_project = SpecialProjectFactory()
    other_project = SpecialProjectFactory(lead_department=officer_project.lead_department)
    wanted = FundingApplicationFactory(state="submitted", special_project=other_project)
    FundingApplicationFactory(state="submitted", special_project=officer_project)

    response = signed_in(wanted.people.lead_officer).get(
        reverse(QUEUE), {"special_project": other_project.pk}
    )

    assert _listed(response) == [wanted.national_task_code]


def test_the_queue_shows_only_the_overdue_tasks_when_asked(desk):
    litho, _drug, officer = desk
    long_ago = timezone.now() - datetime.timedelta(days=litho.call.lead_days + 1)
    ReviewFlow.task_class.objects.filter(process_id=litho.review_process_id).update(
        created=long_ago
    )

    response = signed_in(officer).get(reverse(QUEUE), {"overdue": "on"})

    assert _listed(response) == [litho.national_task_code]


def test_a_reviewer_narrows_the_queue_to_the_tasks_they_hold(desk):
    litho, _drug, officer = desk
    assignments.claim_task(application_id=litho.pk, actor=officer)

    response = signed_in(officer).get(reverse(QUEUE), {"mine": "on"})

    assert _listed(response) == [litho.national_task_code]


def test_the_queue_sorts_by_title_both_ways(desk):
    _litho, _drug, officer = desk
    client = signed_in(officer)

    ascending = _listed(client.get(reverse(QUEUE), {"sort": "title"}))
    descending = _listed(client.get(reverse(QUEUE), {"sort": "-title"}))

    assert (len(ascending), ascending) == (2, descending[::-1])


def test_the_queue_sorts_by_arrival_newest_first_when_asked(desk):
    litho, drug, officer = desk

    response = signed_in(officer).get(reverse(QUEUE), {"sort": "-arrived"})

    assert _listed(response) == [drug.national_task_code, litho.national_task_code]


def test_the_counts_stay_those_of_the_whole_queue_while_it_is_filtered(desk):
    _litho, _drug, officer = desk

    summary = signed_in(officer).get(reverse(QUEUE), {"q": "光刻"}).context["summary"]

    assert summary.new == 2


def test_the_last_page_of_a_filtered_queue_holds_its_oldest_tasks():
    project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=project.lead_department)
    ids = bulk_awaiting("lead_review", 70, special_project=project)
    bulk_awaiting(
        "lead_review",
        5,
        special_project=SpecialProjectFactory(lead_department=project.lead_department),
    )

    response = signed_in(officer).get(
        reverse(QUEUE), {"special_project": project.pk, "sort": "-arrived", "last": "1"}
    )

    listed = [t.process.funding_application.pk for t in response.context["page"]]
    assert listed == sorted(ids)[:50][::-1]


def test_another_departments_requests_never_appear_in_the_queue_or_its_export(desk):
    _litho, _drug, officer = desk
    FundingApplicationFactory(state="submitted", title="光刻机双工件台")  # another department
    client = signed_in(officer)

    listed = _listed(client.get(reverse(QUEUE), {"q": "光刻"}))
    exported = [r["课题名称"] for r in csv_rows(client.get(reverse(EXPORT), {"q": "光刻"}))]

    assert (listed, exported) == ([desk[0].national_task_code], ["极紫外光刻胶材料验证"])


def test_the_export_carries_the_filters_and_the_order():
    project = SpecialProjectFactory()
    first = FundingApplicationFactory(state="submitted", special_project=project, title="甲课题")
    second = FundingApplicationFactory(state="submitted", special_project=project, title="乙课题")
    FundingApplicationFactory(
        state="submitted",
        special_project=SpecialProjectFactory(lead_department=project.lead_department),
    )

    response = signed_in(first.people.lead_officer).get(
        reverse(EXPORT), {"special_project": project.pk, "sort": "-arrived", "format": "csv"}
    )

    assert [r["国家课题(任务)编号"] for r in csv_rows(response)] == [
        second.national_task_code,
        first.national_task_code,
    ]


def test_the_export_is_written_to_the_access_log_with_its_filters(desk):
    _litho, _drug, officer = desk

    signed_in(officer).get(reverse(EXPORT), {"q": "光刻", "format": "xlsx"})

    event = AccessEvent.objects.get(kind=AccessKind.EXPORTED)
    assert (event.username, "q=" in event.detail, "rows=1" in event.detail) == (
        officer.username,
        True,
        True,
    )


def test_the_queue_exports_to_excel_with_its_labels(desk):
    _litho, _drug, officer = desk

    response = signed_in(officer).get(reverse(EXPORT), {"q": "光刻", "format": "xlsx"})

    rows = xlsx_rows(response)
    assert (rows[1][0], rows[1][-1]) == ("形式审查", "待认领")


@pytest.fixture
def expert_asked():
    """A request at the review group with an expert asked to score it, not declared yet."""
    from approvals import group_review

    application = FundingApplicationFactory(state="group_review", title="量子通信网络")
    people = application.people
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    group_review.assign_experts(
        application_id=application.pk,
        actor=people.group_chair,
        expert_ids=[e.pk for e in people.experts[:3]],
    )
    return application, people.experts[0]


def test_an_expert_searching_does_not_find_a_request_they_have_not_declared_on(expert_asked):
    _application, expert = expert_asked
    client = signed_in(expert)

    everything = client.get(reverse(QUEUE)).context["page"]
    searched = client.get(reverse(QUEUE), {"q": "量子"}).context["page"]

    assert (len(everything), len(searched)) == (1, 0)


def test_an_experts_export_does_not_name_a_request_before_they_declare(expert_asked):
    application, expert = expert_asked

    rows = csv_rows(signed_in(expert).get(reverse(EXPORT), {"format": "csv"}))

    assert [(r["课题名称"], r["申报单位"]) for r in rows] == [("—", application.organisation.name)]


def test_the_chair_may_narrow_the_queue_by_kind_of_task_and_an_officer_has_no_such_filter(desk):
    chair = make_user("group_chair")
    _litho, _drug, officer = desk

    chair_fields = signed_in(chair).get(reverse(QUEUE)).context["filter"].form.fields
    officer_fields = signed_in(officer).get(reverse(QUEUE)).context["filter"].form.fields

    assert ("task" in chair_fields, "task" in officer_fields) == (True, False)


def test_the_queue_shows_its_columns_with_the_tasks_labels_not_their_codes(desk):
    _litho, _drug, officer = desk

    page = signed_in(officer).get(reverse(QUEUE)).content.decode()

    body = page.split("<tbody>")[1]
    assert ("形式审查" in body, "lead_review" in body) == (True, False)


def test_the_queue_reads_in_english_for_a_browser_that_asks_for_it(desk):
    _litho, _drug, officer = desk

    page = signed_in(officer).get(reverse(QUEUE), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ("Formal check" in page, "形式审查" in page) == (True, False)
