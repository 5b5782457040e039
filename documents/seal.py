"""The electronic seal (电子印章) pressed over the issuer and date of every decision document.

``settings.DOCUMENT_SEAL_IMAGE`` names a PNG of the issuing office's seal (red on a transparent
ground); documents are issued without a seal when it is empty. The file is read by the web or
worker process, never by the renderer: it reaches the page as a ``data:`` URI, checked here
and again by the renderer's fetcher to decode as the image it claims to be.

``make_demo_seal`` draws a seal for demonstrations, marked 演示 / DEMO across its face, so that
nobody mistakes a demo document for a sealed one.
"""

from __future__ import annotations

import base64
import io
import math
import subprocess
from functools import cache
from pathlib import Path

from django.conf import settings

SEAL_MEDIA_TYPE = "image/png"
MAX_SEAL_BYTES = 512 * 1024
DEMO_SEAL_PIXELS = 400
_RED = (230, 0, 18)
_INK = 235  # the seal's opacity where it is inked


class SealError(Exception):
    """The configured seal image cannot be used; rendering again will not help."""


def seal_data_uri() -> str:
    """The configured seal as a ``data:image/png`` URI, or "" when no seal is configured."""
    path = getattr(settings, "DOCUMENT_SEAL_IMAGE", "")
    if not path:
        return ""
    try:
        stat = Path(path).stat()
    except OSError as error:
        raise SealError(f"the seal image {path} cannot be read: {error.strerror}") from error
    return _data_uri(path, stat.st_mtime_ns, stat.st_size)


@cache
def _data_uri(path: str, modified: int, size: int) -> str:
    if size > MAX_SEAL_BYTES:
        raise SealError(f"the seal image {path} is over {MAX_SEAL_BYTES // 1024} KB")
    content = Path(path).read_bytes()
    if not is_png(content):
        raise SealError(f"the seal image {path} is not a PNG image")
    return f"data:{SEAL_MEDIA_TYPE};base64,{base64.b64encode(content).decode()}"


def is_png(content: bytes) -> bool:
    """Whether the bytes decode, whole, as a PNG image."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG":
                return False
            image.load()
    except Exception:  # Pillow raises many kinds for broken or foreign data
        return False
    return True


def make_demo_seal(path: Path, *, issuer: str) -> None:
    """Draw a round red seal with ``issuer`` along its rim, a star, and 演示专用 / DEMO across it,
    and write it to ``path`` as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    size = DEMO_SEAL_PIXELS
    centre = size / 2
    # The shape is drawn as the alpha channel of an image that is red everywhere: its colour
    # planes are constant and cost next to nothing in the PDF.
    ink = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(ink)
    rim = size * 0.035
    draw.ellipse((rim, rim, size - rim, size - rim), outline=_INK, width=round(rim))
    _star(draw, centre, centre, size * 0.13)
    font_path = _font_file("Noto Sans CJK SC:style=Bold")
    _rim_text(ink, issuer, ImageFont.truetype(font_path, round(size * 0.062)), size)
    label = ImageFont.truetype(font_path, round(size * 0.075))
    for text, height in (("演示专用", 0.70), ("DEMO", 0.81)):
        draw.text((centre, size * height), text, font=label, fill=_INK, anchor="mm")
    seal = Image.new("RGBA", (size, size), (*_RED, 0))
    seal.putalpha(ink)
    path.parent.mkdir(parents=True, exist_ok=True)
    seal.save(path, format="PNG", optimize=True)


def _star(draw: object, x: float, y: float, radius: float) -> None:
    from PIL import ImageDraw

    assert isinstance(draw, ImageDraw.ImageDraw)  # noqa: S101 -- typed for mypy
    points = []
    for index in range(10):
        angle = math.pi / 2 + index * math.pi / 5
        r = radius if index % 2 == 0 else radius * 0.382
        points.append((x + r * math.cos(angle), y - r * math.sin(angle)))
    draw.polygon(points, fill=_INK)


def _rim_text(ink: object, text: str, font: object, size: int) -> None:
    """Each character upright to the rim, along the upper 240 degrees of the circle."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    assert isinstance(ink, Image.Image)  # noqa: S101 -- typed for mypy
    assert isinstance(font, ImageFont.FreeTypeFont)  # noqa: S101
    radius = size * 0.37
    span = math.radians(240)
    step = span / max(len(text) - 1, 1)
    glyph = round(size * 0.09)
    for index, char in enumerate(text):
        angle = math.radians(210) - index * step  # from lower left, over the top, to lower right
        tile = Image.new("L", (glyph, glyph), 0)
        ImageDraw.Draw(tile).text((glyph / 2, glyph / 2), char, font=font, fill=_INK, anchor="mm")
        tile = tile.rotate(math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = round(size / 2 + radius * math.cos(angle) - glyph / 2)
        y = round(size / 2 - radius * math.sin(angle) - glyph / 2)
        box = (x, y, x + glyph, y + glyph)
        ink.paste(ImageChops.lighter(ink.crop(box), tile), box)


def _font_file(pattern: str) -> str:
    """The file of the face fontconfig picks for ``pattern``."""
    found = subprocess.run(  # noqa: S603 -- fixed arguments
        ["fc-match", "--format=%{file}", pattern],  # noqa: S607 -- fontconfig's own tool
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if not found:
        raise SealError("no CJK font found to draw the demo seal (install fonts-noto-cjk)")
    return found
