"""Verifying a decision document: the public page (by number or file) and the command."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from documents.models import Document
from documents.signing import make_demo_certificate

from .issued import accepted, pdf_bytes, the_document

pytestmark = pytest.mark.django_db

VERIFY = reverse("document-verify")


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def issued(django_capture_on_commit_callbacks):
    return the_document(
        accepted(django_capture_on_commit_callbacks, title="量子测量仪器产业化"), "acceptance"
    )


@pytest.fixture
def signed(settings, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "demo.p12"
    make_demo_certificate(path, passphrase="pw", common_name="测试签发机关")
    settings.DOCUMENT_SIGNING_PKCS12 = str(path)
    settings.DOCUMENT_SIGNING_PASSPHRASE = "pw"
    return the_document(accepted(django_capture_on_commit_callbacks), "acceptance")


def _page(response) -> str:
    return response.content.decode()


def _upload(client, content: bytes):
    upload = io.BytesIO(content)
    upload.name = "received.pdf"
    return client.post(VERIFY, {"file": upload})


def _tamper_stored_file(document: Document, content: bytes) -> None:
    """What an intruder with write access to storage and database would do."""
    with document.file.open("wb") as stored:
        stored.write(content)
    Document.objects.filter(pk=document.pk).update(sha256=hashlib.sha256(content).hexdigest())


# --- the public page -------------------------------------------------------------------------


def test_anybody_can_verify_a_genuine_number_without_logging_in(client, issued):
    page = _page(client.get(VERIFY, {"number": issued.number}))

    assert "核验通过" in page
    assert issued.number in page


def test_the_page_shows_the_kind_date_and_issuing_body_of_a_genuine_document(
    client, issued, settings
):
    page = _page(client.get(VERIFY, {"number": issued.number}))

    assert "受理通知书" in page
    assert issued.issued_on.isoformat() in page
    assert settings.PROGRAMME_ISSUER in page


def test_the_page_shows_anonymous_users_no_applicant_data(client, issued):
    page = _page(client.get(VERIFY, {"number": issued.number}))

    application = issued.application
    assert application.organisation.name not in page
    assert application.title not in page
    assert application.national_task_code not in page


def test_an_unknown_number_is_not_verified(client, issued):
    page = _page(client.get(VERIFY, {"number": "京科配〔2026〕999号"}))

    assert "核验未通过" in page
    assert "查无此文号的文书" in page


def test_an_uploaded_genuine_file_is_verified(client, issued):
    page = _page(_upload(client, pdf_bytes(issued)))

    assert "核验通过" in page
    assert issued.number in page


def test_an_uploaded_file_altered_by_one_byte_is_not_verified(client, issued):
    content = bytearray(pdf_bytes(issued))
    content[len(content) // 2] ^= 0x01

    page = _page(_upload(client, bytes(content)))

    assert "核验未通过" in page
    assert issued.number not in page


def test_a_stored_file_altered_after_issue_fails_verification_by_number(client, issued):
    with issued.file.open("wb") as stored:
        stored.write(pdf_bytes(issued).replace(b"%PDF-1.7", b"%PDF-1.6", 1))

    page = _page(client.get(VERIFY, {"number": issued.number}))

    assert "存档文件与签发时的哈希不符" in page


def test_a_signed_document_shows_its_valid_signature(client, signed):
    page = _page(client.get(VERIFY, {"number": signed.number}))

    assert "核验通过" in page
    assert "电子签名" in page


def test_a_signed_file_altered_with_a_matching_hash_fails_on_its_signature(client, signed):
    altered = pdf_bytes(signed).replace(b"/Producer", b"/Producor", 1)
    _tamper_stored_file(signed, altered)

    page = _page(client.get(VERIFY, {"number": signed.number}))

    assert "电子签名无效" in page


def test_a_client_over_the_rate_limit_is_refused_with_429(client, issued, settings):
    settings.DOCUMENT_VERIFY_RATE_LIMIT = 3
    for _ in range(3):
        assert client.get(VERIFY, {"number": issued.number}).status_code == 200

    response = client.get(VERIFY, {"number": issued.number})

    assert (response.status_code, response["Retry-After"]) == (429, "60")


def test_the_rate_limit_counts_each_client_address_apart(client, issued, settings):
    settings.DOCUMENT_VERIFY_RATE_LIMIT = 1
    client.get(VERIFY, {"number": issued.number}, REMOTE_ADDR="192.0.2.1")

    response = client.get(VERIFY, {"number": issued.number}, REMOTE_ADDR="192.0.2.2")

    assert response.status_code == 200


def test_the_empty_form_is_not_counted_against_the_limit(client, settings):
    settings.DOCUMENT_VERIFY_RATE_LIMIT = 1
    for _ in range(3):
        assert client.get(VERIFY).status_code == 200


# --- the command -----------------------------------------------------------------------------


def test_verify_document_accepts_a_genuine_file_and_says_what_it_is(issued, tmp_path):
    path = tmp_path / "received.pdf"
    path.write_bytes(pdf_bytes(issued))
    out = io.StringIO()

    call_command("verify_document", str(path), stdout=out)

    (line,) = out.getvalue().splitlines()
    assert line.startswith("真实有效：")
    assert issued.number in line


def test_verify_document_accepts_a_genuine_number(issued):
    out = io.StringIO()

    call_command("verify_document", issued.number, stdout=out)

    assert issued.number in out.getvalue()


def test_verify_document_exits_non_zero_for_an_altered_file_with_one_line_why(issued, tmp_path):
    path = tmp_path / "received.pdf"
    path.write_bytes(pdf_bytes(issued) + b"\n% appended")

    with pytest.raises(CommandError) as refused:
        call_command("verify_document", str(path))

    assert refused.value.returncode == 1
    assert str(refused.value) == "该文件不是本系统签发的文书，或已被修改。"


def test_verify_document_exits_non_zero_for_a_signed_file_with_a_broken_signature(signed):
    _tamper_stored_file(signed, pdf_bytes(signed).replace(b"/Producer", b"/Producor", 1))

    with pytest.raises(CommandError, match="电子签名无效") as refused:
        call_command("verify_document", signed.number)

    assert refused.value.returncode == 1
