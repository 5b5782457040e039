"""Decision documents: one numbered PDF per approval, return and rejection, rendered after the
decision commits, stored with its hash, and never able to undo or duplicate the decision."""

import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from approvals import meetings
from approvals.meetings import Resolution
from documents import services as document_services
from documents.models import Document
from documents.numerals import amount_in_chinese_capitals, format_yuan
from documents.render import RenderError
from tests.factories import (
    FundingApplicationFactory,
    claim_open_task,
    formal_check,
    resolve_at_meeting,
)
from workflows import submission
from workflows.errors import InvalidInput
from workflows.models import FundingApplication

pytestmark = pytest.mark.django_db

AMOUNT = Decimal("5234567.89")
RETURN_REASON = "请补充国家批复文件及预算书"
REJECT_REASON = "不符合本批次支持方向"
HOSTILE = '<img src="file:///etc/passwd">'


def approve(application):
    resolve_at_meeting(application, application.people, "approve", amount=AMOUNT)


def give_back(application):
    formal_check(application, application.people, "return", reason=RETURN_REASON)


def reject(application):
    formal_check(application, application.people, "reject", reason=REJECT_REASON)


# kind, the state the decision is taken in, the decision, the title printed on the document
DECISIONS = [
    pytest.param("approval", "meeting_review", approve, "配套资金批复", id="approve"),
    pytest.param("return_notice", "lead_review", give_back, "退回修改通知书", id="return"),
    pytest.param("rejection", "lead_review", reject, "不予支持通知书", id="reject"),
]


def _decided(state, decide, capture):
    application = FundingApplicationFactory(state=state)
    with capture(execute=True):
        decide(application)
    return application


DECISIONS_WITH_NOTICES = ["approve", "return_for_revision", "reject"]


def _documents(application):
    """The documents issued for the application's latest approval, return or rejection
    (originals, not translations)."""
    entry = application.audit_entries.filter(transition__in=DECISIONS_WITH_NOTICES).latest("seq")
    return Document.objects.filter(audit_entry=entry, translation_of__isnull=True)


def _text(document) -> str:
    with document.file.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", "", text)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- one document per decision -----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "state", "decide", "title"), DECISIONS)
def test_a_decision_creates_exactly_one_document_of_its_kind(
    kind, state, decide, title, django_capture_on_commit_callbacks
):
    application = _decided(state, decide, django_capture_on_commit_callbacks)

    assert list(_documents(application).values_list("kind", flat=True)) == [kind]


@pytest.mark.parametrize(("kind", "state", "decide", "title"), DECISIONS)
def test_a_documents_number_follows_the_pattern_for_its_kind_and_year(
    kind, state, decide, title, django_capture_on_commit_callbacks
):
    application = _decided(state, decide, django_capture_on_commit_callbacks)

    document = _documents(application).get()
    assert document.year == timezone.localtime(document.audit_entry.at).year
    assert document.number == settings.DOCUMENT_NUMBER_PATTERNS[kind].format(
        year=document.year, serial=document.serial
    )


@pytest.mark.parametrize(("kind", "state", "decide", "title"), DECISIONS)
def test_a_rendered_document_is_ready_and_its_hash_matches_the_stored_file(
    kind, state, decide, title, django_capture_on_commit_callbacks
):
    application = _decided(state, decide, django_capture_on_commit_callbacks)

    document = _documents(application).get()
    with document.file.open("rb") as pdf:
        content = pdf.read()
    assert document.status == "ready"
    assert content.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)


@pytest.mark.parametrize(("kind", "state", "decide", "title"), DECISIONS)
def test_a_documents_text_carries_its_title_and_number(
    kind, state, decide, title, django_capture_on_commit_callbacks
):
    application = _decided(state, decide, django_capture_on_commit_callbacks)

    document = _documents(application).get()
    text = _text(document)
    assert title in text
    assert _squeezed(document.number) in text
    assert application.national_task_code in text


def test_an_approval_states_the_amount_in_figures_and_in_capitals(
    django_capture_on_commit_callbacks,
):
    application = _decided("meeting_review", approve, django_capture_on_commit_callbacks)

    text = _text(_documents(application).get())

    assert format_yuan(AMOUNT) in text
    assert amount_in_chinese_capitals(AMOUNT) in text
    assert "大写" in text


@pytest.mark.parametrize(
    ("decide", "reason"),
    [(give_back, RETURN_REASON), (reject, REJECT_REASON)],
    ids=["return", "reject"],
)
def test_a_return_or_rejection_notice_states_the_reason(
    decide, reason, django_capture_on_commit_callbacks
):
    application = _decided("lead_review", decide, django_capture_on_commit_callbacks)

    assert reason in _text(_documents(application).get())


def test_the_pdf_carries_the_machine_readable_decision_record(django_capture_on_commit_callbacks):
    import json

    application = _decided("meeting_review", approve, django_capture_on_commit_callbacks)
    document = _documents(application).get()

    with document.file.open("rb") as pdf:
        attachments = PdfReader(io.BytesIO(pdf.read())).attachments
    record = json.loads(attachments["decision.json"][0])
    assert (record["number"], record["amount"]) == (document.number, "5234567.89")
    assert record["audit_hash"] == document.audit_entry.entry_hash


