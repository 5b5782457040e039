"""Rendering decision documents to PDF: content, PDF/A-3b, the locked-down fetcher, and limits.

Every render runs in the renderer's worker processes; no test needs the database. Hostile
strings go in twice: as applicant text through the letterhead template (auto-escaped, so it
must come out as text) and as raw HTML straight to render_pdf (so the fetcher itself must
refuse). A listener on a loopback port proves that no connection was attempted.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import logging
import re
import struct
import threading
import urllib.request
import zlib
from decimal import Decimal

import pikepdf
import pytest
from pypdf import PdfReader

from documents.numerals import amount_in_chinese_capitals, format_yuan
from documents.render import (
    ImageTooLargeError,
    PdfAttachment,
    RenderError,
    ResourceRefusedError,
    make_url_fetcher,
    nesting_depth,
    render_pdf,
    resolve_resource,
)
from tests.documents.hostile import hostile_vectors

ISSUER = "北京市国家科技重大专项配套资金联席会议办公室"
TITLE = "关于北京某某科技有限公司申请配套资金的批复"
NUMBER = "京科配〔2025〕12号"
MARK_RED = b"0.901961 0 0.070588"  # #e60012, the issuer mark's colour
EMBLEM_RED = b"0.784314 0.062745 0.180392"  # #c8102e, the colour of the bundled mark.svg
PASSWD_LINE = b"root:x:0:0"

LETTER = """{% extends "documents/base.html" %}
{% block body %}
<p class="addressee">{{ applicant }}：</p>
<p>经市联席会议审议，同意给予配套资金人民币{{ capitals }}（{{ figures }}）。</p>
<table>
  <thead><tr><th>资金来源</th><th class="amount">金额</th></tr></thead>
  <tbody><tr><td>北京市科学技术委员会</td><td class="amount">{{ figures }}</td></tr></tbody>
</table>
<p>申报单位说明：{{ statement }}</p>
{% endblock %}
{% block imprint %}{% endblock %}
"""


VECTOR_NAMES = list(hostile_vectors(0))


@pytest.fixture(scope="module")
def templates():
    """Django's template engine, with or without pytest-django having configured settings."""
    from pathlib import Path

    import django
    from django.conf import settings

    if not settings.configured:
        root = Path(__file__).resolve().parents[2]
        settings.configure(
            TEMPLATES=[
                {
                    "BACKEND": "django.template.backends.django.DjangoTemplates",
                    "DIRS": [root / "templates"],
                }
            ],
            USE_I18N=True,
            LANGUAGE_CODE="zh-hans",
        )
        django.setup()
    from django.template import engines

    return engines["django"]


def letter_html(templates, **context: str) -> str:
    amount = Decimal("12000000")
    defaults = {
        "issuer": ISSUER,
        "title": TITLE,
        "number": NUMBER,
        "verification_text": "https://funds.example.invalid/documents/verify/?number=12",
        "applicant": "北京某某科技有限公司",
        "capitals": amount_in_chinese_capitals(amount),
        "figures": format_yuan(amount),
        "statement": "无",
    }
    return templates.from_string(LETTER).render({**defaults, **context})


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def decoded_streams(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return b"".join(
            item.read_bytes() for item in document.objects if isinstance(item, pikepdf.Stream)
        )


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header announces width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def letter_pdf(templates) -> bytes:
    record = json.dumps({"number": NUMBER, "amount": "12000000.00"}, ensure_ascii=False)
    attachment = PdfAttachment(
        filename="decision.json",
        content=record.encode(),
        description="决定的机器可读记录",
        mime_type="application/json",
    )
    return render_pdf(letter_html(templates), attachments=[attachment])


# --- What the document says ----------------------------------------------------------------------


def test_letter_text_contains_the_chinese_title(letter_pdf):
    assert TITLE in without_whitespace(pdf_text(letter_pdf))


def test_letter_text_contains_the_document_number(letter_pdf):
    assert NUMBER in without_whitespace(pdf_text(letter_pdf))


def test_letter_text_contains_the_amount_in_capitals_and_figures(letter_pdf):
    text = without_whitespace(pdf_text(letter_pdf))
    assert "人民币壹仟贰佰万元整（¥12,000,000.00）" in text


def test_letter_footer_numbers_its_pages_between_dashes(letter_pdf):
    assert "—1—" in without_whitespace(pdf_text(letter_pdf))


def test_letter_footer_carries_the_verification_line(letter_pdf):
    assert "funds.example.invalid/documents/verify" in without_whitespace(pdf_text(letter_pdf))


def test_letter_is_one_a4_page(letter_pdf):
    (page,) = PdfReader(io.BytesIO(letter_pdf)).pages
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)


