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
``asset:<name>``, and images in ``data:`` URIs (how callers embed a QR code or the seal without
any I/O) whose bytes decode as the image type they declare. All else -- file:, http(s):, ftp:,
other data: types, a polyglot or truncated image, relative URLs -- is refused by a fetcher with no
code path to the network or the filesystem, so there is no redirect to follow either. Raster
images above ``MAX_IMAGE_PIXELS`` stop the render. ``@font-face`` rules are ignored: fonts come
from the system (fontconfig, plus the folders of ``worker.font_files``), embedded and subset.
A PDF carries the caller's attachments (the decision record) and nothing else: files that the
markup names (``<link rel=attachment>``, ``<a rel=attachment>``) are dropped.

The package has four parts: ``policy`` (what a document may load, no WeasyPrint needed),
``pool`` (the caller's side: worker processes, time limit, the public ``render_pdf``),
``worker`` (WeasyPrint inside a worker process) and ``fonts`` (compact CJK font subsets).
"""

from .policy import (
    ASSETS,
    ImageTooLargeError,
    ResourceRefusedError,
    check_image_size,
    nesting_depth,
    resolve_resource,
)
from .pool import (
    PdfAttachment,
    RenderError,
    _worker_environment,
    _worker_pool,
    render_pdf,
    start_renderer,
)
from .worker import make_url_fetcher

__all__ = [
    "ASSETS",
    "ImageTooLargeError",
    "PdfAttachment",
    "RenderError",
    "ResourceRefusedError",
    "_worker_environment",
    "_worker_pool",
    "check_image_size",
    "make_url_fetcher",
    "nesting_depth",
    "render_pdf",
    "resolve_resource",
    "start_renderer",
]
