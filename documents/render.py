"""HTML to PDF for decision documents: the only module that imports WeasyPrint.

``render_pdf(html)`` returns the bytes of a PDF/A-3b document. It never writes a file, never
opens a connection, and reads no file but the bundled assets.

Why worker processes. The HTML carries applicant text, and laying it out runs C code (Pango,
HarfBuzz, Pillow) that Python cannot interrupt. ``signal.alarm`` works only in the main thread
(Celery's thread pools and Django's threaded servers render elsewhere), cannot stop a loop inside
C, and leaves the render's memory in the caller. So every process that renders keeps a small pool
of long-lived workers, started with ``subprocess`` rather than ``multiprocessing`` (no re-import
of the caller's ``__main__``, no "daemonic processes are not allowed to have children" inside
Celery's prefork pool, no fork of a threaded parent). A worker imports WeasyPrint once and warms
its fonts, so a warm render costs the layout plus one pipe round trip. The parent waits
``timeout_seconds`` for the answer and SIGKILLs the worker when it does not come. The worker has a
memory cap, may not write files or dump core, and does not inherit the caller's secrets. The
caller's process never imports WeasyPrint at all.

What a document may load (deny by default): the files named in ``ASSETS``, addressed as
``asset:<name>``, and images in ``data:`` URIs (how callers embed a QR code without any I/O). All
else -- file:, http(s):, ftp:, other data: types, relative URLs -- is refused by a fetcher with no
code path to the network or the filesystem, so there is no redirect to follow either. Raster
images above ``MAX_IMAGE_PIXELS`` stop the render. ``@font-face`` rules are ignored: fonts come
from the system (fontconfig), embedded and subset.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import gc
import io
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = [
    "ASSETS",
    "ImageTooLargeError",
    "PdfAttachment",
    "RenderError",
    "ResourceRefusedError",
    "make_url_fetcher",
    "render_pdf",
    "resolve_resource",
    "start_renderer",
]

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
ASSET_SCHEME = "asset:"
#: The only files a document may load, by name, with the media type they are served as.
ASSETS: Mapping[str, str] = {"letterhead.css": "text/css", "mark.svg": "image/svg+xml"}
DATA_URI_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml"})
MAX_DATA_URI_CHARS = 4 * 1024 * 1024
#: A4 at 400 dpi is 15.5 million pixels; far above that is a decompression bomb.
MAX_IMAGE_PIXELS = 25_000_000
#: WeasyPrint's recursive layout gives up near 150 levels; beyond this estimate, its HTML parser
#: alone would take quadratic time (20,000 nested <div> cost 20 s) before failing.
MAX_NESTING_DEPTH = 300
PDF_VARIANTS = frozenset({"pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/a-2u"})
ATTACHMENT_RELATIONSHIPS = frozenset({"Source", "Data", "Alternative", "Supplement", "Unspecified"})

WORKER_MEMORY_LIMIT_BYTES = 2 * 1024**3
WORKER_STARTUP_TIMEOUT_SECONDS = 60.0
# Recycled now and then so that caches and fragmentation in a long-lived worker stay bounded.
WORKER_MAX_RENDERS = 500
WORKER_POOL_SIZE = max(int(os.environ.get("DOCUMENT_RENDER_WORKERS", "2")), 1)
MAX_PDF_BYTES = 64 * 1024 * 1024
# Under uWSGI and some embedders sys.executable is not a Python interpreter.
WORKER_PYTHON = os.environ.get("DOCUMENT_RENDER_PYTHON") or sys.executable
_WORKER_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ")
_WORKER_ENVIRONMENT_PREFIXES = ("LC_", "FONTCONFIG", "XDG_", "PANGO", "WEASYPRINT_")


class RenderError(Exception):
    """The document could not be rendered; ``transient`` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class ResourceRefusedError(ValueError):
    """A URL that documents may not load."""


class ImageTooLargeError(ResourceRefusedError):
    """A raster image whose decoding would exhaust memory."""


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (a PDF/A-3 associated file), e.g. the decision's JSON record."""

    filename: str
    content: bytes
    description: str = ""
    mime_type: str = "application/octet-stream"
    #: PDF/A-3 AFRelationship; "Data": the machine-readable data of what the pages show.
    relationship: str = "Data"

    def __post_init__(self) -> None:
        if not self.filename or "/" in self.filename or "\\" in self.filename:
            raise ValueError(f"an attachment needs a plain file name, not {self.filename!r}")
        if self.relationship not in ATTACHMENT_RELATIONSHIPS:
            raise ValueError(f"unknown PDF/A-3 relationship {self.relationship!r}")


