"""The caller's side: a pool of renderer processes, the time limit, and ``render_pdf``.

The parent never imports WeasyPrint. It speaks to each worker over two pipes (JSON and raw byte
frames, never pickle), waits ``timeout_seconds`` for the answer and SIGKILLs a worker that
does not answer.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .policy import ASSETS

logger = logging.getLogger("documents.render")

PDF_VARIANTS = frozenset({"pdf/a-3b", "pdf/a-3u", "pdf/a-2b", "pdf/a-2u"})
ATTACHMENT_RELATIONSHIPS = frozenset({"Source", "Data", "Alternative", "Supplement", "Unspecified"})
WORKER_STARTUP_TIMEOUT_SECONDS = 60.0
# Recycled now and then so that caches and fragmentation in a long-lived worker stay bounded.
WORKER_MAX_RENDERS = 500
WORKER_POOL_SIZE = max(int(os.environ.get("DOCUMENT_RENDER_WORKERS", "2")), 1)
MAX_PDF_BYTES = 64 * 1024 * 1024
# Under uWSGI and some embedders sys.executable is not a Python interpreter.
WORKER_PYTHON = os.environ.get("DOCUMENT_RENDER_PYTHON") or sys.executable
_WORKER_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TMPDIR", "TZ", "DOCUMENT_FONT_DIRS")
_WORKER_ENVIRONMENT_PREFIXES = ("LC_", "FONTCONFIG", "XDG_", "PANGO", "WEASYPRINT_")
# Isolated mode (-I) puts neither the script's folder nor the working directory on sys.path, and
# ignores PYTHONPATH: the worker is told where the project is, and imports nothing else of it.
_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
_WORKER_BOOTSTRAP = (
    f"import sys; sys.path.insert(0, {_PROJECT_ROOT!r}); "
    "from documents.render.worker import main; main()"
)


class RenderError(Exception):
    """The document could not be rendered; ``transient`` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


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
    stylesheets: Sequence[str] = ("letterhead.css",),
) -> bytes:
    """Lay out ``html`` (a complete document) and return the PDF's bytes.

    ``stylesheets`` names bundled stylesheets (``ASSETS``) applied beneath the document's own
    styles, as a user stylesheet: each renderer parses them once, not on every document (a
    linked stylesheet would be parsed again each time, about a tenth of a render).

    Raises RenderError: non-transient for input that will always fail (more than ``page_limit``
    pages, nesting too deep, an image too large, memory exhausted, a crash of the renderer);
    transient when the render ran out of time or no renderer could be started or reached.
    ``timeout_seconds`` bounds the render, and separately the wait for a free renderer.
    """
    if pdf_variant is not None and pdf_variant not in PDF_VARIANTS:
        raise ValueError(f"unsupported PDF variant {pdf_variant!r}")
    if page_limit < 1 or timeout_seconds <= 0:
        raise ValueError("page_limit and timeout_seconds must be positive")
    unknown = [name for name in stylesheets if ASSETS.get(name) != "text/css"]
    if unknown:
        raise ValueError(f"not bundled stylesheets: {unknown}")
    request = {
        "html": html,
        "stylesheets": list(stylesheets),
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


class _Worker:
    """One renderer process, spoken to over two pipes with length-prefixed messages.

    Messages are JSON plus raw byte frames, never pickle: the worker handles hostile input, and
    the parent must not unpickle whatever a compromised worker might send.
    """

    def __init__(self) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        try:
            self.process = subprocess.Popen(  # noqa: S603 -- our interpreter, our own module
                [
                    *(WORKER_PYTHON, "-I", "-c", _WORKER_BOOTSTRAP, "--serve"),
                    *(str(request_read), str(response_write)),
                ],
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
