"""Where the time of a document goes: each step of ``documents.services.render_document``, timed
in the caller and in its renderer process (``bench/documents.py --stages``).

The steps are the functions ``render_document`` calls, wrapped for the run: claiming the
document, composing its HTML (context, QR code, template), the JSON record, the render (the
renderer's own CPU time is read from /proc), the signature and the storage. ``--profile STAGE``
adds the cProfile listing of one step; ``--profile renderer`` profiles the renderer's code in
this process, on the same HTML.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

STAGES = {
    "claim": "_claim",
    "compose": "document_html",
    "record": "record_attachment",
    "render": "render_pdf",
    "sign": "sign_pdf",
    "store": "_store",
}
LISTED_FUNCTIONS = 30


def print_stages(ids: list[int], render_all: Callable[[list[int]], Any], profile: str) -> None:
    from _render_figures import renderer_cpu_seconds

    from documents import services

    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    profiler = cProfile.Profile()

    def timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            renderer = renderer_cpu_seconds() if stage == "render" else 0.0
            began, began_cpu = time.perf_counter(), time.process_time()
            if stage == profile:
                profiler.enable()
            try:
                return function(*args, **kwargs)
            finally:
                if stage == profile:
                    profiler.disable()
                wall[stage].append(time.perf_counter() - began)
                cpu[stage].append(time.process_time() - began_cpu)
                if stage == "render":
                    cpu["renderer"].append(renderer_cpu_seconds() - renderer)

        return step

    originals = {name: getattr(services, name) for name in STAGES.values()}
    for stage, name in STAGES.items():
        setattr(services, name, timed(stage, originals[name]))
    try:
        times, _sizes = render_all(ids)
    finally:
        for name, function in originals.items():
            setattr(services, name, function)
    print(f"{'step':<10} {'wall median':>12} {'caller CPU':>11} {'renderer CPU':>13}   (mean CPU)")
    renderer_ms = statistics.mean(cpu["renderer"]) * 1000
    for stage in STAGES:
        renderer = f"{renderer_ms:10.1f} ms" if stage == "render" else ""
        print(
            f"{stage:<10} {statistics.median(wall[stage]) * 1000:9.1f} ms "
            f"{statistics.mean(cpu[stage]) * 1000:8.1f} ms {renderer:>13}"
        )
    caller = sum(statistics.mean(values) for stage, values in cpu.items() if stage != "renderer")
    print(
        f"{'total':<10} {statistics.median(times) * 1000:9.1f} ms {caller * 1000:8.1f} ms "
        f"{renderer_ms:10.1f} ms"
    )
    if profile in STAGES:
        _print_profile(profiler)
    elif profile == "renderer":
        _profile_renderer(ids[0])


def _profile_renderer(document_id: int, runs: int = 10) -> None:
    """The renderer's code, run in this process on the document's HTML."""
    from documents.content import document_html, page_limit
    from documents.models import Document
    from documents.records import record_attachment
    from documents.render.worker import _Renderer

    document = Document.objects.get(pk=document_id)
    attachment = record_attachment(document)
    request = {
        "html": document_html(document),
        "stylesheets": ["letterhead.css"],
        "pdf_variant": "pdf/a-3b",
        "page_limit": page_limit(document),
        "attachments": [
            {
                "filename": attachment.filename,
                "description": attachment.description,
                "mime_type": attachment.mime_type,
                "relationship": attachment.relationship,
            }
        ],
    }
    renderer = _Renderer()
    renderer.render(request, [attachment.content])
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        renderer.render(request, [attachment.content])
    profiler.disable()
    print(f"renderer, {runs} renders in this process:")
    _print_profile(profiler)


def _print_profile(profiler: cProfile.Profile) -> None:
    listing = io.StringIO()
    stats = pstats.Stats(profiler, stream=listing)
    stats.sort_stats("cumulative").print_stats(LISTED_FUNCTIONS)
    print(listing.getvalue())
