"""The list of decision documents: everybody signed in reads the documents of the requests
they may see (the meetings' minutes for the meetings' readers), searched by number, title and
organisation, filtered by kind, issuing tier, call and period, sorted, paged by keyset, and
exported with the filters, the export written to the access log."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessEvent, AccessKind
from documents.models import Document, DocumentKind, DocumentStatus
from tests.factories import FundingApplicationFactory, FundingCallFactory, make_user
from tests.listing import csv_rows, signed_in, xlsx_rows

pytestmark = pytest.mark.django_db

LIST = "documents"
EXPORT = "documents-export"


def _numbers(response) -> list[str]:
    return [d.number for d in response.context["page"]]


def _number(application, kind: str) -> str:
    return Document.objects.get(application=application, kind=kind).number


@pytest.fixture
def auditor():
    return signed_in(make_user("auditor"))


def test_a_search_finds_a_document_by_its_number(auditor):
    application = FundingApplicationFactory(state="group_review")
    FundingApplicationFactory(state="group_review")
    number = _number(application, DocumentKind.ACCEPTANCE)

    assert _numbers(auditor.get(reverse(LIST), {"q": number})) == [number]


def test_a_search_for_a_chinese_word_finds_the_documents_of_the_request_with_it(auditor):
    wanted = FundingApplicationFactory(state="group_review", title="极紫外光刻胶材料验证")
    FundingApplicationFactory(state="group_review", title="新药创制临床研究")

    response = auditor.get(reverse(LIST), {"q": "光刻"})

    assert _numbers(response) == [_number(wanted, DocumentKind.ACCEPTANCE)]


def test_a_search_for_a_request_on_the_agenda_finds_the_meetings_minutes(auditor):
    FundingApplicationFactory(state="approved", title="量子通信网络")

    response = auditor.get(reverse(LIST), {"q": "量子", "kind": DocumentKind.MEETING_MINUTES})

    assert [d.kind for d in response.context["page"]] == [DocumentKind.MEETING_MINUTES]


def test_the_list_filters_by_kind(auditor):
    application = FundingApplicationFactory(state="meeting_review")

    response = auditor.get(reverse(LIST), {"kind": DocumentKind.REVIEW_OPINION})

    assert _numbers(response) == [_number(application, DocumentKind.REVIEW_OPINION)]


def test_the_list_filters_by_the_tier_that_issued_the_document(auditor):
    application = FundingApplicationFactory(state="meeting_review")

    response = auditor.get(reverse(LIST), {"tier": "lead"})

    assert _numbers(response) == [_number(application, DocumentKind.ACCEPTANCE)]


def test_the_joint_meetings_documents_include_its_minutes(auditor):
    FundingApplicationFactory(state="approved")

    response = auditor.get(reverse(LIST), {"tier": "meeting"})

    assert {d.kind for d in response.context["page"]} == {
        DocumentKind.APPROVAL,
        DocumentKind.MEETING_MINUTES,
    }


def test_the_list_filters_by_call(auditor):
    call = FundingCallFactory()
    wanted = FundingApplicationFactory(state="group_review", call=call)
    FundingApplicationFactory(state="group_review")

    response = auditor.get(reverse(LIST), {"call": call.pk})

    assert _numbers(response) == [_number(wanted, DocumentKind.ACCEPTANCE)]


def test_the_list_filters_by_the_date_of_the_document(auditor):
    old = FundingApplicationFactory(state="group_review")
    FundingApplicationFactory(state="group_review")
    Document.objects.filter(application=old).update(issued_on=datetime.date(2025, 3, 1))

    response = auditor.get(reverse(LIST), {"since": "2025-01-01", "until": "2025-12-31"})

    assert _numbers(response) == [_number(old, DocumentKind.ACCEPTANCE)]


def test_a_period_that_ends_before_it_starts_lists_nothing_and_says_why(auditor):
    FundingApplicationFactory(state="group_review")

    response = auditor.get(reverse(LIST), {"since": "2026-12-01", "until": "2026-11-01"})

    assert (_numbers(response), "until" in response.context["filter"].errors) == ([], True)


def test_the_list_sorts_by_number_both_ways(auditor):
    FundingApplicationFactory(state="meeting_review")

    ascending = _numbers(auditor.get(reverse(LIST), {"sort": "number"}))
    descending = _numbers(auditor.get(reverse(LIST), {"sort": "-number"}))

    assert (len(ascending), ascending) == (2, descending[::-1])


def test_an_applicant_sees_only_their_organisations_documents_and_no_minutes():
    mine = FundingApplicationFactory(state="approved")
    FundingApplicationFactory(state="group_review")

    response = signed_in(mine.created_by).get(reverse(LIST))

    assert {d.application_id for d in response.context["page"]} == {mine.pk}


def test_an_officer_never_sees_another_departments_documents_in_the_list_or_its_export():
    own = FundingApplicationFactory(state="group_review", title="光刻胶")
    FundingApplicationFactory(state="group_review", title="光刻机")
    client = signed_in(own.people.lead_officer)

    listed = _numbers(client.get(reverse(LIST), {"q": "光刻"}))
    exported = [r["文号"] for r in csv_rows(client.get(reverse(EXPORT), {"q": "光刻"}))]

    number = _number(own, DocumentKind.ACCEPTANCE)
    assert (listed, exported) == ([number], [number])


def test_a_ready_document_has_its_download_link(auditor):
    application = FundingApplicationFactory(state="group_review")
    document = Document.objects.get(application=application)
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.READY)

    page = auditor.get(reverse(LIST)).content.decode()

    assert reverse("document-download", args=[document.pk]) in page


def test_a_document_still_rendering_shows_its_status_instead_of_a_link(auditor):
    FundingApplicationFactory(state="group_review")

    body = auditor.get(reverse(LIST)).content.decode().split("<tbody>")[1]

    assert ("生成中" in body, "/download/" in body) == (True, False)


def test_the_export_carries_the_filters_and_is_written_to_the_access_log():
    auditor = make_user("auditor")
    application = FundingApplicationFactory(state="meeting_review")

    response = signed_in(auditor).get(
        reverse(EXPORT), {"kind": DocumentKind.REVIEW_OPINION, "format": "csv"}
    )

    rows = csv_rows(response)
    event = AccessEvent.objects.get(kind=AccessKind.EXPORTED)
    assert [(r["文号"], r["签发环节"]) for r in rows] == [
        (_number(application, DocumentKind.REVIEW_OPINION), "审核工作小组")
    ]
    assert (event.username, "kind=review_opinion" in event.detail) == (auditor.username, True)


def test_the_documents_export_to_excel():
    application = FundingApplicationFactory(state="group_review")

    response = signed_in(make_user("auditor")).get(reverse(EXPORT), {"format": "xlsx"})

    rows = xlsx_rows(response)
    assert [(r[0], r[1]) for r in rows[1:]] == [
        (_number(application, DocumentKind.ACCEPTANCE), "受理通知书")
    ]


@pytest.fixture
def many():
    """Sixty documents of one approved request, written in bulk a second apart, newest
    first."""
    application = FundingApplicationFactory(state="approved")
    Document.objects.all().delete()
    entries = list(application.audit_entries.order_by("seq"))
    pairs = itertools.islice(itertools.product(entries, DocumentKind.values), 60)
    base = timezone.now() - datetime.timedelta(days=1)
    Document.objects.bulk_create(
        Document(
            number=f"京测〔2026〕{n}号",
            kind=kind,
            year=2026,
            serial=n,
            issued_on=base.date(),
            application=application,
            audit_entry=entry,
            created_at=base + datetime.timedelta(seconds=n),
        )
        for n, (entry, kind) in enumerate(pairs, 1)
    )
    return [f"京测〔2026〕{n}号" for n in range(60, 0, -1)]


def test_the_pages_of_the_list_follow_each_other_without_gaps(auditor, many):
    seen, response = [], auditor.get(reverse(LIST))
    while True:
        seen += _numbers(response)
        if not response.context["page"].has_next:
            break
        response = auditor.get(f"{reverse(LIST)}?{response.context['next_link']}")

    assert seen == many


def test_the_last_page_holds_the_oldest_documents(auditor, many):
    response = auditor.get(reverse(LIST), {"last": "1"})

    assert (_numbers(response), response.context["page"].has_previous) == (many[-50:], True)


def test_the_navigation_links_the_documents_list_for_an_applicant():
    application = FundingApplicationFactory()

    page = signed_in(application.created_by).get(reverse("home")).content.decode()

    assert f'href="{reverse(LIST)}"' in page


def test_the_list_reads_in_english_for_a_browser_that_asks_for_it(auditor):
    FundingApplicationFactory(state="group_review")

    page = auditor.get(reverse(LIST), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert ("Issued by" in page, "Being prepared" in page, "签发环节" in page) == (
        True,
        True,
        False,
    )
