"""Small, real files of each type an applicant may attach, made on the spot."""

import io
import zipfile

import pypdf
from PIL import Image


def pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(image_format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=image_format)
    return out.getvalue()


def office(main_part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(main_part, '<?xml version="1.0"?><document/>')
    return out.getvalue()


PDF = pdf()
PNG = image("PNG")
JPEG = image("JPEG")
DOCX = office("word/document.xml")
XLSX = office("xl/workbook.xml")
