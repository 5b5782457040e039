"""Editing a request and attaching files: only the applicant, only while it is theirs to edit."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import files
from tests.factories import FundingApplicationFactory, OrganisationFactory, make_user
from workflows import drafts
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import Attachment, FundingApplication

pytestmark = pytest.mark.django_db

TINY_PDF = files.PDF


def _edit(application, user, **data):
    return drafts.update_application(application_id=application.pk, actor=user, data=data)


def _attach(application, user, name="批复.pdf", content=TINY_PDF):
    return drafts.add_attachment(
        application_id=application.pk,
        actor=user,
        kind="national_approval",
        upload=SimpleUploadedFile(name, content),
    )


@pytest.mark.parametrize("state", ["draft", "returned_by_lead", "returned_by_meeting"])
def test_the_applicant_edits_a_draft_or_a_returned_request(state):
    application = FundingApplicationFactory(state=state)

    _edit(application, application.people.applicant, requested_amount=Decimal("7500000"))

    application.refresh_from_db()
    assert application.requested_amount == Decimal("7500000.00")


@pytest.mark.parametrize("state", ["submitted", "lead_review", "meeting_review", "approved"])
def test_a_request_under_review_or_decided_cannot_be_edited(state):
    application = FundingApplicationFactory(state=state)

    with pytest.raises(TransitionConflict):
        _edit(application, application.people.applicant, title="改过的名称")

    assert FundingApplication.objects.get(pk=application.pk).title == application.title


def test_another_organisation_cannot_edit_a_draft():
    application = FundingApplicationFactory()
    outsider = make_user("applicant", organisation=OrganisationFactory())

    with pytest.raises(NotAllowed):
        _edit(application, outsider, title="冒名修改")

    assert FundingApplication.objects.get(pk=application.pk).title == application.title


def test_a_reviewer_cannot_edit_a_returned_request():
    application = FundingApplicationFactory(state="returned_by_lead")

    with pytest.raises(NotAllowed):
        _edit(application, application.people.lead_officer, requested_amount=Decimal("1"))


def test_an_edit_that_breaks_a_rule_is_refused_and_nothing_is_saved():
    application = FundingApplicationFactory()

    with pytest.raises(InvalidInput):
        _edit(application, application.people.applicant, requested_amount=Decimal("30000000"))

    assert FundingApplication.objects.get(pk=application.pk).requested_amount == Decimal(
        "8000000.00"
    )


def test_an_edit_cannot_set_the_status():
    application = FundingApplicationFactory()

    with pytest.raises(InvalidInput):
        _edit(application, application.people.applicant, status="approved")

    assert FundingApplication.objects.get(pk=application.pk).status == "draft"


def test_an_attachment_keeps_its_name_size_type_and_hash_but_not_its_name_on_disk():
    application = FundingApplicationFactory()

    attachment = _attach(application, application.people.applicant, name="../../国家批复.pdf")

    assert (attachment.original_name, attachment.size, attachment.content_type) == (
        "国家批复.pdf",
        len(TINY_PDF),
        "application/pdf",
    )
    assert len(attachment.sha256) == 64
    assert "国家批复" not in attachment.file.name
    assert ".." not in attachment.file.name


@pytest.mark.parametrize("state", ["submitted", "lead_review", "approved"])
def test_nothing_can_be_attached_once_the_request_is_submitted(state):
    application = FundingApplicationFactory(state=state)

    with pytest.raises(TransitionConflict):
        _attach(application, application.people.applicant)

    assert not Attachment.objects.exists()


def test_another_organisation_cannot_attach_files_to_a_draft():
    application = FundingApplicationFactory()
    outsider = make_user("applicant", organisation=OrganisationFactory())

    with pytest.raises(NotAllowed):
        _attach(application, outsider)

    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00"),
        ("扫描件.pdf", b"\x89PNG\r\n\x1a\n"),
        ("报告.docx", b"%PDF-1.4"),
        ("无扩展名", TINY_PDF),
    ],
    ids=["an_executable", "a_png_named_pdf", "a_pdf_named_docx", "no_extension"],
)
def test_a_file_whose_name_or_content_is_not_allowed_is_refused(name, content):
    application = FundingApplicationFactory()

    with pytest.raises(InvalidInput):
        _attach(application, application.people.applicant, name=name, content=content)

    assert not Attachment.objects.exists()
