from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import files
from tests.factories import FundingApplicationFactory
from workflows import drafts, submission
from workflows.errors import InvalidInput
from workflows.models import Status

pytestmark = pytest.mark.django_db


def _requiring(*kinds: str):
    application = FundingApplicationFactory()
    application.call.required_attachment_kinds = list(kinds)
    application.call.save(update_fields=["required_attachment_kinds"])
    return application


def _attach(application, kind: str) -> None:
    drafts.add_attachment(
        application_id=application.pk,
        actor=application.created_by,
        kind=kind,
        upload=SimpleUploadedFile("f.pdf", files.PDF, content_type="application/pdf"),
    )


def test_submission_is_refused_with_the_list_of_missing_attachments():
    application = _requiring("national_approval", "budget")
    _attach(application, "national_approval")

    with pytest.raises(InvalidInput) as refused:
        submission.submit_application(application_id=application.pk, actor=application.created_by)

    assert "预算书" in str(refused.value.message)
    assert "国家批复文件" not in str(refused.value.message)


def test_a_refused_submission_leaves_the_request_a_draft():
    application = _requiring("plan")

    with pytest.raises(InvalidInput):
        submission.submit_application(application_id=application.pk, actor=application.created_by)

    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_submission_goes_through_once_every_required_attachment_is_there():
    application = _requiring("national_approval", "budget")
    _attach(application, "national_approval")
    _attach(application, "budget")

    submission.submit_application(application_id=application.pk, actor=application.created_by)

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_a_call_requiring_nothing_accepts_a_request_without_attachments():
    application = _requiring()

    submission.submit_application(application_id=application.pk, actor=application.created_by)

    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