def render_pdf(
    html: str,
    *,
    attachments: Sequence[PdfAttachment] = (),
    pdf_variant: str | None = "pdf/a-3b",
    page_limit: int = 20,
    timeout_seconds: float = 20.0,
) -> bytes:
    """Lay out ``html`` (a complete document) and return the PDF's bytes.

    Raises RenderError: non-transient for input that will always fail (more than ``page_limit``
    pages, nesting too deep, an image too large, memory exhausted, a crash of the renderer);
    transient when the render ran out of time or no renderer could be started or reached.
    ``timeout_seconds`` bounds the render, and separately the wait for a free renderer.
    """
    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise ValueError(f"unsupported PDF variant {pdf_variant!r}")
    if page_limit < 1 or timeout_seconds <= 0:
        raise ValueError("page_limit and timeout_seconds must be positive")
    request = {
        "html": html,
        "pdf_variant": pdf_variant,
        "page_limit": page_limit,
        "attachments": [
            {
                "filename": item.filename,
                "description": item.description,
                "mime_type": item.mime_type,
                "relationship": item.relationship,
            }
            for item in attachments
        ],
    }
    pool = _worker_pool()
    worker = pool.acquire(timeout_seconds)
    status: dict[str, Any] = {"recycle": True}
    try:
        status, pdf = worker.render(
            request, [item.content for item in attachments], timeout_seconds
        )
    finally:
        pool.release(worker, reusable=not status.get("recycle", False))
    if status.get("refused"):
        logger.warning("document render refused resources: %s", ", ".join(status["refused"]))
    for message in status.get("messages", ()):
        logger.info("weasyprint: %s", message)
    if not status["ok"]:
        log = logger.error if status["reason"] in {"memory", "recursion"} else logger.warning
        log("document render failed (%s): %s", status["reason"], status["message"])
        raise RenderError(status["message"], transient=False)
    if pdf is None:
        raise RenderError("the renderer sent no PDF", transient=True)
    return pdf


def start_renderer() -> None:
    """Start a renderer now, e.g. from Celery's ``worker_process_init``, so that the first
    document of a process does not wait the ~0.5 s a renderer takes to start."""
    pool = _worker_pool()
    pool.release(pool.acquire(WORKER_STARTUP_TIMEOUT_SECONDS), reusable=True)


# --- What a document may load (no WeasyPrint needed) --------------------------------------------


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


def _decode_image_data_uri(url: str) -> tuple[bytes, str]:
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
    return content, parameters[0]


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


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
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


# --- The caller's side: a pool of worker processes ----------------------------------------------


class _Worker:
    """One renderer process, spoken to over two pipes with length-prefixed messages.

    Messages are JSON plus raw byte frames, never pickle: the worker handles hostile input, and
    the parent must not unpickle whatever a compromised worker might send.
    """

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            self.process = subprocess.Popen(  # noqa: S603 -- our interpreter, this very file
                [WORKER_PYTHON, "-I", __file__, "--serve", str(request_read), str(response_write)],
                pass_fds=(request_read, response_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=_worker_environment(),
                start_new_session=True,  # the terminal's Ctrl-C is for the parent to handle
            )
        except OSError as error:
            for fd in (request_read, request_write, response_read, response_write):
                os.close(fd)
            raise RenderError(
                f"cannot start a document renderer: {error}", transient=True
            ) from error
        os.close(request_read)
        os.close(response_write)
        self.requests = Connection(request_write, readable=False)
        self.responses = Connection(response_read, writable=False)
        self.renders = 0
        if not self.responses.poll(WORKER_STARTUP_TIMEOUT_SECONDS):
            self.kill()
            raise RenderError("the document renderer did not start in time", transient=True)
        try:
            json.loads(self.responses.recv_bytes(4096))
        except (EOFError, OSError, ValueError) as error:
            self.kill()
            raise RenderError("the document renderer failed to start", transient=True) from error

    def alive(self) -> bool:
        return self.process.poll() is None

    def render(
        self, request: dict[str, Any], contents: list[bytes], timeout: float
    ) -> tuple[dict[str, Any], bytes | None]:
        self.renders += 1
        try:
            self.requests.send_bytes(json.dumps(request).encode())
            for content in contents:
                self.requests.send_bytes(content)
            # The worker answers with the status and the PDF back to back.
            if not self.responses.poll(timeout):
                self.kill()
                raise RenderError(f"rendering took longer than {timeout:g} s", transient=True)
            status = json.loads(self.responses.recv_bytes(1024 * 1024))
            pdf = self.responses.recv_bytes(MAX_PDF_BYTES) if status["ok"] else None
        except (EOFError, BrokenPipeError, ConnectionResetError) as error:
            raise self._died() from error
        except (OSError, ValueError, KeyError) as error:  # a PDF too large, or garbage
            self.kill()
            message = "the document renderer's answer could not be read"
            raise RenderError(message, transient=False) from error
        return status, pdf

    def _died(self) -> RenderError:
        """The worker's end of a pipe closed: say how it died."""
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        self.close_pipes()
        if code < 0:
            # SIGKILL comes from the kernel's OOM killer or an operator: resource trouble. Any
            # other death (SIGSEGV, SIGABRT) came from the input and would happen again.
            name = signal.Signals(-code).name
            return RenderError(f"the document renderer died ({name})", transient=-code == 9)
        return RenderError(f"the document renderer stopped (exit {code})", transient=False)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.close_pipes()

    def stop(self) -> None:
        """End of the requests tells the worker to exit; make sure that it did."""
        self.close_pipes()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()

    def close_pipes(self) -> None:
        for connection in (self.requests, self.responses):
            if not connection.closed:
                connection.close()


def _worker_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name in _WORKER_ENVIRONMENT or name.startswith(_WORKER_ENVIRONMENT_PREFIXES)
    }


