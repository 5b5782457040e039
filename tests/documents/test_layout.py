"""The GB/T 9704-2012 layout, measured from the PDF: where the issuer mark, the document number,
the red separator, the body, the page numbers, the seal and the imprint are, and their sizes."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from documents.seal import make_demo_seal

from .issued import (
    ASSESSMENT,
    approved,
    meeting_with_agenda,
    minutes_of,
    pdf_bytes,
    resolve,
    the_document,
)

pytestmark = pytest.mark.django_db

MM = 72 / 25.4
# The type area (版心): 156 mm × 225 mm, 37 mm from the top and 28 mm from the left edge.
TOP, LEFT, WIDTH, HEIGHT = 37 * MM, 28 * MM, 156 * MM, 225 * MM
RIGHT, BOTTOM = LEFT + WIDTH, TOP + HEIGHT
RED = (0.901961, 0.0, 0.070588)


@pytest.fixture
def approval(django_capture_on_commit_callbacks):
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)
    return the_document(application, "approval")


@pytest.fixture
def approval_pdf(approval):
    with pdfplumber.open(io.BytesIO(pdf_bytes(approval))) as pdf:
        yield pdf


@pytest.fixture
def sealed_approval(settings, tmp_path, django_capture_on_commit_callbacks):
    make_demo_seal(tmp_path / "seal.png", issuer=settings.PROGRAMME_ISSUER)
    settings.DOCUMENT_SEAL_IMAGE = str(tmp_path / "seal.png")
    application = approved(django_capture_on_commit_callbacks, assessment=ASSESSMENT)
    return the_document(application, "approval")


def date_of(document) -> str:
    day = document.issued_on
    return f"{day.year}年{day.month}月{day.day}日"


def line_with(page, text: str, *, in_margin: bool = False) -> dict:
    """The one line holding ``text`` in the type area (or, with ``in_margin``, under it)."""
    (line,) = [
        line
        for line in page.extract_text_lines()
        if text in line["text"] and (line["top"] >= BOTTOM) == in_margin
    ]
    return line


def issuer_mark(page) -> dict:
    return line_with(page, "联席会议文件")


def number_line(page) -> dict:
    return line_with(page, "京科配〔")


def red_separator(page) -> dict:
    (rule,) = [item for item in page.rects + page.lines if item["non_stroking_color"] == RED]
    return rule


def centre(item: dict) -> float:
    return (item["x0"] + item["x1"]) / 2


def body_chars(pdf) -> list[dict]:
    """Every character inside the type area's height (the footer and page numbers are below)."""
    return [char for page in pdf.pages for char in page.chars if char["top"] < BOTTOM]


def test_the_issuer_mark_is_red_and_starts_35_mm_below_the_top_of_the_type_area(approval_pdf):
    mark = issuer_mark(approval_pdf.pages[0])
    # The glyphs' tops sit a little below the top of their line box.
    assert TOP + 35 * MM <= mark["top"] <= TOP + 39 * MM
    assert {char["non_stroking_color"] for char in mark["chars"]} == {RED}


def test_the_issuer_mark_is_centred_in_the_type_area(approval_pdf):
    assert centre(issuer_mark(approval_pdf.pages[0])) == pytest.approx(LEFT + WIDTH / 2, abs=MM)


def test_the_document_number_stands_two_lines_under_the_issuer_mark_and_centred(approval_pdf):
    page = approval_pdf.pages[0]
    number, mark = number_line(page), issuer_mark(page)
    assert 15 * MM <= number["top"] - mark["bottom"] <= 24 * MM
    assert centre(number) == pytest.approx(LEFT + WIDTH / 2, abs=MM)


def test_the_red_separator_is_4_mm_under_the_document_number(approval_pdf):
    page = approval_pdf.pages[0]
    assert red_separator(page)["top"] - number_line(page)["bottom"] == pytest.approx(4 * MM, abs=MM)


def test_the_red_separator_is_as_wide_as_the_type_area(approval_pdf):
    rule = red_separator(approval_pdf.pages[0])
    assert (rule["x0"], rule["x1"]) == (pytest.approx(LEFT, abs=0.5), pytest.approx(RIGHT, abs=0.5))


