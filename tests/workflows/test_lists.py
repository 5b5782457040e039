"""The lists people work in: the applications, the audit trail, the reviewers' queue, the
meetings and the access log — what each role sees, filters, search, sorting, keyset pages, and
exports that carry the filters and are written to the access log."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent, AccessKind
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    SpecialProjectFactory,
    bulk_awaiting,
    make_user,
)
from tests.listing import csv_rows, signed_in, xlsx_rows
from workflows.flows import ReviewFlow
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db


def _codes(response) -> list[str]:
    return [a.national_task_code for a in response.context["page"]]


# --- the applications ---------------------------------------------------------------------


def test_a_search_for_a_chinese_word_finds_the_request_by_its_title():
    wanted = FundingApplicationFactory(title="极紫外光刻胶材料验证")
    FundingApplicationFactory(title="新药创制临床研究")

    response = signed_in(make_user("auditor")).get(reverse("home"), {"q": "光刻"})

    assert _codes(response) == [wanted.national_task_code]


def test_a_search_finds_the_request_by_its_organisation_or_task_code():
    organisation = OrganisationFactory(name="北京芯联微电子有限公司")
    by_name = FundingApplicationFactory(organisation=organisation)
    by_code = FundingApplicationFactory(national_task_code="2026ZX99777")
    client = signed_in(make_user("auditor"))

    assert _codes(client.get(reverse("home"), {"q": "芯联"})) == [by_name.national_task_code]
    assert _codes(client.get(reverse("home"), {"q": "zx99777"})) == [by_code.national_task_code]


def test_an_applicant_searching_finds_nothing_of_another_organisation():
    mine = FundingApplicationFactory(title="我的课题")
    FundingApplicationFactory(title="别人的课题")

    response = signed_in(mine.created_by).get(reverse("home"), {"q": "课题"})

    assert _codes(response) == [mine.national_task_code]


def test_the_list_filters_by_tier():
    at_group = FundingApplicationFactory(state="group_review")
    FundingApplicationFactory(state="lead_review")

    response = signed_in(make_user("auditor")).get(reverse("home"), {"tier": "group"})

    assert _codes(response) == [at_group.national_task_code]


def test_the_list_filters_by_district_and_status():
    wanted = FundingApplicationFactory(landing_district="daxing", state="submitted")
    FundingApplicationFactory(landing_district="daxing")
    FundingApplicationFactory(landing_district="haidian", state="submitted")

    response = signed_in(make_user("auditor")).get(
        reverse("home"), {"district": "daxing", "status": "submitted"}
    )

    assert _codes(response) == [wanted.national_task_code]


def test_the_list_shows_only_requests_with_an_overdue_task_when_asked():
    late = FundingApplicationFactory(state="submitted")
    FundingApplicationFactory(state="submitted")
    long_ago = timezone.now() - datetime.timedelta(days=late.call.lead_days + 1)
    ReviewFlow.task_class.objects.filter(process_id=late.review_process_id).update(created=long_ago)

    response = signed_in(make_user("auditor")).get(reverse("home"), {"overdue": "on"})

    assert _codes(response) == [late.national_task_code]


def test_a_reviewer_narrows_the_list_to_the_requests_they_hold():
    held = FundingApplicationFactory(state="lead_review")
    officer = held.people.lead_officer
    FundingApplicationFactory(state="submitted", special_project=held.special_project)

    response = signed_in(officer).get(reverse("home"), {"mine": "on"})

    assert _codes(response) == [held.national_task_code]


def test_the_list_sorts_by_the_requested_amount_both_ways():
    small = FundingApplicationFactory(requested_amount=Decimal("1000000.00"))
    large = FundingApplicationFactory(requested_amount=Decimal("9000000.00"))
    client = signed_in(make_user("auditor"))

    ascending = _codes(client.get(reverse("home"), {"sort": "requested"}))
    descending = _codes(client.get(reverse("home"), {"sort": "-requested"}))

    assert ascending == [small.national_task_code, large.national_task_code]
    assert descending == [large.national_task_code, small.national_task_code]


def test_a_date_the_filter_cannot_read_lists_nothing_and_says_why():
    FundingApplicationFactory()

    response = signed_in(make_user("auditor")).get(
        reverse("home"), {"since": "2026-12-01", "until": "not a date"}
    )

    assert response.status_code == 200
    assert _codes(response) == []
    assert response.context["filter"].errors["until"]


def test_a_period_that_ends_before_it_starts_is_refused_beside_its_end():
    FundingApplicationFactory()

    response = signed_in(make_user("auditor")).get(
        reverse("home"), {"since": "2026-12-01", "until": "2026-11-30"}
    )

    assert (_codes(response), response.context["filter"].errors["until"]) == (
        [],
        ["截止日期不能早于起始日期。"],
    )


def test_the_meetings_period_that_ends_before_it_starts_is_refused():
    response = signed_in(make_user("meeting_secretary")).get(
        reverse("approvals:meetings"), {"since": "2026-12-01", "until": "2026-11-30"}
    )

    assert "until" in response.context["filter"].errors


def test_the_audit_trails_period_that_ends_before_it_starts_is_refused():
    FundingApplicationFactory(state="submitted")

    response = signed_in(make_user("auditor")).get(
        reverse("audit-trail"), {"since": "2026-12-01", "until": "2026-11-30"}
    )

    assert (list(response.context["page"]), "until" in response.context["filter"].errors) == (
        [],
        True,
    )


@pytest.fixture
def many():
    """120 requests waiting at the lead department, written in bulk, oldest first."""
    ids = bulk_awaiting("lead_review", 120)
    base = timezone.now() - datetime.timedelta(days=1)
    for offset, pk in enumerate(ids):
        FundingApplication.objects.filter(pk=pk).update(
            created_at=base + datetime.timedelta(seconds=offset)
        )
    return list(FundingApplication.objects.filter(pk__in=ids).order_by("-created_at", "-pk"))


def test_the_pages_of_the_list_follow_each_other_without_gaps(many):
    client = signed_in(make_user("auditor"))

    seen, response = [], client.get(reverse("home"))
    while True:
        seen += _codes(response)
        if not response.context["page"].has_next:
            break
        response = client.get(f"{reverse('home')}?{response.context['next_link']}")

    assert seen == [a.national_task_code for a in many]


def test_the_last_page_holds_the_oldest_requests(many):
    response = signed_in(make_user("auditor")).get(reverse("home"), {"last": "1"})

    assert _codes(response) == [a.national_task_code for a in many[-50:]]
    assert response.context["page"].has_previous


def test_a_page_link_edited_by_hand_shows_the_first_page(many):
    response = signed_in(make_user("auditor")).get(reverse("home"), {"after": "forged"})

    assert _codes(response) == [a.national_task_code for a in many[:50]]


def test_the_last_page_takes_as_many_queries_as_the_first(many, django_assert_num_queries):
    client = signed_in(make_user("auditor"))
    client.get(reverse("home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(reverse("home"))
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("home"), {"last": "1"})


def test_the_export_holds_the_filtered_rows_in_the_lists_order():
    call = FundingCallFactory()
    first = FundingApplicationFactory(call=call, requested_amount=Decimal("2000000.00"))
    second = FundingApplicationFactory(call=call, requested_amount=Decimal("5000000.00"))
    FundingApplicationFactory()  # another call

    response = signed_in(make_user("auditor")).get(
        reverse("applications-export"), {"call": call.pk, "sort": "-requested", "format": "csv"}
    )

    rows = csv_rows(response)
    assert [r["国家课题(任务)编号"] for r in rows] == [
        second.national_task_code,
        first.national_task_code,
    ]
    assert rows[0]["申请配套金额(元)"] == "5000000.00"


def test_an_applicants_export_holds_only_their_organisations_requests():
    mine = FundingApplicationFactory()
    FundingApplicationFactory()

    response = signed_in(mine.created_by).get(reverse("applications-export"), {"format": "csv"})

    assert [r["国家课题(任务)编号"] for r in csv_rows(response)] == [mine.national_task_code]


def test_an_export_is_written_to_the_access_log_with_its_filters():
    auditor = make_user("auditor")

    signed_in(auditor).get(reverse("applications-export"), {"status": "approved", "format": "csv"})

    event = AccessEvent.objects.get(kind=AccessKind.EXPORTED)
    assert (event.username, "status=approved" in event.detail) == (auditor.username, True)


def test_the_list_exports_to_excel_with_amounts_as_numbers():
    application = FundingApplicationFactory(requested_amount=Decimal("3500000.50"))

    response = signed_in(make_user("auditor")).get(
        reverse("applications-export"), {"format": "xlsx"}
    )

    rows = xlsx_rows(response)
    column = rows[0].index("申请配套金额(元)")
    assert [(r[1], r[column]) for r in rows[1:]] == [
        (application.national_task_code, Decimal("3500000.50"))
    ]


def test_an_export_longer_than_one_piece_holds_every_row_once_in_order(monkeypatch):
    from workflows import exports

    monkeypatch.setattr(exports, "CSV_ROWS_PER_PIECE", 2)
    bulk_awaiting("lead_review", 5)
    listed = FundingApplication.objects.order_by("-created_at", "-id")

    response = signed_in(make_user("auditor")).get(
        reverse("applications-export"), {"format": "csv"}
    )

    assert [r["国家课题(任务)编号"] for r in csv_rows(response)] == [
        a.national_task_code for a in listed
    ]


def test_an_export_in_english_has_the_statuses_in_english_and_the_times_in_beijing_time():
    application = FundingApplicationFactory()
    client = signed_in(make_user("auditor"))
    client.cookies["django_language"] = "en"

    response = client.get(reverse("applications-export"), {"format": "csv"})

    (row,) = csv_rows(response)
    created = timezone.localtime(application.created_at)
    assert (row["Status"], row["Created"]) == ("Draft", f"{created:%Y-%m-%d %H:%M:%S}")


def test_an_unknown_export_format_is_not_found():
    response = signed_in(make_user("auditor")).get(
        reverse("applications-export"), {"format": "pdf"}
    )

    assert response.status_code == 404


# --- the audit trail ------------------------------------------------------------------------


def test_the_audit_trail_names_roles_and_steps_as_people_call_them():
    FundingApplicationFactory(state="lead_review")

    page = signed_in(make_user("auditor")).get(reverse("audit-trail")).content.decode()

    assert "牵头部门经办人" in page
    assert "lead_officer" not in page.split("<tbody>")[1]


def test_the_audit_trail_filters_by_step():
    FundingApplicationFactory(state="lead_review")

    response = signed_in(make_user("auditor")).get(reverse("audit-trail"), {"transition": "submit"})

    assert {e.transition for e in response.context["page"]} == {"submit"}


def test_the_auditor_exports_the_audit_trail_of_a_period():
    application = FundingApplicationFactory(state="submitted")
    today = timezone.localdate().isoformat()
    auditor = make_user("auditor")

    response = signed_in(auditor).get(
        reverse("audit-export"), {"since": today, "until": today, "format": "csv"}
    )

    rows = csv_rows(response)
    assert {r["国家课题(任务)编号"] for r in rows} == {application.national_task_code}
    assert AccessEvent.objects.filter(kind=AccessKind.EXPORTED, username=auditor.username).exists()


def test_an_officer_may_not_export_the_audit_trail():
    officer = make_user("lead_officer", department=SpecialProjectFactory().lead_department)

    assert signed_in(officer).get(reverse("audit-export")).status_code == 403


# --- the queue, the meetings, the access log ------------------------------------------------


def test_the_queue_shows_one_page_and_counts_the_whole_queue():
    project = SpecialProjectFactory()
    officer = make_user("lead_officer", department=project.lead_department)
    bulk_awaiting("lead_review", 60, special_project=project)

    summary = signed_in(officer).get(reverse("approvals:queue")).context["summary"]

    assert (len(summary.tasks), summary.new, summary.page.has_next) == (50, 60, True)


def test_the_secretary_exports_the_meetings_of_a_call():
    from approvals import meetings

    secretary = make_user("meeting_secretary")
    call = FundingCallFactory()
    meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=timezone.localdate(),
        place="第一会议室",
        chair="主持人",
    )

    response = signed_in(secretary).get(
        reverse("approvals:meetings-export"), {"call": call.pk, "format": "csv"}
    )

    assert [r["地点"] for r in csv_rows(response)] == ["第一会议室"]


def test_the_access_log_exports_to_excel_and_records_the_export():
    auditor = make_user("auditor")

    response = signed_in(auditor).get(reverse("access-log-export"), {"format": "xlsx"})

    assert xlsx_rows(response)[0][0] == "时间"
    assert AccessEvent.objects.filter(kind=AccessKind.EXPORTED).count() == 1
