"""PAdES signatures on decision documents (pyhanko), and checking them.

Signing is on when ``settings.DOCUMENT_SIGNING_PKCS12`` names a PKCS#12 file (its passphrase in
``DOCUMENT_SIGNING_PASSPHRASE``); otherwise documents are issued unsigned. The signature is an
incremental update after rendering, so the PDF/A-3b file stays a valid PDF and the stored
SHA-256 is that of the signed file. Each signed document keeps its certificate's SHA-256
fingerprint: a later check trusts that certificate for that document, even after the signing
key has been replaced.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from asn1crypto import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

SIGNATURE_FIELD = "DecisionSignature"
DEMO_COMMON_NAME = "决定文书签发（演示）Decision documents (demo)"


class SigningError(Exception):
    """The configured certificate cannot be used; rendering again will not help."""


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a file says. ``valid``: present, intact, covering the whole file,
    and made with the expected certificate."""

    present: bool
    intact: bool = False
    covers_whole_file: bool = False
    expected_certificate: bool = False
    fingerprint: str = ""
    signer: str = ""
    problem: str = ""

    @property
    def valid(self) -> bool:
        return self.present and self.intact and self.covers_whole_file and self.expected_certificate


def signing_enabled() -> bool:
    return bool(getattr(settings, "DOCUMENT_SIGNING_PKCS12", ""))


def signed_as_demo() -> bool:
    """Whether documents are signed with a demonstration certificate (make_demo_signing_cert):
    such documents say so on every page."""
    if not signing_enabled():
        return False
    signer = _signer(settings.DOCUMENT_SIGNING_PKCS12, settings.DOCUMENT_SIGNING_PASSPHRASE)
    return bool(DEMO_COMMON_NAME in signer.signing_cert.subject.human_friendly)


def sign_pdf(pdf: bytes) -> tuple[bytes, str]:
    """The PDF with a PAdES signature appended, and the signing certificate's fingerprint."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(settings.DOCUMENT_SIGNING_PKCS12, settings.DOCUMENT_SIGNING_PASSPHRASE)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="决定文书签发 / Issue of a decision document",
        name=settings.PROGRAMME_ISSUER,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signed = signers.sign_pdf(writer, metadata, signer=signer, bytes_reserved=signer.bytes_reserved)
    return signed.getvalue(), certificate_fingerprint(signer.signing_cert)


def signature_room(certificate_sizes: list[int]) -> int:
    """Bytes to reserve in the PDF for the signature: the certificates it carries, 4 KB for
    the rest, rounded up to even (the room is written in hex, two digits a byte)."""
    room = sum(certificate_sizes) + 4096
    return room + room % 2


@cache
def _signer(path: str, passphrase: str) -> Any:
    """The signer of this process, loaded once per certificate file."""
    from pyhanko.sign import signers

    if not Path(path).is_file():
        raise SigningError(f"the signing certificate {path} does not exist")
    try:
        loaded = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]  # untyped in pyhanko
            path, passphrase=passphrase.encode() or None
        )
    except Exception as error:  # pyhanko wraps bad passphrases and formats differently by version
        raise SigningError(f"the signing certificate {path} cannot be loaded: {error}") from error
    if loaded is None:
        raise SigningError(f"the signing certificate {path} cannot be loaded")
    return _signer_class()(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
    )


@cache
def _signer_class() -> type:
    from asn1crypto import tsp
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
    from pyhanko.sign.general import as_signing_certificate_v2
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class KeptSigningCertificate(CMSAttributeProvider):
        """The signing-certificate-v2 attribute (RFC 5035), encoded once per certificate.

        Built anew, it copies the certificate's issuer name into the attribute and encodes it
        again: two thirds of a signature's time. Its value depends on the certificate only."""

        attribute_type = "signing_certificate_v2"

        def __init__(self, encoded: bytes) -> None:
            self.encoded = encoded

        async def build_attr_value(self, dry_run: bool = False) -> Any:
            return tsp.SigningCertificateV2.load(self.encoded)

    class PadesSignedAttributes(SignedAttributeProviderSpec):
        """The signed attributes of a PAdES signature that pyhanko adds besides the content
        type and the message digest (CAdESSignedAttributeProviderSpec for PAdES, without a
        timestamp or CAdES attributes, which documents do not use): the signing certificate."""

        def __init__(self, signing_certificate: bytes) -> None:
            self.signing_certificate = signing_certificate

        def signed_attr_providers(
            self, data_digest: bytes, digest_algorithm: str
        ) -> list[CMSAttributeProvider]:
            return [KeptSigningCertificate(self.signing_certificate)]

    class KeptKeySigner(SimpleSigner):
        """pyhanko's SimpleSigner parses (and, for RSA, validates) the private key on every
        signature: 50 ms a time, twice per document. This one parses it once, reserves the
        signature's room from the size of its certificates instead of signing twice, and
        keeps the signed attributes that depend on the certificate only."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            signing_cert = cast("x509.Certificate", self.signing_cert)  # set by load_pkcs12
            self.bytes_reserved = signature_room(
                [len(signing_cert.dump()), *(len(c.dump()) for c in self.cert_registry)]
            )
            self.signed_attr_prov_spec = PadesSignedAttributes(
                as_signing_certificate_v2(signing_cert).dump()
            )

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15":
                return cast("rsa.RSAPrivateKey", self.key).sign(data, PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa":
                return cast("ec.EllipticCurvePrivateKey", self.key).sign(
                    data, ECDSA(hash_algorithm)
                )
            return super().sign_raw(data, digest_algorithm)

    return KeptKeySigner


def certificate_fingerprint(certificate: Any) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def check_signature(pdf: bytes, *, expected_fingerprint: str) -> SignatureCheck:
    """Validate the file's last signature with pyhanko: intact, covering the whole file, made
    with the certificate whose fingerprint the document recorded (that certificate is the
    trust anchor; no network is used)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as error:  # not a PDF pyhanko can read
        return SignatureCheck(present=False, problem=f"unreadable PDF: {error}"[:200])
    if not signatures:
        return SignatureCheck(present=False, problem="no signature")
    signature = signatures[-1]
    certificate = signature.signer_cert
    fingerprint = certificate_fingerprint(certificate)
    signer = certificate.subject.human_friendly
    if fingerprint != expected_fingerprint:
        return SignatureCheck(
            present=True, fingerprint=fingerprint, signer=signer, problem="unexpected certificate"
        )
    context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, signer_validation_context=context)
    except (SignatureValidationError, ValueError) as error:
        return SignatureCheck(
            present=True, fingerprint=fingerprint, signer=signer, problem=str(error)[:200]
        )
    return SignatureCheck(
        present=True,
        intact=bool(status.intact and status.valid),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        expected_certificate=bool(status.trusted),
        fingerprint=fingerprint,
        signer=signer,
        problem="" if status.bottom_line else status.summary(),
    )


def make_demo_certificate(path: Path, *, passphrase: str, common_name: str) -> str:
    """Write a self-signed signing certificate and its key as PKCS#12; return its fingerprint.
    For demonstrations only: nobody outside trusts it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Beijing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            # A common name is at most 64 bytes of UTF-8: the issuer goes in the organisation.
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_COMMON_NAME),
        ]
    )
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    content = pkcs12.serialize_key_and_certificates(
        b"decision-documents", key, certificate, None, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
