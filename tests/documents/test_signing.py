"""PAdES signatures on decision documents, when a signing certificate is configured."""

from __future__ import annotations

import hashlib
import io

import pikepdf
import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents.signing import certificate_fingerprint, make_demo_certificate, signature_room

from .issued import accepted, embedded_record, pdf_bytes, the_document

pytestmark = pytest.mark.django_db

PASSPHRASE = "demo-passphrase"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    path = tmp_path_factory.mktemp("signing") / "demo.p12"
    make_demo_certificate(path, passphrase=PASSPHRASE, common_name="测试签发机关")
    return path


@pytest.fixture
def signing(settings, certificate):
    settings.DOCUMENT_SIGNING_PKCS12 = str(certificate)
    settings.DOCUMENT_SIGNING_PASSPHRASE = PASSPHRASE
    return certificate


@pytest.fixture
def signed(signing, django_capture_on_commit_callbacks):
    return the_document(accepted(django_capture_on_commit_callbacks), "acceptance")


def _signature(content: bytes):
    return PdfFileReader(io.BytesIO(content)).embedded_signatures


def test_without_a_certificate_documents_are_issued_unsigned(django_capture_on_commit_callbacks):
    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert (_signature(pdf_bytes(document)), document.signer_fingerprint) == ([], "")


def test_with_a_certificate_pyhanko_validates_the_documents_signature(signed):
    (signature,) = _signature(pdf_bytes(signed))

    trust = ValidationContext(trust_roots=[signature.signer_cert], allow_fetching=False)
    status = validate_pdf_signature(signature, signer_validation_context=trust)
    assert (status.intact, status.valid, status.trusted, status.coverage.name) == (
        True,
        True,
        True,
        "ENTIRE_FILE",
    )


def test_the_signature_is_pades(signed):
    (signature,) = _signature(pdf_bytes(signed))

    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_the_stored_hash_is_that_of_the_signed_file(signed):
    content = pdf_bytes(signed)

    assert _signature(content)
    assert signed.sha256 == hashlib.sha256(content).hexdigest()


def test_a_signed_document_stays_pdf_a_3b_with_its_record(signed):
    content = pdf_bytes(signed)

    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
    assert embedded_record(signed)["number"] == signed.number


def test_a_signed_document_records_its_certificates_fingerprint(signed):
    (signature,) = _signature(pdf_bytes(signed))

    assert signed.signer_fingerprint == certificate_fingerprint(signature.signer_cert)


def test_a_certificate_that_cannot_be_opened_fails_the_document_without_retrying(
    settings, signing, django_capture_on_commit_callbacks
):
    settings.DOCUMENT_SIGNING_PASSPHRASE = "not-the-passphrase"

    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert (document.status, document.attempts) == ("failed", 1)
    assert "cannot be loaded" in document.last_error


def test_make_demo_signing_cert_writes_a_certificate_documents_are_signed_with(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "made.p12"
    call_command("make_demo_signing_cert", str(path), passphrase="made-here", stdout=io.StringIO())
    settings.DOCUMENT_SIGNING_PKCS12 = str(path)
    settings.DOCUMENT_SIGNING_PASSPHRASE = "made-here"

    document = the_document(accepted(django_capture_on_commit_callbacks), "acceptance")

    assert len(_signature(pdf_bytes(document))) == 1


def test_make_demo_signing_cert_refuses_to_overwrite_a_file(tmp_path):
    from django.core.management import CommandError

    path = tmp_path / "taken.p12"
    path.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="exists"):
        call_command("make_demo_signing_cert", str(path), passphrase="x", stdout=io.StringIO())


@given(st.lists(st.integers(min_value=100, max_value=20_000), min_size=1, max_size=5))
def test_the_room_kept_for_a_signature_is_even_and_holds_its_certificates(sizes):
    # pyhanko writes the signature in hex and refuses an odd room: with certificates of an odd
    # total size, signing failed and the document stayed unsigned.
    room = signature_room(sizes)

    assert room % 2 == 0
    assert room >= sum(sizes) + 4096
