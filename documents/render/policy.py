"""What a decision document may load: the bundled assets by name and data: images that decode as
the type they declare; nothing else.

Deny by default, with no code path to the network or the filesystem beyond the allow-list. No
WeasyPrint here: the worker's URL fetcher (``worker.py``) calls ``resolve_resource``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import unquote_to_bytes

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
ASSET_SCHEME = "asset:"
#: The only files a document may load, by name, with the media type they are served as.
ASSETS: Mapping[str, str] = {"letterhead.css": "text/css", "mark.svg": "image/svg+xml"}
#: The image types a data: URI may hold, with the format Pillow must find in their bytes.
RASTER_FORMATS: Mapping[str, str] = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF"}
DATA_URI_IMAGE_TYPES = frozenset({*RASTER_FORMATS, "image/svg+xml"})
MAX_DATA_URI_CHARS = 4 * 1024 * 1024
#: A4 at 400 dpi is 15.5 million pixels; far above that is a decompression bomb.
MAX_IMAGE_PIXELS = 25_000_000
#: WeasyPrint's recursive layout gives up near 150 levels; beyond this estimate, its HTML parser
#: alone would take quadratic time (20,000 nested <div> cost 20 s) before failing.
MAX_NESTING_DEPTH = 300
PDF_VARIANTS = frozenset({"pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/a-2u"})
ATTACHMENT_RELATIONSHIPS = frozenset({"Source", "Data", "Alternative", "Supplement", "Unspecified"})


class ResourceRefusedError(ValueError):
    """A URL that documents may not load."""


class ImageTooLargeError(ResourceRefusedError):
    """A raster image whose decoding would exhaust memory."""


def resolve_resource(url: str) -> tuple[bytes, str]:
    """The content and media type of a URL a document may load; ResourceRefusedError otherwise."""
    if url.startswith(ASSET_SCHEME):
        name = url.removeprefix(ASSET_SCHEME)
        if name not in ASSETS:  # an exact name from the allow-list: no path ever gets built
            raise ResourceRefusedError(f"not a bundled asset: {url[:200]}")
        return _asset_content(name), ASSETS[name]
    if url[:5].lower() == "data:":
        return _decode_image_data_uri(url)
    raise ResourceRefusedError(
        f"documents load only bundled assets and data: images, not {url[:200]}"
    )


@cache
def _asset_content(name: str) -> bytes:
    return (ASSETS_DIR / name).read_bytes()


@lru_cache(maxsize=8)
def _decode_image_data_uri(url: str) -> tuple[bytes, str]:
    """Decoded and checked once for the images every document carries (the seal)."""
    if len(url) > MAX_DATA_URI_CHARS:
        raise ResourceRefusedError(f"a data: URI of {len(url)} characters is too long")
    header, comma, payload = url[5:].partition(",")
    parameters = [part.strip().lower() for part in header.split(";")]
    if not comma or parameters[0] not in DATA_URI_IMAGE_TYPES:
        raise ResourceRefusedError(
            f"data: URIs may only hold images, not {parameters[0] or 'text'}"
        )
    content = unquote_to_bytes(payload)
    if parameters[-1] == "base64":
        try:
            content = base64.b64decode(content)
        except binascii.Error as error:
            raise ResourceRefusedError("a data: URI with invalid base64") from error
    check_declared_type(content, parameters[0])
    return content, parameters[0]


def check_declared_type(content: bytes, media_type: str) -> None:
    """Refuse a data: image whose bytes do not decode as the type it declares (a PDF, HTML or
    script labelled image/png, a polyglot, a truncated file). Raster images are decoded by
    Pillow; an SVG must be well-formed XML with an <svg> root and no document type
    declaration (no entities to expand, nothing external to name)."""
    if media_type == "image/svg+xml":
        _check_svg(content)
        return
    import warnings

    from PIL import Image

    expected = RASTER_FORMATS[media_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[expected]) as image:
                width, height = image.size
                if width * height <= MAX_IMAGE_PIXELS:  # larger: check_image_size stops it
                    image.load()
    except Image.DecompressionBombError:
        return  # check_image_size refuses it, fatally
    except Exception as error:  # Pillow raises many kinds for data that is not the image
        raise ResourceRefusedError(
            f"a data: URI declared {media_type} that does not decode as one"
        ) from error


_SVG_ROOTS = frozenset({"svg", "{http://www.w3.org/2000/svg}svg"})


def _check_svg(content: bytes) -> None:
    from xml.etree import ElementTree

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ResourceRefusedError("a data: SVG that is not UTF-8") from error
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise ResourceRefusedError("a data: SVG with a document type declaration")
    try:
        # No DTD is allowed above, so nothing can be expanded or fetched while parsing.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as error:
        raise ResourceRefusedError("a data: URI declared image/svg+xml that is not SVG") from error
    if root.tag not in _SVG_ROOTS:
        raise ResourceRefusedError("a data: URI declared image/svg+xml that is not SVG")


def check_image_size(content: bytes, media_type: str) -> None:
    """Refuse raster images above MAX_IMAGE_PIXELS, reading only their header."""
    if media_type == "image/svg+xml":
        return
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        width = height = MAX_IMAGE_PIXELS  # Pillow's own bound is lower than that square
    except Exception:  # not an image Pillow reads: WeasyPrint will leave it out
        return
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageTooLargeError(f"an image has more than {MAX_IMAGE_PIXELS:,} pixels")


# Greedy up to the tag's end: a lazy "[^>]*?(/?)>" tries to end the tag at every character,
# which costs milliseconds for the seal's 40,000-character data: URI.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:[^>]*[^>/])?(/?)>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Void elements, and elements whose end tag may be omitted (the parser closes them itself).
_NOT_NESTING = frozenset(
    {
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"),
        *("source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option"),
        *("optgroup", "thead", "tbody", "tfoot", "colgroup", "rb", "rt", "rp", "caption"),
    }
)


def nesting_depth(html: str) -> int:
    """An upper estimate of how deeply the elements of ``html`` nest, in one linear scan."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(_COMMENT.sub("", html)):
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest
