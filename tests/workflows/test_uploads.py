"""Attachments are judged by their structure, and uploads are limited while they stream in."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import (
    BOUNDARY,
    MULTIPART_CONTENT,
    ClientHandler,
    RequestFactory,
    encode_multipart,
)
from django.urls import reverse

from tests import files
from tests.factories import FundingApplicationFactory
from workflows import drafts
from workflows.errors import InvalidInput
from workflows.models import Attachment

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _attach(name: str, content: bytes) -> Attachment:
    application = FundingApplicationFactory()
    return drafts.add_attachment(
        application_id=application.pk,
        actor=application.people.applicant,
        kind="other",
        upload=SimpleUploadedFile(name, content),
    )


def _refusal(name: str, content: bytes) -> str:
    with pytest.raises(InvalidInput) as refused:
        _attach(name, content)
    assert not Attachment.objects.exists()
    return str(refused.value.message)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("批复.pdf", files.PDF, "application/pdf"),
        ("扫描件.png", files.PNG, "image/png"),
        ("扫描件.jpg", files.JPEG, "image/jpeg"),
        (
            "方案.docx",
            files.DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "预算.xlsx",
            files.XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx"],
)
def test_a_well_formed_file_of_each_allowed_type_is_attached(name, content, content_type):
    assert _attach(name, content).content_type == content_type


def test_a_pdf_that_is_also_a_web_page_is_refused():
    polyglot = files.PDF.replace(b"%%EOF", HTML + b"\n%%EOF")

    assert "HTML" in _refusal("批复.pdf", polyglot)


def test_a_file_that_only_starts_like_a_pdf_is_refused():
    assert "PDF" in _refusal("批复.pdf", b"%PDF-1.7\n" + HTML.replace(b"<", b"[") * 10)


def test_a_truncated_png_is_refused():
    assert "PNG" in _refusal("扫描件.png", files.PNG[: len(files.PNG) // 2])


def test_a_png_with_a_web_page_appended_is_refused():
    assert "HTML" in _refusal("扫描件.png", files.PNG + HTML)


def test_a_zip_that_is_not_a_word_document_is_refused():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "not a document")

    assert "Word" in _refusal("方案.docx", archive.getvalue())


def test_a_word_97_file_that_is_no_ole_container_is_refused():
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600

    assert "Word" in _refusal("方案.doc", fake)


def test_an_upload_past_the_limit_is_refused_before_it_is_read_in_full(settings):
    settings.ATTACHMENT_MAX_BYTES = 20 * 2**20
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.pdf", b"0" * 25 * 2**20)})
    stream = _CountingStream(body)
    environ = RequestFactory()._base_environ(
        PATH_INFO=reverse("document-verify"),
        REQUEST_METHOD="POST",
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": stream},
    )

    response = ClientHandler(enforce_csrf_checks=False)(environ)

    assert response.status_code == 413
    assert stream.read_bytes < 2**20


def test_a_file_that_grows_past_the_limit_is_refused_while_it_streams_in(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 2**20
    application = FundingApplicationFactory()
    client.force_login(application.people.applicant)
    big = files.PDF + b"0" * (2**20 + 1)

    response = client.post(
        reverse("attachment-upload", args=[application.pk]),
        {"kind": "plan", "file": SimpleUploadedFile("方案.pdf", big)},
    )

    assert response.status_code == 413
    assert "1 MB" in response.content.decode()
    assert not Attachment.objects.exists()


class _CountingStream(io.BytesIO):
    """A request body that counts how much of it the server read."""

    read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.read_bytes += len(line)
        return line
