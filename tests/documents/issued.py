"""Decisions that issue documents, and ways to read what was issued (shared by the tests of
the document set, archival, signing, verification and rendering)."""

from __future__ import annotations

import datetime
import io
import json
import re
from decimal import Decimal

from pypdf import PdfReader

from approvals import group_review, lead_review, meetings
from approvals.meetings import Resolution
from approvals.models import GroupRecommendation
from documents.models import Document
from tests.factories import (
    CHECKS_PASSED,
    FundingApplicationFactory,
    FundingCallFactory,
    make_user,
    resolve_at_meeting,
    score_by_experts,
)
from workflows import assignments
from workflows.models import FundingApplication

APPROVED = Decimal("5000000.00")
RECOMMENDED = Decimal("6000000.00")

# A policy assessment as approvals.policy stores it with a recommendation (amounts as text).
ASSESSMENT = {
    "policy": {"name": "示例配套政策", "version": "2026.1", "content_hash": "ab" * 32},
    "eligible": True,
    "amount": "5000000.00",
    "by_department": [
        {
            "code": "kw",
            "name_zh": "市科委",
            "name_en": "Science Commission",
            "amount": "3000000.00",
        },
        {"code": "jxj", "name_zh": "市经信局", "name_en": "Economy Bureau", "amount": "2000000.00"},
    ],
    "by_form": {"grant": "4000000.00", "equity": "1000000.00"},
    "explanation": [
        {
            "title_zh": "配套比例",
            "text_zh": "【配套比例】中央财政资金 20,000,000.00 元 × 25% = 5,000,000.00 元",
            "text_en": "[matching ratio] national funding 20,000,000.00 × 25% = 5,000,000.00",
        }
    ],
}


def documents_of(application: FundingApplication, kind: str) -> list[Document]:
    return list(
        Document.objects.filter(
            application=application, kind=kind, translation_of__isnull=True
        ).order_by("id")
    )


def the_document(application: FundingApplication, kind: str) -> Document:
    (document,) = documents_of(application, kind)
    return document


def pdf_bytes(document: Document) -> bytes:
    document.refresh_from_db()
    with document.file.open("rb") as stored:
        return stored.read()


def pdf_text(document: Document) -> str:
    """The document's text without whitespace (line breaks fall anywhere in CJK text)."""
    reader = PdfReader(io.BytesIO(pdf_bytes(document)))
    return squeezed("".join(page.extract_text() for page in reader.pages))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def embedded_record(document: Document) -> dict:
    attachments = PdfReader(io.BytesIO(pdf_bytes(document))).attachments
    return json.loads(attachments["decision.json"][0])


# --- decisions -------------------------------------------------------------------------------


def check_list(reasons: list[dict] | None = None) -> dict[str, dict]:
    """The formal check list with every item passed, but for each of ``reasons``
    (``{"item": ..., "text": ...}``), whose item failed with the text as its note."""
    items = {item: dict(result) for item, result in CHECKS_PASSED.items()}
    for reason in reasons or []:
        items[reason["item"]] = {"passed": False, "note": reason["text"]}
    return items


def accepted(capture, *, reason: str = "", **application_fields) -> FundingApplication:
    """An application the lead officer accepted for review (with ``reason`` as remarks)."""
    application = FundingApplicationFactory(state="lead_review", **application_fields)
    with capture(execute=True):
        lead_review.record_formal_check(
            application_id=application.pk,
            actor=application.people.lead_officer,
            decision="accept",
            items=CHECKS_PASSED,
            reason=reason,
        )
    return application


def returned_by_lead(capture, *, reasons: list[dict], reason: str = "", **fields):
    """An application the lead officer returned, the check list failing on ``reasons``."""
    application = FundingApplicationFactory(state="lead_review", **fields)
    with capture(execute=True):
        lead_review.record_formal_check(
            application_id=application.pk,
            actor=application.people.lead_officer,
            decision="return",
            items=check_list(reasons),
            reason=reason,
        )
    return application


def rejected_by_lead(capture, *, reason: str, **fields) -> FundingApplication:
    """An application the lead officer rejected with ``reason``, every check item passed."""
    application = FundingApplicationFactory(state="lead_review", **fields)
    with capture(execute=True):
        lead_review.record_formal_check(
            application_id=application.pk,
            actor=application.people.lead_officer,
            decision="reject",
            items=CHECKS_PASSED,
            reason=reason,
        )
    return application


def decided_by_group(
    capture,
    decision: str,
    *,
    reason: str = "小组意见",
    assessment: dict | None = None,
    amount: Decimal | None = RECOMMENDED,
    scores: int = 80,
    **fields,
) -> FundingApplication:
    """The review group's chair records ``decision`` after every expert scored ``scores``.

    With ``assessment``, the recommendation is stored as if a matching-fund policy had
    assessed it so (written before the documents are rendered, after the commit)."""
    application = FundingApplicationFactory(state="group_review", **fields)
    people = application.people
    score_by_experts(application, people, value=scores)
    assignments.claim_task(application_id=application.pk, actor=people.group_chair)
    with capture(execute=True):
        recommendation = group_review.record_group_recommendation(
            application_id=application.pk,
            actor=people.group_chair,
            decision=decision,
            amount=amount if decision == "recommend" else None,
            reason=reason,
        )
        if assessment is not None:
            GroupRecommendation.objects.filter(pk=recommendation.pk).update(assessment=assessment)
    return application


def approved(
    capture, *, amount: Decimal = APPROVED, reason: str = "", assessment=None, **fields
) -> FundingApplication:
    """An application recommended by the group (with ``assessment``, if any) and approved by
    a joint meeting with it alone on the agenda."""
    if assessment is None:
        application = FundingApplicationFactory(state="meeting_review", **fields)
    else:
        application = decided_by_group(
            capture, "recommend", assessment=assessment, amount=amount, **fields
        )
    people = application.people
    with capture(execute=True):
        resolve_at_meeting(application, people, "approve", amount=amount, reason=reason)
    application = FundingApplication.objects.get(pk=application.pk)
    application.people = people
    return application


def meeting_with_agenda(count: int, **application_fields):
    """A planned meeting whose agenda holds ``count`` requests the group recommended."""
    call = FundingCallFactory()
    for _ in range(count):
        FundingApplicationFactory(state="meeting_review", call=call, **application_fields)
    secretary = make_user("meeting_secretary")
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=call.pk,
        held_on=datetime.date(2026, 12, 1),
        place="市政府第一会议室",
        chair="分管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary)
    return meeting, secretary


def resolve(capture, meeting, secretary, decisions: list[tuple[str, str]]):
    """Record one resolution per agenda item, in agenda order: (decision, reason)."""
    items = list(meeting.items.order_by("position"))
    resolutions = [
        Resolution(
            item.application_id, decision, APPROVED if decision == "approve" else None, reason
        )
        for item, (decision, reason) in zip(items, decisions, strict=True)
    ]
    with capture(execute=True):
        meetings.record_resolutions(meeting_id=meeting.pk, actor=secretary, resolutions=resolutions)
    return items


def minutes_of(meeting) -> Document:
    return Document.objects.get(meeting=meeting, kind="meeting_minutes", translation_of=None)
