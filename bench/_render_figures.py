"""Figures shared by the rendering benchmarks: stock WeasyPrint on the same HTML, and the
memory of the renderer processes.

"Stock" is WeasyPrint as a caller would use it without ``documents.render``: a fresh
``HTML(...).write_pdf()`` with the letterhead stylesheet parsed on each call, its own font
configuration and its own font subsetting. Only the URL fetcher is ours (the documents address
their assets as ``asset:<name>``, which stock WeasyPrint cannot load otherwise).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any


def stock_render_ms(html: str, attachments: list[Any], *, runs: int, warm_ups: int = 2) -> float:
    """The median time, in ms, for stock WeasyPrint to write ``html`` as PDF/A-3b."""
    import weasyprint

    from documents.render import make_url_fetcher
    from documents.render.policy import ASSET_SCHEME, resolve_resource

    fetch = make_url_fetcher()
    stylesheet, _ = resolve_resource(ASSET_SCHEME + "letterhead.css")

    def once() -> None:
        weasyprint.HTML(string=html, url_fetcher=fetch).write_pdf(
            stylesheets=[weasyprint.CSS(string=stylesheet.decode(), url_fetcher=fetch)],
            pdf_variant="pdf/a-3b",
            attachments=[
                weasyprint.Attachment(string=item.content, name=item.filename)
                for item in attachments
            ],
        )

    for _ in range(warm_ups):
        once()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def renderer_memory() -> list[tuple[int, float, float]]:
    """(pid, peak resident MB, private MB now) of each idle renderer of this process."""
    from documents.render import _worker_pool

    figures = []
    for worker in list(_worker_pool()._idle):
        pid = worker.process.pid
        peak = _status_kb(pid, "VmHWM") / 1024
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        private = sum(
            int(line.split()[1])
            for line in rollup.splitlines()
            if line.startswith(("Private_Clean:", "Private_Dirty:"))
        )
        figures.append((pid, peak, private / 1024))
    return figures


def renderer_cpu_seconds() -> float:
    """The CPU time (user and system) the idle renderers of this process have used so far."""
    import os

    from documents.render import _worker_pool

    ticks = 0
    for worker in list(_worker_pool()._idle):
        # The fields after the command name, which may hold spaces: utime and stime are the
        # 14th and 15th fields of the line.
        fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def print_renderer_memory() -> None:
    for pid, peak, private in renderer_memory():
        print(
            f"renderer process {pid}: peak resident {peak:6.1f} MB, "
            f"private now {private:6.1f} MB   (aim ≤ 200 MB)"
        )
