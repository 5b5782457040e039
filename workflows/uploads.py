"""The files an applicant may attach, judged by their structure, and the upload size limit.

A file is accepted when its name has one of the extensions below, its first bytes are that
type's signature, the whole file opens as that type (a PDF with pypdf, an image decoded with
Pillow, Office files as the ZIP or OLE container of a document or workbook) and nothing in it
is HTML: a file that is both a PDF and a web page (a polyglot) is refused, since some browser or
tool would one day open it as the page.

``UploadLimitHandler`` stops reading a request as soon as it is larger than a file may be, so
an oversized upload is refused without being received in full.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import olefile
import pypdf
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from PIL import Image

from .errors import InvalidInput

# Room for the form's other fields and the multipart framing around one file.
REQUEST_OVERHEAD_BYTES = 1024 * 1024
# Larger images are refused before they are decoded (a few kilobytes can describe a huge one).
MAX_IMAGE_PIXELS = 60_000_000
# The start of an HTML element a browser would act on, anywhere in the file.
HTML_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frame|object|embed|svg|meta|form)[\s/>]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FileType:
    content_type: str
    signatures: tuple[bytes, ...]
    name: str  # as the user knows it, in messages
    opens: Callable[[bytes], bool]


def _opens_as_pdf(content: bytes) -> bool:
    reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    return len(reader.pages) > 0


def _opens_as_image(image_format: str) -> Callable[[bytes], bool]:
    def opens(content: bytes) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if image.format != image_format or width * height > MAX_IMAGE_PIXELS:
                    return False
                image.load()  # decodes every pixel: a truncated or forged image fails here
        return True

    return opens


def _opens_as_office_zip(main_part: str) -> Callable[[bytes], bool]:
    def opens(content: bytes) -> bool:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
        return "[Content_Types].xml" in names and main_part in names

    return opens


def _opens_as_ole(*streams: str) -> Callable[[bytes], bool]:
    def opens(content: bytes) -> bool:
        if not olefile.isOleFile(data=content):
            return False
        with olefile.OleFileIO(content) as container:
            return any(container.exists(stream) for stream in streams)

    return opens


_PDF = FileType("application/pdf", (b"%PDF-",), "PDF", _opens_as_pdf)
_JPEG = FileType("image/jpeg", (b"\xff\xd8\xff",), "JPEG", _opens_as_image("JPEG"))
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED_UPLOADS = {
    ".pdf": _PDF,
    ".png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",), "PNG", _opens_as_image("PNG")),
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
        "Word",
        _opens_as_office_zip("word/document.xml"),
    ),
    ".xlsx": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
        "Excel",
        _opens_as_office_zip("xl/workbook.xml"),
    ),
    ".doc": FileType("application/msword", (_OLE,), "Word", _opens_as_ole("WordDocument")),
    ".xls": FileType(
        "application/vnd.ms-excel", (_OLE,), "Excel", _opens_as_ole("Workbook", "Book")
    ),
}


def checked_content_type(upload: UploadedFile[bytes]) -> str:
    """The content type of an attachment the applicant uploads, once its name, size and
    structure are those of an allowed file; ``InvalidInput`` saying what is wrong otherwise."""
    allowed = ALLOWED_UPLOADS.get(PurePath(upload.name or "").suffix.lower())
    if allowed is None:
        raise InvalidInput(_("只能上传 PDF、图片（PNG/JPEG）或 Office 文件。"))
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(_("文件过大。"))
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    if not content.startswith(allowed.signatures):
        raise InvalidInput(_("文件内容与扩展名不符。"))
    if HTML_MARKUP.search(content):
        raise InvalidInput(_("文件中夹带网页代码（HTML），不能作为附件上传。"))
    try:
        opens = allowed.opens(content)
    except Exception:  # every parser has its own errors for a damaged file; all mean "no"
        opens = False
    if not opens:
        raise InvalidInput(_("文件已损坏，或不是有效的 %(kind)s 文件。") % {"kind": allowed.name})
    return allowed.content_type


class UploadLimitHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: refuses (``RequestDataTooBig``, shown as the 413
    page) a request whose announced length is over the limit before reading any of it, and a
    file that grows past ``ATTACHMENT_MAX_BYTES`` as soon as it does; passes every chunk on to
    the next handlers otherwise."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803  (Django's name)
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.ATTACHMENT_MAX_BYTES + REQUEST_OVERHEAD_BYTES:
            raise RequestDataTooBig("the request is larger than any upload may be")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.ATTACHMENT_MAX_BYTES:
            raise RequestDataTooBig("the file is larger than ATTACHMENT_MAX_BYTES")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file
