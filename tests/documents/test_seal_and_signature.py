"""The seal over the issuer and date, the demo signature's notice, and the verification page's
signer."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from documents.seal import is_png, make_demo_seal
from documents.signing import make_demo_certificate

from .issued import accepted, pdf_text, the_document

pytestmark = pytest.mark.django_db

PASSPHRASE = "demo-passphrase"


@pytest.fixture(scope="module")
def demo_certificate(tmp_path_factory):
    path = tmp_path_factory.mktemp("signing") / "demo.p12"
    make_demo_certificate(path, passphrase=PASSPHRASE, common_name="测试签发机关")
    return path


@pytest.fixture
def demo_signing(settings, demo_certificate):
    settings.DOCUMENT_SIGNING_PKCS12 = str(demo_certificate)
    settings.DOCUMENT_SIGNING_PASSPHRASE = PASSPHRASE


def test_a_document_signed_with_the_demo_certificate_says_it_is_demo_signed(
    demo_signing, django_capture_on_commit_callbacks
):
    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert "演示签名：本文书以演示证书签名" in pdf_text(document)


def test_an_unsigned_document_says_nothing_of_a_signature(django_capture_on_commit_callbacks):
    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert "签名" not in pdf_text(document)


def test_the_verification_page_names_the_signer_of_a_signed_document(
    client, demo_signing, django_capture_on_commit_callbacks
):
    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    response = client.get("/documents/verify/", {"number": document.number})
    assert "决定文书签发（演示）" in response.content.decode()


def test_a_seal_image_that_is_not_a_png_fails_the_document_and_says_why(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    fake = tmp_path / "seal.png"
    fake.write_bytes(b"%PDF-1.7 not an image")
    settings.DOCUMENT_SEAL_IMAGE = str(fake)

    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")
    document.refresh_from_db()
    assert (document.status, "is not a PNG image" in document.last_error) == ("failed", True)


def test_the_demo_seal_is_a_png_marked_for_demonstrations(tmp_path):
    path = tmp_path / "seal.png"
    make_demo_seal(path, issuer="测试签发机关")

    assert is_png(path.read_bytes())


def test_make_demo_seal_refuses_to_overwrite_a_file(tmp_path):
    existing = tmp_path / "seal.png"
    existing.write_bytes(b"kept")

    with pytest.raises(CommandError, match="exists"):
        call_command("make_demo_seal", str(existing))
    assert existing.read_bytes() == b"kept"
