"""Archival form of issued documents: PDF/A-3b, fonts embedded, the decision's record inside."""

from __future__ import annotations

import io

import pikepdf
import pytest

from documents.content import TEMPLATE_FOR_KIND, template_version

from .issued import (
    ASSESSMENT,
    accepted,
    approved,
    embedded_record,
    meeting_with_agenda,
    minutes_of,
    pdf_bytes,
    resolve,
    the_document,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval(django_capture_on_commit_callbacks):
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)
    return the_document(application, "approval")


def test_an_issued_document_declares_pdf_a_3b_in_its_xmp_metadata(approval):
    with pikepdf.open(io.BytesIO(pdf_bytes(approval))) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"


def test_an_issued_document_embeds_every_font_it_uses(approval):
    with pikepdf.open(io.BytesIO(pdf_bytes(approval))) as pdf:
        descriptors = [
            font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
            for page in pdf.pages
            for font in page.Resources.Font.values()
        ]
        embedded = [
            any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            for descriptor in descriptors
        ]
    assert embedded and all(embedded)


def test_the_decision_record_is_an_associated_file_of_the_document(approval):
    with pikepdf.open(io.BytesIO(pdf_bytes(approval))) as pdf:
        associated = [str(spec.F) for spec in pdf.Root.AF]
        relationship = str(pdf.Root.AF[0].AFRelationship)
    assert (associated, relationship) == (["decision.json"], "/Data")


def test_the_approvals_record_states_application_transition_amounts_policy_and_audit_hash(
    approval,
):
    record = embedded_record(approval)

    entry = approval.audit_entry
    assert record["application_id"] == approval.application_id
    assert (record["transition"], record["amount"]) == ("approve", "5000000.00")
    assert record["by_form"] == {"grant": "4000000.00", "equity": "1000000.00"}
    assert record["policy"]["version"] == "2026.1"
    assert (record["audit_entry"], record["audit_hash"]) == (entry.seq, entry.entry_hash)


def test_the_record_states_the_structured_reasons_of_a_return(django_capture_on_commit_callbacks):
    from .issued import returned_by_lead

    reasons = [{"item": "attachments_complete", "text": "缺少营业执照"}]
    application = returned_by_lead(django_capture_on_commit_callbacks, reasons=reasons)

    record = embedded_record(the_document(application, "return_notice"))
    assert (record["transition"], record["reasons"]) == ("return_for_revision", reasons)


def test_the_minutes_record_lists_every_item_with_its_audit_hash(
    django_capture_on_commit_callbacks,
):
    meeting, secretary = meeting_with_agenda(2)
    items = resolve(
        django_capture_on_commit_callbacks, meeting, secretary, [("approve", ""), ("defer", "")]
    )

    record = embedded_record(minutes_of(meeting))
    listed = [
        (line["application_id"], line["transition"], line["amount"])
        for line in record["meeting"]["items"]
    ]
    assert listed == [
        (items[0].application_id, "approve", "5000000.00"),
        (items[1].application_id, "defer", None),
    ]
    assert all(len(line["audit_hash"]) == 64 for line in record["meeting"]["items"])


def test_a_document_keeps_the_version_of_the_template_it_was_rendered_from(
    django_capture_on_commit_callbacks,
):
    application = accepted(django_capture_on_commit_callbacks)

    document = the_document(application, "acceptance")
    assert document.template_version == template_version(TEMPLATE_FOR_KIND["acceptance"])
    assert embedded_record(document)["template_version"] == document.template_version
