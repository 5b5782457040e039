"""The dashboard: who sees it, over which requests, and whether its figures are the sums of
the rows they come from."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent, AccessKind
from dashboard import figures
from dashboard.sections import Provider, Scope, Table, register, sections_for
from tests.factories import FundingApplicationFactory, make_user
from workflows import access

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _table(response, key: str) -> Table:
    return next(t for s in response.context["sections"] for t in s.tables if t.key == key)


def _rows(response, key: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in _table(response, key).rows}


def test_an_auditor_sees_every_request_in_the_pipeline():
    FundingApplicationFactory(state="lead_review")
    FundingApplicationFactory(state="group_review")

    response = _client(make_user("auditor")).get(reverse("dashboard"))

    assert response.status_code == 200
    assert _rows(response, "by_status") == {
        "牵头部门审查中": ("牵头部门", 1),
        "审核工作小组审核中": ("审核工作小组", 1),
    }


def test_a_lead_department_sees_only_its_own_special_projects_figures():
    mine = FundingApplicationFactory(state="lead_review")
    FundingApplicationFactory(state="lead_review")  # another special project and department
    officer = make_user("lead_officer", department=mine.special_project.lead_department)

    response = _client(officer).get(reverse("dashboard"))

    by_project = _rows(response, "by_special_project")
    assert list(by_project) == [mine.special_project.name]
    assert by_project[mine.special_project.name][0] == 1


def test_an_applicant_may_not_open_the_dashboard():
    application = FundingApplicationFactory()

    response = _client(application.created_by).get(reverse("dashboard"))

    assert response.status_code == 403


def test_a_lead_department_does_not_see_the_municipal_pool():
    application = FundingApplicationFactory(state="lead_review")
    officer = make_user("lead_officer", department=application.special_project.lead_department)

    response = _client(officer).get(reverse("dashboard"))

    assert "pool" not in [s.key for s in response.context["sections"]]


def test_the_money_by_special_project_adds_up_requested_recommended_and_approved():
    approved = FundingApplicationFactory(state="approved")
    waiting = FundingApplicationFactory(
        state="meeting_review",
        call=approved.call,
        special_project=approved.special_project,
        requested_amount=Decimal("7500000.00"),
    )
    FundingApplicationFactory(call=approved.call, special_project=approved.special_project)

    response = _client(make_user("auditor")).get(reverse("dashboard"), {"call": approved.call_id})

    count, asked, advised, granted = _rows(response, "by_special_project")[
        approved.special_project.name
    ]
    recommendations = [
        r.recommended_amount or Decimal(0)
        for a in (approved, waiting)
        for r in a.recommendations.filter(decision="recommend").order_by("-created_at")[:1]
    ]
    assert (count, asked, advised, granted) == (
        2,  # the draft is not a request yet
        approved.requested_amount + waiting.requested_amount,
        sum(recommendations, Decimal(0)),
        approved.approved_amount,
    )


def test_the_filter_by_call_leaves_out_other_calls():
    shown = FundingApplicationFactory(state="lead_review")
    FundingApplicationFactory(state="lead_review")

    response = _client(make_user("auditor")).get(reverse("dashboard"), {"call": shown.call_id})

    assert _rows(response, "by_status") == {"牵头部门审查中": ("牵头部门", 1)}


def test_days_at_a_tier_are_the_median_and_90th_percentile_of_finished_stays():
    applications = [FundingApplicationFactory(state="group_review") for _ in range(3)]
    auditor = make_user("auditor")
    scope = Scope(user=auditor, applications=access.applications_for(auditor))

    stays = figures.stays_at_tiers(scope)

    for application in applications:
        entries = list(application.audit_entries.exclude(source="").order_by("seq"))
        moved = [e for e in entries if e.source != e.target]
        arrived = next(e.at for e in moved if e.target == "submitted")
        left = next(e.at for e in moved if e.target == "group_review")
        expected = (left - arrived).total_seconds() / 86400
        # Kept by the decisions, timed a moment before their audit entries.
        assert any(abs(d - expected) < 1 / 86400 for d in stays[(application.call_id, "lead")])


def test_percentiles_interpolate_between_ranks():
    assert figures.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert figures.percentile(
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9
    ) == pytest.approx(9.1)


def test_a_task_past_its_time_limit_counts_as_overdue_at_its_tier():
    application = FundingApplicationFactory(state="submitted")
    later = timezone.now() + datetime.timedelta(days=application.call.lead_days + 1)
    auditor = make_user("auditor")

    tables = figures.pipeline_tables(
        Scope(user=auditor, applications=access.applications_for(auditor), now=later)
    )

    by_tier = {row[0]: row for row in next(t for t in tables if t.key == "by_tier").rows}
    assert by_tier["牵头部门"][3] == 1


def test_the_overdue_and_arrived_figures_follow_the_call_filter_and_the_viewers_department():
    counted = FundingApplicationFactory(state="submitted")
    FundingApplicationFactory(state="submitted")  # another call, another lead department
    FundingApplicationFactory(state="submitted", call=counted.call)  # the same call, another
    officer = make_user("lead_officer", department=counted.special_project.lead_department)
    later = timezone.now() + datetime.timedelta(days=counted.call.lead_days + 1)
    scope = Scope(
        user=officer,
        applications=access.applications_for(officer).filter(call=counted.call),
        call_id=counted.call_id,
        now=later,
    )

    tables = figures.pipeline_tables(scope)

    by_tier = {row[0]: row for row in next(t for t in tables if t.key == "by_tier").rows}
    assert by_tier["牵头部门"][3] == 1


def test_a_dashboard_table_exports_to_csv_with_its_figures_and_is_logged():
    FundingApplicationFactory(state="lead_review")
    auditor = make_user("auditor")

    response = _client(auditor).get(
        reverse("dashboard-export", args=["pipeline", "by_status"]), {"format": "csv"}
    )

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [
        ["状态", "环节", "申请数"],
        ["牵头部门审查中", "牵头部门", "1"],
    ]
    event = AccessEvent.objects.get(kind=AccessKind.EXPORTED)
    assert (event.username, "by_status" in event.target) == (auditor.username, True)


def test_a_dashboard_table_exports_to_excel():
    from openpyxl import load_workbook

    FundingApplicationFactory(state="lead_review")

    response = _client(make_user("auditor")).get(
        reverse("dashboard-export", args=["pipeline", "by_status"]), {"format": "xlsx"}
    )

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["状态", "环节", "申请数"],
        ["牵头部门审查中", "牵头部门", 1],
    ]


def test_a_registered_provider_adds_a_section_to_the_dashboard():
    auditor = make_user("auditor")
    extra = Provider(
        key="outcomes_example",
        title="成果",
        order=90,
        build=lambda scope: [
            Table(key="landed", title="落地", headings=("区", "项目数"), rows=[("海淀区", 2)])
        ],
    )
    register(extra)
    try:
        response = _client(auditor).get(reverse("dashboard"))
    finally:
        from dashboard import sections

        sections._providers.pop("outcomes_example")

    assert _rows(response, "landed") == {"海淀区": (2,)}
    assert "落地" in response.content.decode()


def test_the_dashboard_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    auditor = make_user("auditor")
    FundingApplicationFactory(state="approved")
    client = _client(auditor)
    client.get(reverse("dashboard"))  # warm the caches of the session and the content types
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("dashboard"))
    for _ in range(4):
        FundingApplicationFactory(state="meeting_review")

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard"))


def test_sections_for_skips_a_section_the_user_may_not_see():
    officer = make_user(
        "lead_officer", department=FundingApplicationFactory().special_project.lead_department
    )

    keys = [
        s.key
        for s in sections_for(Scope(user=officer, applications=access.applications_for(officer)))
    ]

    assert "pool" not in keys
    assert "pipeline" in keys


def test_kept_figures_of_one_lead_department_are_never_shown_to_another(settings):
    from django.core.cache import cache

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    first = FundingApplicationFactory(state="lead_review")
    second = FundingApplicationFactory(state="lead_review")
    officers = [
        make_user("lead_officer", department=a.special_project.lead_department)
        for a in (first, second)
    ]
    try:
        seen = [
            list(_rows(_client(o).get(reverse("dashboard")), "by_special_project"))
            for o in officers
        ]
    finally:
        cache.clear()

    assert seen == [[first.special_project.name], [second.special_project.name]]


def test_kept_figures_count_a_decision_taken_since_they_were_computed(
    settings, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from tests.factories import perform

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    application = FundingApplicationFactory(state="lead_review")
    client = _client(make_user("auditor"))
    try:
        client.get(reverse("dashboard"))
        with django_capture_on_commit_callbacks(execute=True):
            perform("accept", application, application.people)
        shown = _rows(client.get(reverse("dashboard")), "by_status")
    finally:
        cache.clear()

    assert shown == {"审核工作小组审核中": ("审核工作小组", 1)}


def test_warmed_figures_are_shown_without_reading_the_requests(settings):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard.sections import warm_figures

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    FundingApplicationFactory(state="lead_review")
    client = _client(make_user("auditor"))
    try:
        warm_figures()
        with CaptureQueriesContext(connection) as queries:
            shown = _rows(client.get(reverse("dashboard")), "by_status")
    finally:
        cache.clear()

    assert shown == {"牵头部门审查中": ("牵头部门", 1)}
    assert not [q for q in queries if "workflows_fundingapplication" in q["sql"]]


def test_the_days_at_each_tier_table_shows_the_percentiles_of_the_stays():
    for _ in range(3):
        FundingApplicationFactory(state="meeting_review")
    auditor = make_user("auditor")
    scope = Scope(user=auditor, applications=access.applications_for(auditor))
    expected = {
        key: (
            len(days),
            figures._days(figures.percentile(days, 0.5)),
            figures._days(figures.percentile(days, 0.9)),
        )
        for key, days in figures.stays_at_tiers(scope).items()
    }

    rows = figures.time_tables(scope)[0].rows

    assert sorted(row[1:] for row in rows) == sorted(expected.values())
    # The lead department's and the review group's stays are over; the meeting's is not.
    assert {row[0].split(" · ")[1] for row in rows} == {"牵头部门", "审核工作小组"}