@pytest.mark.parametrize("state", ["lead_review", "deferred", "withdrawn"])
def test_submitting_receiving_deferring_and_withdrawing_issue_no_document(state):
    application = FundingApplicationFactory(state=state)
    silent = ["submit", "receive", "defer", "withdraw"]

    assert not Document.objects.filter(
        application=application, audit_entry__transition__in=silent
    ).exists()


def test_a_resubmission_issues_no_document():
    application = FundingApplicationFactory(state="returned_by_lead")

    submission.resubmit_application(
        application_id=application.pk, actor=application.people.applicant
    )

    assert not Document.objects.filter(audit_entry__transition="resubmit").exists()


# --- after commit ----------------------------------------------------------------------------


def test_the_document_is_numbered_with_the_decision_but_rendered_only_after_commit(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="lead_review")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        give_back(application)

    document = _documents(application).get()
    assert (document.status, document.file.name, document.sha256) == ("pending", "", "")
    assert callbacks, "rendering must wait for the commit"


def test_running_the_render_twice_leaves_one_document_and_one_file(
    django_capture_on_commit_callbacks, private_storage
):
    application = _decided("lead_review", reject, django_capture_on_commit_callbacks)
    document = _documents(application).get()

    again = document_services.render_document(document.pk)

    assert (again.pk, again.sha256, again.file.name) == (
        document.pk,
        document.sha256,
        document.file.name,
    )
    assert _documents(application).count() == 1
    assert len(list(private_storage.rglob("*.pdf"))) == 1


def test_a_render_failure_leaves_the_decision_committed_and_the_document_failed(
    monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RenderError("字体缺失，无法排版", transient=False)

    monkeypatch.setattr(document_services, "render_pdf", broken)

    application = _decided("meeting_review", approve, django_capture_on_commit_callbacks)

    application = FundingApplication.objects.get(pk=application.pk)
    document = _documents(application).get()
    assert application.status == "approved"
    assert application.audit_entries.filter(transition="approve").count() == 1
    assert document.status == "failed"
    assert "字体缺失" in document.last_error
    assert document.file.name == ""


def test_a_failed_document_is_not_offered_for_download(
    monkeypatch, client, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        document_services,
        "render_pdf",
        lambda *a, **k: (_ for _ in ()).throw(RenderError("x", transient=False)),
    )
    application = _decided("lead_review", reject, django_capture_on_commit_callbacks)
    document = _documents(application).get()
    client.force_login(application.people.applicant)

    response = client.get(reverse("document-download", args=[document.pk]))

    assert response.status_code == 404


# --- numbering -------------------------------------------------------------------------------


def test_numbers_are_gapless_and_unique_across_many_decisions():
    for _ in range(3):
        application = FundingApplicationFactory(state="lead_review")
        people = application.people
        for _ in range(3):  # returned, resubmitted, claimed again: three return notices
            give_back(application)
            submission.resubmit_application(application_id=application.pk, actor=people.applicant)
            application = claim_open_task(application)
        reject(application)
    for _ in range(3):
        approve(FundingApplicationFactory(state="meeting_review"))

    originals = Document.objects.filter(translation_of__isnull=True)
    by_kind = {}
    for kind, serial in originals.values_list("kind", "serial"):
        by_kind.setdefault(kind, []).append(serial)
    for serials in by_kind.values():
        serials.sort()
        assert serials == list(range(serials[0], serials[0] + len(serials)))
    issued = {kind: len(by_kind[kind]) for kind in ("return_notice", "rejection", "approval")}
    assert issued == {"return_notice": 9, "rejection": 3, "approval": 3}
    numbers = list(originals.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_a_refused_decision_consumes_no_number():
    approve(FundingApplicationFactory(state="meeting_review"))
    refused = FundingApplicationFactory(state="meeting_review")
    secretary = refused.people.secretary
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=refused.call_id,
        held_on=timezone.localdate(),
        place="市政府会议室",
        chair="主管副市长",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[refused.pk])
    with pytest.raises(InvalidInput):
        meetings.record_resolutions(
            meeting_id=meeting.pk,
            actor=secretary,
            resolutions=[
                Resolution(refused.pk, "approve", refused.requested_amount + 1, "超出申请金额")
            ],
        )

    meetings.record_resolutions(
        meeting_id=meeting.pk,
        actor=secretary,
        resolutions=[Resolution(refused.pk, "approve", AMOUNT)],
    )

    approvals = Document.objects.filter(kind="approval", translation_of__isnull=True)
    serials = sorted(approvals.values_list("serial", flat=True))
    assert serials[1] == serials[0] + 1


# --- applicant text stays text ---------------------------------------------------------------


def test_markup_in_the_applicants_title_and_in_a_reason_is_printed_as_text(
    django_capture_on_commit_callbacks,
):
    application = FundingApplicationFactory(state="lead_review", title=f"课题{HOSTILE}")

    with django_capture_on_commit_callbacks(execute=True):
        formal_check(application, application.people, "reject", reason=f"理由{HOSTILE}")

    document = _documents(application).get()
    text = _text(document)
    assert document.status == "ready"
    assert text.count(_squeezed(HOSTILE)) == 2
    assert "root:" not in text
