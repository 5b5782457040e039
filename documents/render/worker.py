"""The worker's side: WeasyPrint in a process of its own, with limits, set up once.

Started by ``pool._Worker`` as ``python -I -c <bootstrap> --serve <fd> <fd>``; ``main`` reads
the two pipe descriptors from the command line. Importing this module does not import
WeasyPrint: only building the renderer (in the worker) does.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import resource
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .fonts import CidFontCompactor
from .policy import (
    ASSET_SCHEME,
    ASSETS,
    MAX_IMAGE_PIXELS,
    MAX_NESTING_DEPTH,
    ImageTooLargeError,
    ResourceRefusedError,
    check_image_size,
    nesting_depth,
    resolve_resource,
)

WORKER_MEMORY_LIMIT_BYTES = 2 * 1024**3
#: The free FangSong, Song, Hei and Kai faces of Debian's texlive-lang-chinese (Fandol, GB 2312
#: complete), which it installs outside fontconfig's folders. DOCUMENT_FONT_DIRS (folders
#: separated by ":") adds an office's own fonts, e.g. 仿宋_GB2312 and 方正小标宋.
FREE_FONT_DIRS = ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",)
FONT_SUFFIXES = frozenset({".otf", ".ttf", ".ttc", ".otc"})


def font_files(environment: Mapping[str, str] = os.environ) -> list[Path]:
    """The font files the renderer adds to the system's: the office's, then the free ones."""
    folders = [*filter(None, environment.get("DOCUMENT_FONT_DIRS", "").split(":"))]
    files: list[Path] = []
    for folder in (*folders, *FREE_FONT_DIRS):
        try:
            entries = sorted(Path(folder).iterdir())
        except OSError:
            continue
        files += [entry for entry in entries if entry.suffix.lower() in FONT_SUFFIXES]
    return files


def _serve(request_fd: int, response_fd: int) -> None:
    """The worker's loop: one request at a time, until the parent closes the pipe."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_LIMIT_BYTES, WORKER_MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # No file may be written at all (pipes are not files): nothing half-written is ever left.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    requests = Connection(request_fd, writable=False)
    responses = Connection(response_fd, readable=False)
    renderer = _Renderer()
    responses.send_bytes(json.dumps({"ready": True}).encode())
    while True:
        try:
            request = json.loads(requests.recv_bytes())
            contents = [requests.recv_bytes() for _ in request["attachments"]]
        except EOFError:
            return
        status, pdf = renderer.render(request, contents)
        responses.send_bytes(json.dumps(status).encode())
        if pdf is not None:
            responses.send_bytes(pdf)
        if status.get("recycle"):
            return


@cache
def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class FatalImageError(FatalURLFetchingError):  # type: ignore[misc]  # untyped library
        """Fatal for the whole render: an image left out would change what the document says."""

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, attachments: Mapping[str, tuple[bytes, str]] | None = None) -> None:
            # No protocol allowed and no redirect handler: should anything ever reach urllib
            # through the base class, it would still refuse.
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
            self.attachments = dict(attachments or {})
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            try:
                if url in self.attachments:
                    content, media_type = self.attachments[url]
                else:
                    content, media_type = resolve_resource(url)
                    check_image_size(content, media_type)
            except ImageTooLargeError as error:
                raise FatalImageError(str(error)) from error
            except ResourceRefusedError:
                self.refused.append(url[:200])
                raise  # WeasyPrint logs it and leaves the resource out
            if media_type == "text/css":
                media_type += "; charset=utf-8"
            return URLFetcherResponse(url, content, {"Content-Type": media_type})

    return AssetFetcher


_IMAGE_OBJECTS_KEPT = 8


def _keep_image_objects() -> None:
    """Build each raster image's PDF object once per worker, not once per document.

    For every image of every document WeasyPrint decodes the pixels and compresses them anew
    (the colour and, for the seal, the alpha channel as a second image): 10 ms for the
    400-pixel seal that is the same on every document. In the worker only, the objects of the
    last few images are kept, by the image's id (a digest of its URL, which for a data: URI
    holds the image's bytes), its size and how it is drawn; each document gets its own copy,
    since writing the PDF replaces the alpha image by a reference."""
    import copy
    from collections import OrderedDict

    import pydyf
    from weasyprint.images import RasterImage

    weasyprint_x_object = RasterImage.get_x_object
    kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get_x_object(image: Any, interpolate: bool, dpi_ratio: float) -> Any:
        key = (image.id, image.width, image.height, image.mode, interpolate, dpi_ratio)
        if key in kept:
            kept.move_to_end(key)
        else:
            x_object = weasyprint_x_object(image, interpolate, dpi_ratio)
            # The streams hold their data in the document's image cache: keep the bytes only.
            for stream in (x_object, x_object.extra.get("SMask")):
                if isinstance(stream, pydyf.Stream):
                    stream.stream = [pydyf._to_bytes(item) for item in stream.stream]
            kept[key] = x_object
            if len(kept) > _IMAGE_OBJECTS_KEPT:
                kept.popitem(last=False)
        return copy.deepcopy(kept[key])

    RasterImage.get_x_object = get_x_object