def test_letter_embeds_its_fonts_as_compact_cid_subsets(letter_pdf):
    with pikepdf.open(io.BytesIO(letter_pdf)) as document:
        programs = [
            item
            for item in document.objects
            if isinstance(item, pikepdf.Dictionary) and item.get("/Type") == "/FontDescriptor"
        ]
        assert programs
        assert all(str(item.FontFile3.Subtype) == "/CIDFontType0C" for item in programs)


def test_letter_is_smaller_than_150_kilobytes(letter_pdf):
    assert len(letter_pdf) < 150 * 1024


# --- PDF/A-3b and the attached record ------------------------------------------------------------


def test_xmp_metadata_declares_pdf_a_part_3_conformance_b(letter_pdf):
    with pikepdf.open(io.BytesIO(letter_pdf)) as document:
        metadata = document.open_metadata()
        assert (metadata["pdfaid:part"], metadata["pdfaid:conformance"]) == ("3", "B")


def test_attached_decision_record_is_embedded_and_parses_as_json(letter_pdf):
    with pikepdf.open(io.BytesIO(letter_pdf)) as document:
        record = document.attachments["decision.json"].get_file().read_bytes()
    assert json.loads(record) == {"number": NUMBER, "amount": "12000000.00"}


def test_attached_decision_record_keeps_its_media_type(letter_pdf):
    with pikepdf.open(io.BytesIO(letter_pdf)) as document:
        assert document.attachments["decision.json"].get_file().mime_type == "application/json"


def test_attached_decision_record_is_an_associated_file_of_the_document(letter_pdf):
    with pikepdf.open(io.BytesIO(letter_pdf)) as document:
        (associated,) = document.Root.AF
        assert (str(associated.UF), str(associated.AFRelationship)) == ("decision.json", "/Data")


def test_without_a_variant_the_pdf_declares_no_pdf_a_conformance():
    pdf = render_pdf("<p>配套资金</p>", pdf_variant=None)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "pdfaid:part" not in document.open_metadata()


def test_an_unknown_pdf_variant_is_refused():
    with pytest.raises(ValueError, match="variant"):
        render_pdf("<p>配套资金</p>", pdf_variant="pdf/x-4")


LETTERHEAD = (
    '<header class="letterhead"><p class="issuer-mark">北京市配套资金联席会议文件</p></header>'
)


def test_the_letterhead_styles_every_document_without_being_linked():
    assert MARK_RED in decoded_streams(render_pdf(LETTERHEAD))  # the issuer's line is red


def test_a_document_rendered_without_the_letterhead_has_none_of_its_styles():
    assert MARK_RED not in decoded_streams(render_pdf(LETTERHEAD, stylesheets=()))


@pytest.mark.parametrize("name", ["mark.svg", "../settings.py", "letterhead.css/../x.css"])
def test_only_bundled_stylesheets_can_be_applied(name):
    with pytest.raises(ValueError, match="stylesheet"):
        render_pdf(LETTERHEAD, stylesheets=[name])


def test_an_attachment_with_a_path_as_its_name_is_refused():
    with pytest.raises(ValueError, match="plain file name"):
        PdfAttachment(filename="../decision.json", content=b"{}")


# --- Applicant text is text: hostile strings through the template --------------------------------


@pytest.mark.parametrize("vector", VECTOR_NAMES)
def test_hostile_applicant_text_is_printed_literally(templates, listener, vector):
    hostile = hostile_vectors(listener.port)[vector]
    # Without the layout's page furniture, so that no page break splits the text.
    pdf = render_pdf(letter_html(templates, statement=hostile), stylesheets=())
    assert without_whitespace(hostile) in without_whitespace(pdf_text(pdf))


@pytest.mark.parametrize("vector", VECTOR_NAMES)
def test_hostile_applicant_text_makes_no_connection(templates, listener, vector):
    render_pdf(letter_html(templates, statement=hostile_vectors(listener.port)[vector]))
    assert listener.connections() == 0


# --- The fetcher refuses: hostile strings as raw HTML --------------------------------------------


@pytest.mark.parametrize("vector", VECTOR_NAMES)
def test_raw_hostile_html_makes_no_connection(listener, vector):
    render_pdf(hostile_vectors(listener.port)[vector])
    assert listener.connections() == 0


@pytest.mark.parametrize("vector", ["img-file", "link-attachment-file"])
def test_raw_hostile_html_reads_no_local_file(vector):
    pdf = render_pdf(hostile_vectors(0)[vector])
    assert PASSWD_LINE not in decoded_streams(pdf)


def test_raw_link_to_a_local_file_attaches_nothing():
    pdf = render_pdf(hostile_vectors(0)["link-attachment-file"])
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.attachments) == 0


