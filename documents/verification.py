"""Is this document genuine? By its number (the stored file is checked) or by a file.

A document is genuine when it was issued (rendered and stored), its file is exactly the one
stored (SHA-256), and, when it was signed, its PAdES signature is intact, covers the whole
file and was made with the certificate recorded for it. The answer names only what anybody
may know: number, kind, date and issuing body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .letterhead import issuer
from .models import Document, DocumentStatus
from .signing import SignatureCheck, check_signature


@dataclass(frozen=True)
class Verification:
    genuine: bool
    #: genuine, unknown_number, not_issued, unknown_file, file_missing, file_altered,
    #: signature_invalid
    outcome: str
    document: Document | None = None
    signature: SignatureCheck | None = None

    @property
    def message(self) -> str:
        return str(OUTCOME_MESSAGES[self.outcome])

    def summary(self) -> str:
        """One line: the verdict, the public facts of the document and why."""
        if self.document is None:
            return self.message
        document = self.document
        facts = " · ".join(
            [
                document.number,
                str(document.get_kind_display()),
                document.issued_on.isoformat() if document.issued_on else "",
                issuer(document.language),
            ]
        )
        signature = ""
        if self.signature is not None and self.signature.present:
            signature = " · " + _("签名：%(signer)s") % {"signer": self.signature.signer}
        return f"{self.message} {facts}{signature}"


OUTCOME_MESSAGES = {
    "genuine": _("真实有效："),
    "unknown_number": _("查无此文号的文书。"),
    "not_issued": _("该文号的文书尚未签发。"),
    "unknown_file": _("该文件不是本系统签发的文书，或已被修改。"),
    "file_missing": _("存档文件缺失，无法核验："),
    "file_altered": _("存档文件与签发时的哈希不符，无法确认真实性："),
    "signature_invalid": _("电子签名无效，文书不可信："),
}


def verify_number(number: str) -> Verification:
    """Look the number up and check the stored file: its hash and, if signed, its signature."""
    if "\x00" in number:  # no number has one, and PostgreSQL refuses it in a query
        return Verification(False, "unknown_number")
    document = (
        Document.objects.filter(number=(number or "").strip(), translation_of__isnull=True)
        .order_by("id")
        .first()
    )
    if document is None:
        return Verification(False, "unknown_number")
    if document.status != DocumentStatus.READY:
        return Verification(False, "not_issued", document)
    try:
        with document.file.open("rb") as stored:
            content = stored.read()
    except (OSError, ValueError):
        return Verification(False, "file_missing", document)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        return Verification(False, "file_altered", document)
    return _with_signature(document, content)


def verify_content(content: bytes) -> Verification:
    """Is this file, byte for byte, a document we issued, with a valid signature if signed?"""
    digest = hashlib.sha256(content).hexdigest()
    document = (
        Document.objects.filter(sha256=digest, status=DocumentStatus.READY).order_by("id").first()
    )
    if document is None:
        return Verification(False, "unknown_file")
    return _with_signature(document, content)


def _with_signature(document: Document, content: bytes) -> Verification:
    if not document.signer_fingerprint:
        return Verification(True, "genuine", document)
    signature = check_signature(content, expected_fingerprint=document.signer_fingerprint)
    if not signature.valid:
        return Verification(False, "signature_invalid", document, signature)
    return Verification(True, "genuine", document, signature)