def _without_markup_attachments(document: Any) -> list[str]:
    """Drop the files the markup asks to embed (``<link rel=attachment>``, ``<a
    rel=attachment>``): a document carries the caller's attachments (its decision record) and
    nothing else. Returns what was dropped, for the log."""
    dropped = [
        f"attachment {item.name or item.description or ''}"[:200]
        for item in document.metadata.attachments
    ]
    document.metadata.attachments = []
    for page in document.pages:
        links = page.links
        page.links = [link for link in links if link[0] != "attachment"]
        dropped += [f"attachment {link[1]!s:.180}" for link in links if link[0] == "attachment"]
    return dropped


def make_url_fetcher(attachments: Mapping[str, tuple[bytes, str]] | None = None) -> Any:
    """The WeasyPrint URL fetcher given to every HTML() and CSS(): ``resolve_resource`` only.

    ``attachments`` maps ``attachment:<n>`` URLs to content and media type; only the fetcher
    that loads the caller's attachments has any. Imports WeasyPrint: meant for the worker.
    """
    return _fetcher_class()(attachments)


@cache
def _system_fonts_only() -> type:
    from weasyprint.logger import LOGGER
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    class SystemFontsOnly(FontConfiguration):  # type: ignore[misc]
        """Fonts come from fontconfig, with the folders of ``font_files`` added; ``@font-face``
        would fetch and write font files."""

        def __init__(self) -> None:
            super().__init__()
            added = [
                fontconfig.FcConfigAppFontAddFile(self._config, str(path).encode())
                for path in font_files()
            ]
            if any(added):
                pangoft2.pango_fc_font_map_config_changed(
                    ffi.cast("PangoFcFontMap *", self.font_map)
                )

        def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> None:
            LOGGER.warning("@font-face ignored: documents use the system's fonts")

    return SystemFontsOnly


# WeasyPrint reports every page it lays out with this message on its progress logger.
_PAGE_PROGRESS_MESSAGE = "Step 5 - Creating layout - Page %d"
_MAX_MESSAGES = 20
_WARM_UP_HTML = """<!DOCTYPE html><html lang="zh-Hans"><head>
</head><body><img src="asset:mark.svg" alt="">
<h1>配套资金批复</h1><p>人民币壹仟贰佰万元整（¥12,000,000.00）</p>
<p style="font-family: 'Noto Sans CJK SC'">审核 <b>通过</b></p></body></html>"""


class _PageLimitExceeded(BaseException):
    """Raised inside WeasyPrint's layout: a BaseException, so no ``except Exception`` there can
    swallow it."""


class _PageCounter(logging.Filter):
    """Stops the layout at the first page over the limit rather than after the last one.

    The finished layout is checked too; this only makes thousands of page breaks fail in a
    second instead of running into the time limit.
    """

    limit: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.limit is not None and record.msg == _PAGE_PROGRESS_MESSAGE:
            page = record.args[0] if isinstance(record.args, tuple) and record.args else 0
            if isinstance(page, int) and page > self.limit:
                raise _PageLimitExceeded(page)
        return False  # progress lines are not worth keeping