def test_a_refused_resource_is_logged_by_the_caller(listener, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.render"):
        render_pdf(hostile_vectors(listener.port)["link-stylesheet-http"])
    assert f"127.0.0.1:{listener.port}/x.css" in caplog.text


def test_an_allow_listed_asset_is_served():
    assert EMBLEM_RED in decoded_streams(render_pdf('<img src="asset:mark.svg">'))


def test_an_asset_name_outside_the_allow_list_is_not_served():
    assert MARK_RED not in decoded_streams(render_pdf('<img src="asset:../assets/mark.svg">'))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x.png",
        "https://example.com/x.png",
        "ftp://127.0.0.1/x.png",
        "data:text/css,body{}",
        "data:application/octet-stream;base64,AAAA",
        "mark.svg",
        "asset:../render.py",
        "asset:letterhead.css/../../settings.py",
        "ASSET:mark.svg",
    ],
)
def test_resource_policy_refuses(url):
    with pytest.raises(ResourceRefusedError):
        resolve_resource(url)


def test_resource_policy_serves_a_bundled_asset_with_its_media_type():
    content, media_type = resolve_resource("asset:mark.svg")
    assert (content.startswith(b"<svg"), media_type) == (True, "image/svg+xml")


def test_resource_policy_decodes_a_data_uri_image():
    png = png_declaring(2, 2)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert resolve_resource(url) == (png, "image/png")


def test_fetcher_cannot_follow_redirects():
    handlers = make_url_fetcher().handlers
    assert not any(isinstance(item, urllib.request.HTTPRedirectHandler) for item in handlers)


def test_a_redirecting_server_is_never_contacted(listener):
    requests: list[str] = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{listener.port}/target.png")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        render_pdf(f'<img src="http://127.0.0.1:{server.server_port}/moved.png">')
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert (requests, listener.connections()) == ([], 0)


# --- Pathological input -------------------------------------------------------------------------


def test_twenty_thousand_nested_divs_are_a_non_transient_error():
    with pytest.raises(RenderError) as raised:
        render_pdf("<div>" * 20_000 + "深" + "</div>" * 20_000)
    assert raised.value.transient is False


def test_nesting_too_deep_for_the_layout_is_a_non_transient_error():
    with pytest.raises(RenderError, match="nested too deeply") as raised:
        render_pdf("<div>" * 250 + "深" + "</div>" * 250)
    assert raised.value.transient is False


def test_nesting_too_deep_is_logged_as_an_error(caplog):
    with caplog.at_level(logging.ERROR, logger="documents.render"), pytest.raises(RenderError):
        render_pdf("<div>" * 250 + "深" + "</div>" * 250)
    assert "nested too deeply" in caplog.text


def test_nesting_estimate_ignores_elements_the_parser_closes_itself():
    assert nesting_depth("<ul>" + "<li>项" * 5000 + "</ul>" + "<p>段" * 5000) == 1


def test_thousands_of_page_breaks_exceed_the_page_cap():
    html = '<p style="break-after: page">页</p>' * 2000
    with pytest.raises(RenderError, match="more than 20 pages") as raised:
        render_pdf(html)
    assert raised.value.transient is False


def test_a_document_within_the_page_cap_renders():
    pdf = render_pdf('<p style="break-after: page">页</p>' * 3, page_limit=3)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3


def test_a_huge_image_in_a_data_uri_is_a_non_transient_error():
    png = base64.b64encode(png_declaring(50_000, 50_000)).decode()
    with pytest.raises(RenderError, match="pixels") as raised:
        render_pdf(f'<img src="data:image/png;base64,{png}">')
    assert raised.value.transient is False


def test_resource_policy_flags_a_huge_image_by_its_header():
    from documents.render import check_image_size

    with pytest.raises(ImageTooLargeError):
        check_image_size(png_declaring(50_000, 50_000), "image/png")


def test_a_render_over_the_time_limit_is_a_transient_error():
    rows = "".join(f"<tr><td>第{index}项</td><td>审核意见</td></tr>" for index in range(200))
    with pytest.raises(RenderError, match="longer than") as raised:
        render_pdf(f"<table>{rows}</table>", page_limit=50, timeout_seconds=0.001)
    assert raised.value.transient is True


def test_rendering_works_again_after_a_render_was_stopped():
    with pytest.raises(RenderError):
        render_pdf("<p>超时</p>" * 500, timeout_seconds=0.001)
    assert pdf_text(render_pdf("<p>恢复</p>", stylesheets=())).strip() == "恢复"


