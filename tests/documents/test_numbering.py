"""Document numbers (文号): per kind and year, from the configured pattern, unique and gapless
even when many decisions are recorded at once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from documents.models import Document
from tests.factories import FundingApplicationFactory, formal_check

from .issued import accepted, decided_by_group, the_document

CONCURRENT_DECISIONS = 12


@pytest.mark.django_db
def test_a_number_follows_the_configured_pattern_of_its_kind(
    settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_NUMBER_PATTERNS = {
        **settings.DOCUMENT_NUMBER_PATTERNS,
        "acceptance": "测科受〔{year}〕{serial:03d}号",
    }

    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert document.number == f"测科受〔{document.year}〕001号"


@pytest.mark.django_db
def test_each_kind_counts_on_its_own(django_capture_on_commit_callbacks):
    accepted(django_capture_on_commit_callbacks)
    application = decided_by_group(django_capture_on_commit_callbacks, "recommend")

    assert (
        the_document(application, "acceptance").serial,
        the_document(application, "review_opinion").serial,
    ) == (2, 1)


@pytest.mark.django_db
def test_numbering_starts_again_at_one_in_a_new_year(
    monkeypatch, django_capture_on_commit_callbacks
):
    accepted(django_capture_on_commit_callbacks)
    new_year = datetime.datetime(
        2031, 1, 1, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )
    application = FundingApplicationFactory(state="lead_review")
    monkeypatch.setattr(timezone, "now", lambda: new_year)  # the clock

    with django_capture_on_commit_callbacks(execute=False):
        formal_check(application, application.people, "accept")

    document = the_document(application, "acceptance")
    assert (document.year, document.serial, document.number) == (2031, 1, "京科配受〔2031〕1号")


@pytest.mark.django_db
def test_the_date_of_issue_is_the_day_of_the_decision_in_beijing(
    monkeypatch, django_capture_on_commit_callbacks
):
    # 16:30 UTC on 31 December is already 1 January in Beijing.
    late = datetime.datetime(2030, 12, 31, 16, 30, tzinfo=datetime.UTC)
    application = FundingApplicationFactory(state="lead_review")
    monkeypatch.setattr(timezone, "now", lambda: late)

    with django_capture_on_commit_callbacks(execute=False):
        formal_check(application, application.people, "accept")

    assert the_document(application, "acceptance").issued_on == datetime.date(2031, 1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_and_gapless_when_many_decisions_are_recorded_at_once():
    applications = [
        FundingApplicationFactory(state="lead_review") for _ in range(CONCURRENT_DECISIONS)
    ]
    barrier = threading.Barrier(len(applications))
    errors = []

    def decide(application):
        barrier.wait()
        try:
            formal_check(application, application.people, "accept")
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    serials = sorted(Document.objects.filter(kind="acceptance").values_list("serial", flat=True))
    numbers = set(Document.objects.filter(kind="acceptance").values_list("number", flat=True))
    assert errors == []
    assert serials == list(range(1, CONCURRENT_DECISIONS + 1))
    assert len(numbers) == CONCURRENT_DECISIONS