class _WorkerPool:
    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []

    def acquire(self, timeout: float) -> _Worker:
        if not self._slots.acquire(timeout=timeout):
            raise RenderError("every document renderer is busy", transient=True)
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        try:
            if worker is not None and not worker.alive():
                worker.kill()
                worker = None
            return worker or _Worker()
        except BaseException:
            self._slots.release()
            raise

    def release(self, worker: _Worker, *, reusable: bool) -> None:
        if reusable and worker.alive() and worker.renders < WORKER_MAX_RENDERS:
            with self._lock:
                self._idle.append(worker)
        elif worker.alive():
            worker.stop()
        self._slots.release()

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.stop()

    def forget(self) -> None:
        """In a forked child: the workers are the parent's; only close our copies of the pipes."""
        for worker in self._idle:
            worker.close_pipes()
        self._idle = []


_pool: _WorkerPool | None = None
_pool_lock = threading.Lock()


def _worker_pool() -> _WorkerPool:
    global _pool  # one pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            _pool = _WorkerPool(WORKER_POOL_SIZE)
        return _pool


def _forget_pool_after_fork() -> None:
    global _pool, _pool_lock
    if _pool is not None:
        _pool.forget()
    _pool, _pool_lock = None, threading.Lock()


def _close_pool_at_exit() -> None:
    if _pool is not None:
        _pool.close()


os.register_at_fork(after_in_child=_forget_pool_after_fork)
atexit.register(_close_pool_at_exit)


# --- The worker's side ---------------------------------------------------------------------------


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


def make_url_fetcher(attachments: Mapping[str, tuple[bytes, str]] | None = None) -> Any:
    """The WeasyPrint URL fetcher given to every HTML() and CSS(): ``resolve_resource`` only.

    ``attachments`` maps ``attachment:<n>`` URLs to content and media type; only the fetcher
    that loads the caller's attachments has any. Imports WeasyPrint: meant for the worker.
    """
    return _fetcher_class()(attachments)


@cache
def _system_fonts_only() -> type:
    from weasyprint.logger import LOGGER
    from weasyprint.text.fonts import FontConfiguration

    class SystemFontsOnly(FontConfiguration):  # type: ignore[misc]
        """Fonts come from fontconfig; ``@font-face`` would fetch and write font files."""

        def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> None:
            LOGGER.warning("@font-face ignored: documents use the system's fonts")

    return SystemFontsOnly