def test_two_threads_can_render_at_the_same_time():
    results: dict[int, str] = {}

    def render(index: int) -> None:
        results[index] = pdf_text(render_pdf(f"<p>第{index}份</p>", stylesheets=())).strip()

    threads = [threading.Thread(target=render, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: "第0份", 1: "第1份"}


def test_the_renderer_does_not_inherit_the_callers_secrets(monkeypatch):
    from documents.render import _worker_environment

    monkeypatch.setenv("DJANGO_SECRET_KEY", "not-for-the-renderer")
    monkeypatch.setenv("LANG", "C.UTF-8")
    environment = _worker_environment()
    assert ("DJANGO_SECRET_KEY" in environment, environment.get("LANG")) == (False, "C.UTF-8")


def test_a_renderer_killed_while_idle_is_replaced():
    from documents.render import _worker_pool, start_renderer

    start_renderer()
    for worker in _worker_pool()._idle:
        worker.process.kill()
        worker.process.wait()
    assert pdf_text(render_pdf("<p>替换</p>", stylesheets=())).strip() == "替换"


# --- data: images must be what they say; the markup embeds no file -----------------------------


def real_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(content: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64," + base64.b64encode(content).decode()


def test_a_data_uri_whose_bytes_decode_as_its_declared_image_type_is_served():
    assert resolve_resource(data_uri(real_png())) == (real_png(), "image/png")


def test_a_data_uri_declared_png_holding_html_is_refused():
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
    with pytest.raises(ResourceRefusedError, match="does not decode"):
        resolve_resource(data_uri(polyglot))


def test_a_data_uri_declared_jpeg_holding_a_png_is_refused():
    with pytest.raises(ResourceRefusedError, match="does not decode"):
        resolve_resource(data_uri(real_png(), "image/jpeg"))


def test_a_truncated_png_in_a_data_uri_is_refused():
    with pytest.raises(ResourceRefusedError, match="does not decode"):
        resolve_resource(data_uri(real_png()[:40]))


def test_a_data_uri_svg_with_a_document_type_declaration_is_refused():
    svg = b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    with pytest.raises(ResourceRefusedError, match="document type"):
        resolve_resource(data_uri(svg, "image/svg+xml"))


def test_a_data_uri_declared_svg_holding_html_is_refused():
    with pytest.raises(ResourceRefusedError, match="not SVG"):
        resolve_resource(data_uri(b"<html><body>x</body></html>", "image/svg+xml"))


def test_a_page_with_an_image_that_is_not_what_it_declares_leaves_the_image_out():
    polyglot = data_uri(b"\x89PNG\r\n\x1a\n%PDF-1.7 not an image")
    pdf = render_pdf(f'<p>配套资金</p><img src="{polyglot}">')
    with pikepdf.open(io.BytesIO(pdf)) as document:
        images = [
            item
            for item in document.objects
            if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == "/Image"
        ]
    assert images == []


def embedded_file_names(pdf: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        names = list(document.attachments)
        annotations = [
            annotation
            for page in document.pages
            for annotation in page.get("/Annots", [])
            if annotation.get("/Subtype") == "/FileAttachment"
        ]
        return names + [str(a.FS.get("/UF", "")) for a in annotations]


def record() -> PdfAttachment:
    return PdfAttachment("decision.json", b"{}", mime_type="application/json")


def test_a_link_rel_attachment_in_the_markup_embeds_nothing():
    html = f'<link rel="attachment" href="{data_uri(real_png())}" title="x"><p>配套资金</p>'
    assert embedded_file_names(render_pdf(html, attachments=[record()])) == ["decision.json"]


def test_an_anchor_rel_attachment_in_the_markup_embeds_nothing():
    html = f'<p><a rel="attachment" href="{data_uri(real_png())}" download="x.png">附件</a></p>'
    assert embedded_file_names(render_pdf(html, attachments=[record()])) == ["decision.json"]


def test_an_attachment_named_in_the_markup_is_logged_as_refused(caplog):
    html = f'<link rel="attachment" href="{data_uri(real_png())}" title="附件"><p>配套资金</p>'
    with caplog.at_level(logging.WARNING, logger="documents.render"):
        render_pdf(html)
    assert "attachment" in caplog.text


def test_a_fangsong_glyph_whose_cid_is_not_its_glyph_id_is_drawn():
    import pypdfium2

    # In FandolFang (Adobe-GB1) the CID of ¥ is not its glyph id, unlike Noto CJK's glyphs.
    pdf = render_pdf('<p style="font: 60pt FandolFang">¥</p>', stylesheets=())
    bitmap = pypdfium2.PdfDocument(pdf)[0].render(scale=1).to_pil().convert("L")
    assert bitmap.getextrema()[0] < 128  # something dark was drawn