def test_the_title_is_set_in_22_point_type_under_the_separator(approval_pdf):
    page = approval_pdf.pages[0]
    title = line_with(page, "配套资金批复")
    assert title["top"] > red_separator(page)["bottom"]
    assert {round(char["size"], 1) for char in title["chars"]} == {22.0}


def test_the_body_is_set_in_16_point_fangsong(approval_pdf):
    paragraph = line_with(approval_pdf.pages[0], "你单位申报的国家科技重大专项课题")
    chinese = [char for char in paragraph["chars"] if "\u4e00" <= char["text"] <= "\u9fff"]
    assert {round(char["size"], 1) for char in chinese} == {16.0}
    assert all("Fang" in char["fontname"] for char in chinese)


def test_no_character_of_the_body_leaves_the_type_area(approval_pdf):
    chars = body_chars(approval_pdf)
    assert min(char["x0"] for char in chars) >= LEFT - 0.5
    assert max(char["x1"] for char in chars) <= RIGHT + 0.5
    assert min(char["top"] for char in chars) >= TOP - 0.5


def test_page_numbers_stand_between_dashes_7_mm_under_the_type_area(approval_pdf):
    numbers = [
        line_with(page, f"— {page.page_number} —", in_margin=True) for page in approval_pdf.pages
    ]
    assert len(numbers) >= 2
    assert all(BOTTOM + 4 * MM <= number["top"] <= BOTTOM + 9 * MM for number in numbers)


def test_odd_page_numbers_stand_one_character_in_from_the_right(approval_pdf):
    number = line_with(approval_pdf.pages[0], "— 1 —", in_margin=True)
    assert number["x1"] == pytest.approx(RIGHT - 14, abs=MM)


def test_even_page_numbers_stand_one_character_in_from_the_left(approval_pdf):
    number = line_with(approval_pdf.pages[1], "— 2 —", in_margin=True)
    assert number["x0"] == pytest.approx(LEFT + 14, abs=MM)


def test_the_imprint_closes_the_last_page_with_copy_to_and_the_date_of_issue(
    approval, approval_pdf
):
    last = approval_pdf.pages[-1]
    copy_to, issued = line_with(last, "抄送："), line_with(last, "印发")
    assert copy_to["top"] < issued["top"] < BOTTOM
    assert f"{date_of(approval)}印发" in issued["text"]


def test_the_seal_is_pressed_over_the_issuer_and_the_date(sealed_approval):
    with pdfplumber.open(io.BytesIO(pdf_bytes(sealed_approval))) as pdf:
        ((date, seal),) = [
            (line, image)
            for page in pdf.pages
            for line in page.extract_text_lines()
            if line["text"].strip() == date_of(sealed_approval)
            for image in page.images
            if image["top"] < BOTTOM
        ]
    assert seal["x0"] < centre(date) < seal["x1"]
    assert seal["top"] < date["top"] < date["bottom"] < seal["bottom"]


def test_a_document_without_a_configured_seal_has_no_seal_image(approval_pdf):
    images = [image for page in approval_pdf.pages for image in page.images]
    assert all(image["top"] > BOTTOM for image in images)  # only the footer's QR codes


def test_the_minutes_of_50_items_stay_inside_the_type_area(django_capture_on_commit_callbacks):
    meeting, secretary = meeting_with_agenda(50)
    decisions = [("approve", ""), ("reject", "不符合支持方向"), ("defer", "材料待补充")]
    resolve(
        django_capture_on_commit_callbacks,
        meeting,
        secretary,
        [decisions[index % 3] for index in range(50)],
    )

    with pdfplumber.open(io.BytesIO(pdf_bytes(minutes_of(meeting)))) as pdf:
        chars = body_chars(pdf)
        rules = [item for page in pdf.pages for item in page.lines if item["top"] < BOTTOM]
    items = chars + rules
    assert min(item["x0"] for item in items) >= LEFT - 0.5
    assert max(item["x1"] for item in items) <= RIGHT + 0.5