class _MessageCollector(logging.Handler):
    """WeasyPrint's warnings of one render, for the parent to log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < _MAX_MESSAGES:
            self.messages.append(record.getMessage()[:300])


class _Renderer:
    """WeasyPrint in the worker, set up once: limits, logging, fonts warmed up."""

    def __init__(self) -> None:
        import warnings

        import weasyprint
        from PIL import Image
        from weasyprint.logger import LOGGER, PROGRESS_LOGGER
        from weasyprint.urls import FatalURLFetchingError

        Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        self.weasyprint = weasyprint
        self.fatal_fetch_error = FatalURLFetchingError
        self.collector = _MessageCollector()
        LOGGER.addHandler(self.collector)
        LOGGER.setLevel(logging.WARNING)
        LOGGER.propagate = False
        self.page_counter = _PageCounter()
        PROGRESS_LOGGER.addFilter(self.page_counter)
        PROGRESS_LOGGER.setLevel(logging.INFO)
        PROGRESS_LOGGER.propagate = False
        self.compact_fonts = CidFontCompactor()
        _keep_image_objects()
        # One font configuration for every render: the fonts are the system's and @font-face is
        # ignored, so nothing differs between documents, and Pango's caches stay warm (-15 ms).
        self.font_config = _system_fonts_only()()
        self.stylesheets: dict[str, Any] = {}  # bundled stylesheets, parsed once (stylesheet)
        warm_up = {"html": _WARM_UP_HTML, "pdf_variant": "pdf/a-3b", "page_limit": 1}
        self.render({**warm_up, "stylesheets": ["letterhead.css"]}, [])
        # What exists now lives as long as the worker: keep the collector from walking it again,
        # and let a layout's many short-lived objects go in fewer, cheaper collections.
        gc.freeze()
        gc.set_threshold(10_000, 20, 50)

    def render(
        self, request: dict[str, Any], contents: list[bytes]
    ) -> tuple[dict[str, Any], bytes | None]:
        limit = int(request["page_limit"])
        fetcher = make_url_fetcher()
        self.collector.messages = []
        self.compact_fonts.forget()
        self.page_counter.limit = limit
        try:
            if nesting_depth(request["html"]) > MAX_NESTING_DEPTH:
                raise RecursionError
            document = self.weasyprint.HTML(string=request["html"], url_fetcher=fetcher).render(
                font_config=self.font_config,
                pdf_variant=request["pdf_variant"],
                stylesheets=[self.stylesheet(name) for name in request.get("stylesheets", ())],
            )
            if len(document.pages) > limit:
                raise _PageLimitExceeded(len(document.pages))
            fetcher.refused += _without_markup_attachments(document)
            pdf = document.write_pdf(
                pdf_variant=request["pdf_variant"],
                attachments=self._attachments(request.get("attachments", ()), contents),
                finisher=self._finish,
            )
        except _PageLimitExceeded:
            return self._failure("page_limit", f"the document has more than {limit} pages"), None
        except RecursionError:
            return self._failure("recursion", "the document is nested too deeply to lay out"), None
        except MemoryError:
            message = "the document needs more memory than a render may use"
            return self._failure("memory", message, recycle=True), None
        except self.fatal_fetch_error as error:
            return self._failure("image", str(error.__cause__ or error)[:300]), None
        except Exception as error:  # whatever the input broke, answer the parent
            return self._failure("invalid", f"{type(error).__name__}: {error}"[:300]), None
        finally:
            self.page_counter.limit = None
        status = {
            "ok": True,
            "pages": len(document.pages),
            "refused": fetcher.refused[:_MAX_MESSAGES],
            "messages": self.collector.messages,
        }
        return status, pdf

    def stylesheet(self, name: str) -> Any:
        """A bundled stylesheet, parsed the first time a document asks for it. Only stylesheets
        listed in ``ASSETS`` exist; the name is never a path."""
        if name not in self.stylesheets:
            if ASSETS.get(name) != "text/css":
                raise ResourceRefusedError(f"not a bundled stylesheet: {name[:200]}")
            content, _ = resolve_resource(ASSET_SCHEME + name)
            self.stylesheets[name] = self.weasyprint.CSS(
                string=content.decode(),
                base_url=ASSET_SCHEME + name,
                url_fetcher=make_url_fetcher(),
                font_config=self.font_config,
            )
        return self.stylesheets[name]

    def _finish(self, document: Any, pdf: Any) -> None:
        """Last touches to the PDF before WeasyPrint writes it."""
        self.compact_fonts(document, pdf)
        # WeasyPrint 70 lists each associated file twice in the catalog's /AF.
        if "AF" in pdf.catalog:
            pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))

    def _attachments(self, metadata: Sequence[dict[str, str]], contents: list[bytes]) -> list[Any]:
        # Served under attachment:<n> by a fetcher of their own, so that WeasyPrint records the
        # caller's media type and the document's HTML cannot name them.
        fetcher = make_url_fetcher(
            {
                f"attachment:{index}": (content, meta["mime_type"])
                for index, (meta, content) in enumerate(zip(metadata, contents, strict=True))
            }
        )
        return [
            self.weasyprint.Attachment(
                url=f"attachment:{index}",
                url_fetcher=fetcher,
                name=meta["filename"],
                description=meta["description"],
                relationship=meta["relationship"],
            )
            for index, meta in enumerate(metadata)
        ]

    def _failure(self, reason: str, message: str, *, recycle: bool = False) -> dict[str, Any]:
        return {
            "ok": False,
            "reason": reason,
            "message": message,
            "recycle": recycle,
            "messages": self.collector.messages,
        }


def main() -> None:  # pragma: no cover -- runs in the worker process
    if sys.argv[1:2] == ["--serve"]:
        _serve(int(sys.argv[2]), int(sys.argv[3]))
