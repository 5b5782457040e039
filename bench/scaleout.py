"""Full transitions on PostgreSQL by 1, 2 and 4 OS processes on different applications.

    .venv/bin/python bench/scaleout.py
    BENCH_SCALEOUT_PATHS=20 BENCH_SCALEOUT_TRIALS=3 .venv/bin/python bench/scaleout.py

Each process takes its own applications from draft to approval through the service layer (5
transitions and the people's steps between them, audit entries and flow tasks, no PDF, no
e-mail), all processes starting together. Prints, per trial, the aggregate transitions per
second, its ratio to one process, and the median time per decision spent acquiring the
application's row lock and appending the audit entry (which takes no lock of its own).
Targets on this 2-core machine: 2 processes ≥ 1.8× one; 4 no slower than 2; audit lock wait
under 1 ms at 4 processes.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path as FilePath

sys.path.insert(0, str(FilePath(__file__).resolve().parent))

PATHS = int(os.environ.get("BENCH_SCALEOUT_PATHS", "12"))
TRIALS = int(os.environ.get("BENCH_SCALEOUT_TRIALS", "3"))
PROCESSES = (1, 2, 4)


def worker(label: str, url: str, barrier, results) -> None:
    sys.path.insert(0, str(FilePath(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from _paths import Path

    from approvals import group_review, lead_review, meetings
    from workflows import assignments, submission
    from workflows import transitions as engine

    path = Path(label)
    waits: dict[str, list[float]] = {"row lock": [], "audit append": []}

    def clocked(owner, name: str, part: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                waits[part].append(time.perf_counter() - start)

        setattr(owner, name, wrapper)

    transitions = [0]

    def record(kind, name, elapsed, statements):
        transitions[0] += kind == "transition"

    path.run(record)  # warm-up: connection, caches
    for module in (engine, submission, assignments, lead_review, group_review, meetings):
        if getattr(module, "locked_application", None) is not None:
            clocked(module, "locked_application", "row lock")
    clocked(engine, "record_transition", "audit append")
    waits["row lock"].clear()
    transitions[0] = 0
    barrier.wait()
    start = time.perf_counter()
    for _ in range(PATHS):
        path.run(record)
    end = time.perf_counter()
    results.put((transitions[0], start, end, waits["row lock"], waits["audit append"]))


def trial(url: str, processes: int, label: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(target=worker, args=(f"{label}p{n}", url, barrier, results))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    done = [results.get() for _ in children]
    for child in children:
        child.join()
    transitions = sum(d[0] for d in done)
    # The processes start together (barrier) on clocks of the same machine.
    wall = max(d[2] for d in done) - min(d[1] for d in done)
    return {
        "rate": transitions / wall,
        "row_lock_ms": statistics.median(w for d in done for w in d[3]) * 1000,
        "append_ms": statistics.median(w for d in done for w in d[4]) * 1000,
    }


def main() -> None:
    import _django

    if not _django.postgres_available():
        print("[postgres] not reachable; skipped")
        return
    _django.setup("postgres")
    from django.db import connections

    connections.close_all()
    url = os.environ["DATABASE_URL"]
    print(
        f"[postgres] full paths (5 transitions each, with the people's steps), {PATHS} paths "
        f"per process, {TRIALS} trials; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    for number in range(1, TRIALS + 1):
        figures = {n: trial(url, n, f"t{number}n{n}") for n in PROCESSES}
        one = figures[1]["rate"]
        print(
            f"[postgres] trial {number}: "
            + "; ".join(
                f"{n} process{'es' if n > 1 else ''} {f['rate']:.1f} transitions/s "
                f"({f['rate'] / one:.2f}x one), median row lock {f['row_lock_ms']:.2f} ms, "
                f"median audit append {f['append_ms']:.2f} ms"
                for n, f in figures.items()
            )
        )


if __name__ == "__main__":
    main()