# WeasyPrint reports every page it lays out with this message on its progress logger.
_PAGE_PROGRESS_MESSAGE = "Step 5 - Creating layout - Page %d"
_MAX_MESSAGES = 20
_WARM_UP_HTML = """<!DOCTYPE html><html lang="zh-Hans"><head>
<link rel="stylesheet" href="asset:letterhead.css"></head><body><img src="asset:mark.svg" alt="">
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
        self.compact_fonts = _CidFontCompactor()
        # One font configuration for every render: the fonts are the system's and @font-face is
        # ignored, so nothing differs between documents, and Pango's caches stay warm (-15 ms).
        self.font_config = _system_fonts_only()()
        self.render({"html": _WARM_UP_HTML, "pdf_variant": "pdf/a-3b", "page_limit": 1}, [])
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
                font_config=self.font_config, pdf_variant=request["pdf_variant"]
            )
            if len(document.pages) > limit:
                raise _PageLimitExceeded(len(document.pages))
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


_CFF_TAG = int.from_bytes(b"CFF ", "big")
_DROPPED_TABLES = sorted(
    int.from_bytes(tag, "big") for tag in (b"BASE", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"VORG")
)


class _CidFontCompactor:
    """Embeds CJK fonts with only the glyphs used: a few KB per font instead of ~100 KB.

    WeasyPrint 70 subsets fonts keeping every glyph id up to the highest one used, so a Noto CJK
    subset still carries 40,000-60,000 empty glyph slots (90-140 KB compressed, per font), and
    subsetting them is a third of a one-page render. Noto CJK is CID-keyed: HarfBuzz can subset
    its CFF to the used glyphs alone while the charset keeps each glyph's CID, and the page
    content addresses glyphs by CID (PDF 32000-1, 9.7.4.2). So, in the worker only (a process
    of its own, where patching WeasyPrint touches nothing else), ``Font.subset`` is replaced for
    CID-keyed CFF fonts, and this finisher embeds their bare CFF (FontFile3 /CIDFontType0C,
    readable since PDF 1.3, allowed by PDF/A-2 and -3). Other fonts, and any failure, take
    WeasyPrint's own path.
    """

    def __init__(self) -> None:
        from weasyprint.pdf import fonts
        from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
        from weasyprint.text.fonts import get_hb_object_data

        self.ffi, self.hb, self.hb_subset = ffi, harfbuzz, harfbuzz_subset
        self.face_data = get_hb_object_data
        self.cff_by_program: dict[int, tuple[bytes, bytes]] = {}
        weasyprint_subset = fonts.Font.subset

        def subset(font: Any, to_unicode: dict[int, str], hinting: bool) -> None:
            try:
                done = self.subset_cid_font(font, sorted({0, *to_unicode}))
            except Exception:  # WeasyPrint's own subsetting still works
                logger.debug("CID font subsetting failed", exc_info=True)
                done = False
            if not done:
                weasyprint_subset(font, to_unicode, hinting)

        if harfbuzz_subset is not None:
            fonts.Font.subset = subset

    def forget(self) -> None:
        self.cff_by_program.clear()

    def subset_cid_font(self, font: Any, glyphs: list[int]) -> bool:
        ffi, hb, hb_subset = self.ffi, self.hb, self.hb_subset
        subset_input = ffi.gc(
            hb_subset.hb_subset_input_create_or_fail(), hb_subset.hb_subset_input_destroy
        )
        glyph_set = hb_subset.hb_subset_input_glyph_set(subset_input)
        hb.hb_set_add_sorted_array(glyph_set, ffi.new("hb_codepoint_t[]", glyphs), len(glyphs))
        # Without the layout tables there is no closure over GSUB (vertical, traditional and
        # Japanese forms...): only the glyphs on the page are kept.
        dropped = hb_subset.hb_subset_input_set(
            subset_input, hb_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
        )
        tags = ffi.new("hb_codepoint_t[]", _DROPPED_TABLES)
        hb.hb_set_add_sorted_array(dropped, tags, len(_DROPPED_TABLES))
        flags = hb_subset.HB_SUBSET_FLAGS_NO_HINTING | hb_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
        if font.missing:
            flags |= hb_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        hb_subset.hb_subset_input_set_flags(subset_input, flags)
        face = hb_subset.hb_subset_or_fail(font.hb_face, subset_input)
        if face == ffi.NULL:
            return False
        face = ffi.gc(face, hb.hb_face_destroy)
        table = ffi.gc(hb.hb_face_reference_table(face, _CFF_TAG), hb.hb_blob_destroy)
        length = ffi.new("unsigned int *")
        data = hb.hb_blob_get_data(table, length)
        cff = bytes(ffi.buffer(data, length[0])) if length[0] else b""
        if not cff or not _is_cid_keyed(cff):
            return False
        # The OpenType subset stays the font's program, so WeasyPrint still treats it as an
        # "otf" font; the finisher swaps in the bare CFF.
        font.file_content = self.face_data(face)
        self.cff_by_program[id(font.file_content)] = (font.file_content, cff)
        return True

    def __call__(self, document: Any, pdf: Any) -> None:
        import pydyf

        for item in pdf.objects:
            if (
                isinstance(item, pydyf.Stream)
                and item.extra.get("Subtype") == "/OpenType"
                and len(item.stream) == 1
                and id(item.stream[0]) in self.cff_by_program
            ):
                program, cff = self.cff_by_program[id(item.stream[0])]
                if program is item.stream[0]:
                    item.stream = [cff]
                    item.extra["Subtype"] = "/CIDFontType0C"
        self.forget()


def _is_cid_keyed(cff: bytes) -> bool:
    """Whether a CFF font addresses its glyphs by CID (its top DICT has an ROS operator)."""
    from fontTools.cffLib import CFFFontSet

    font_set = CFFFontSet()
    font_set.decompile(io.BytesIO(cff), None)
    return hasattr(font_set.topDictIndex[0], "ROS")


if __name__ == "__main__":  # pragma: no cover -- the worker process
    if sys.argv[1:2] == ["--serve"]:
        _serve(int(sys.argv[2]), int(sys.argv[3]))
