"""Applicant and reviewer text in every kind of decision document stays text: markup in a
title, a reason or a resolution is printed literally, and rendering fetches nothing."""

from __future__ import annotations

import re

import pytest

from approvals.models import CheckItem

from .hostile import hostile_vectors
from .issued import (
    accepted,
    approved,
    decided_by_group,
    meeting_with_agenda,
    minutes_of,
    pdf_text,
    rejected_by_lead,
    resolve,
    returned_by_lead,
    squeezed,
    the_document,
)

pytestmark = pytest.mark.django_db

FOOTER = re.compile(r"文号：[^：]*?验证：.*?第\d+页共\d+页")
# The title holds at most 200 characters: three vectors that would read a file or connect.
TITLE_VECTORS = ("img-file", "iframe", "svg-image")


def _title(port: int) -> str:
    vectors = hostile_vectors(port)
    return "".join(vectors[name] for name in TITLE_VECTORS)


def _reason(port: int) -> str:
    return "\n".join(hostile_vectors(port).values())


def _printed_literally(text: str, port: int, *, vectors=None) -> list[str]:
    """The vectors that do not appear as text (page footers cut out: a page may break inside
    a vector)."""
    text = FOOTER.sub("", text)
    every = hostile_vectors(port)
    return [name for name in vectors or every if squeezed(every[name]) not in text]


def test_markup_in_the_title_is_printed_literally_on_an_acceptance_notice(
    listener, django_capture_on_commit_callbacks
):
    application = accepted(django_capture_on_commit_callbacks, title=_title(listener.port))

    text = pdf_text(the_document(application, "acceptance"))
    assert _printed_literally(text, listener.port, vectors=TITLE_VECTORS) == []
    assert listener.connections() == 0


def test_markup_in_the_acceptance_remarks_is_printed_literally(
    listener, django_capture_on_commit_callbacks
):
    application = accepted(django_capture_on_commit_callbacks, reason=_reason(listener.port))

    assert (
        _printed_literally(pdf_text(the_document(application, "acceptance")), listener.port) == []
    )
    assert listener.connections() == 0


def test_markup_in_structured_return_reasons_is_printed_literally(
    listener, django_capture_on_commit_callbacks
):
    # Every item of the check list fails, its note carrying a share of the vectors.
    vectors = list(hostile_vectors(listener.port).values())
    items = CheckItem.values
    reasons = [
        {"item": item, "text": "\n".join(vectors[i :: len(items)])} for i, item in enumerate(items)
    ]
    application = returned_by_lead(
        django_capture_on_commit_callbacks, reasons=reasons, title=_title(listener.port)
    )

    text = pdf_text(the_document(application, "return_notice"))
    assert _printed_literally(text, listener.port) == []
    assert listener.connections() == 0


def test_markup_in_a_rejection_reason_is_printed_literally(
    listener, django_capture_on_commit_callbacks
):
    application = rejected_by_lead(
        django_capture_on_commit_callbacks, reason=_reason(listener.port)
    )

    assert _printed_literally(pdf_text(the_document(application, "rejection")), listener.port) == []
    assert listener.connections() == 0


def test_markup_in_the_groups_opinion_is_printed_literally(
    listener, django_capture_on_commit_callbacks
):
    application = decided_by_group(
        django_capture_on_commit_callbacks,
        "recommend",
        reason=_reason(listener.port),
        title=_title(listener.port),
    )

    text = pdf_text(the_document(application, "review_opinion"))
    assert _printed_literally(text, listener.port) == []
    assert listener.connections() == 0


def test_markup_in_titles_and_resolutions_is_printed_literally_in_the_minutes(
    listener, django_capture_on_commit_callbacks
):
    meeting, secretary = meeting_with_agenda(1, title=_title(listener.port))
    resolve(
        django_capture_on_commit_callbacks, meeting, secretary, [("reject", _reason(listener.port))]
    )

    assert _printed_literally(pdf_text(minutes_of(meeting)), listener.port) == []
    assert listener.connections() == 0


def test_markup_in_the_meetings_remarks_is_printed_literally_on_the_approval(
    listener, django_capture_on_commit_callbacks
):
    application = approved(
        django_capture_on_commit_callbacks,
        reason=_reason(listener.port),
        title=_title(listener.port),
    )

    assert _printed_literally(pdf_text(the_document(application, "approval")), listener.port) == []
    assert listener.connections() == 0


def test_no_local_file_is_read_into_any_document(listener, django_capture_on_commit_callbacks):
    application = rejected_by_lead(
        django_capture_on_commit_callbacks,
        reason=_reason(listener.port),
        title=_title(listener.port),
    )

    assert "root:" not in pdf_text(the_document(application, "rejection"))
