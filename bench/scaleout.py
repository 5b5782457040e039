"""Full transitions on PostgreSQL by 1, 2 and 4 OS processes on different applications.

    .venv/bin/python bench/scaleout.py
    BENCH_SCALEOUT_PATHS=30 BENCH_SCALEOUT_TRIALS=3 .venv/bin/python bench/scaleout.py

Each process takes its own applications from draft to approval through the service layer (5
transitions and the people's steps between them, audit entries and flow tasks, no PDF, no
e-mail), all processes starting together. Prints, per trial, the aggregate transitions per
second and its ratio to one process; then the time spent WAITING FOR LOCKS, measured apart
from CPU: a sampler reads PostgreSQL's ``pg_stat_activity`` every ``BENCH_SCALEOUT_SAMPLE_MS``
(2 ms; 0 turns it off) and counts, for each transaction of the benchmark's connections, the
samples in which it waited on a lock, by kind (the audit append's advisory lock; row locks,
which PostgreSQL reports as a wait on the holder's transaction or on the tuple; any other).
Each transaction is one service call (a decision or a people's step); the median, mean and
95th percentile of the lock wait per call are printed, calls that never waited counting as
zero. For comparison, the wall time (CPU and scheduling included) of taking the
application's row lock and of appending the audit entry, as the client sees it.
Beside each rate, how busy the machine's cores were meanwhile (all processes, the database
server's included), and with the lock waits the machine's CPU time and context switches per
service call.
The same counts of processes then run the plain viewflow comparator of bench/transitions.py
(its five transitions and two claims, no audit, no lock), one after ours at each count, as the
machine's own yardstick: what a path with no lock of ours loses from 2 processes to 4.
Targets on this 2-core machine: 2 processes ≥ 1.8× one; 4 no slower than
2; audit lock wait under 1 ms at 4 processes.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import statistics
import sys
import time
from pathlib import Path as FilePath
from typing import Any

sys.path.insert(0, str(FilePath(__file__).resolve().parent))

# 30 paths a process (about 500 service calls) keep the ratios steady to a few per cent on a
# quiet machine; the whole run takes about three minutes.
PATHS = int(os.environ.get("BENCH_SCALEOUT_PATHS", "30"))
TRIALS = int(os.environ.get("BENCH_SCALEOUT_TRIALS", "3"))
SAMPLE_MS = float(os.environ.get("BENCH_SCALEOUT_SAMPLE_MS", "2"))
# The plain viewflow comparator's path (bench/transitions.py) is about five times as fast.
PLAIN_PATHS = int(os.environ.get("BENCH_SCALEOUT_PLAIN_PATHS", str(PATHS * 5)))
PROCESSES = (1, 2, 4)
OURS, PLAIN = "ours", "plain"
# wait_event of pg_stat_activity when wait_event_type is 'Lock': which kind of lock.
LOCK_KINDS = {"advisory": "audit append (advisory)", "transactionid": "row", "tuple": "row"}
APPEND = LOCK_KINDS["advisory"]


def worker(kind: str, label: str, url: str, barrier, results) -> None:
    sys.path.insert(0, str(FilePath(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key-0123456789-abcdefghij")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    waits: dict[str, list[float]] = {"row lock": [], "audit append": []}
    transitions = [0]
    calls = [0]

    def record(step, name, elapsed, statements):
        transitions[0] += step == "transition"
        calls[0] += 1 + (name == "meeting and agenda")  # two transactions: meeting, agenda

    if kind == PLAIN:
        from transitions import plain_viewflow

        run, paths = plain_viewflow(create_table=False), PLAIN_PATHS
        run(record)  # warm-up: connection, caches
    else:
        run, paths = _ours(label, record, waits), PATHS
    transitions[0] = calls[0] = 0
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(paths):
        run(record)
    end, cpu = time.perf_counter(), time.process_time() - cpu
    results.put(
        (transitions[0], start, end, waits["row lock"], waits["audit append"], calls[0], cpu)
    )


def _ours(label: str, record, waits: dict[str, list[float]]):
    """Our path's ``run``, warmed up, with the row lock and the audit append clocked into
    ``waits`` from then on."""
    from _paths import Path

    from approvals import group_review, lead_review, meetings
    from workflows import assignments, submission
    from workflows import transitions as engine

    def clocked(owner, name: str, part: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                waits[part].append(time.perf_counter() - start)

        setattr(owner, name, wrapper)

    path = Path(label)
    path.run(record)  # warm-up: connection, caches
    for module in (engine, submission, assignments, lead_review, group_review, meetings):
        if getattr(module, "locked_application", None) is not None:
            clocked(module, "locked_application", "row lock")
    clocked(engine, "record_transition", "audit append")
    return path.run


class LockWaitSampler:
    """Samples, every ``period`` seconds from its own connection, the benchmark's backends
    that wait on a lock; ``waits()`` is the estimated wait of each transaction that waited,
    by kind of lock (samples × period)."""

    QUERY = (
        "SELECT pid, xact_start, wait_event, left(query, 300) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND wait_event_type = 'Lock'"
    )

    def __init__(self, url: str, period: float) -> None:
        import threading

        self.url, self.period = url, period
        self.samples: dict[tuple[int, object], dict[str, int]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def __enter__(self) -> LockWaitSampler:
        if self.period > 0:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stop.is_set():
                for pid, xact_start, event, query in connection.execute(self.QUERY).fetchall():
                    kind = LOCK_KINDS.get(event, "other")
                    if kind == "row":  # name the table whose row it waits for
                        table = re.search(r'(?:FROM|UPDATE|INTO) "(\w+)"', query)
                        kind = f"row of {table[1] if table else '?'}"
                    counts = self.samples.setdefault((pid, xact_start), {})
                    counts[kind] = counts.get(kind, 0) + 1
                time.sleep(self.period)

    def waits(self) -> list[dict[str, float]]:
        return [
            {kind: n * self.period for kind, n in counts.items()}
            for counts in self.samples.values()
        ]


def _result_of(results: Any, children: list[Any]) -> Any:
    """The next worker's figures; stops the benchmark with the exit codes when a worker died
    without sending them (an error in a path: its traceback is printed above)."""
    import queue

    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            dead = [c.exitcode for c in children if c.exitcode not in (None, 0)]
            if dead:
                for child in children:
                    child.kill()
                raise SystemExit(f"a benchmark process died (exit codes {dead})") from None


def trial(url: str, processes: int, label: str, kind: str = OURS) -> dict[str, Any]:
    """One run of ``processes`` processes on ``kind``'s path; the plain comparator's takes no
    lock, so its lock waits are not sampled."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)  # and this process, to start sampling with them
    results = context.Queue()
    children = [
        context.Process(target=worker, args=(kind, f"{label}p{n}", url, barrier, results))
        for n in range(processes)
    ]
    for child in children:
        child.start()
    barrier.wait()
    before = _cpu_times()
    with LockWaitSampler(url, SAMPLE_MS / 1000 if kind == OURS else 0) as sampler:
        done = [_result_of(results, children) for _ in children]
    after = _cpu_times()
    busy = _busy(before, after)
    for child in children:
        child.join()
    transitions = sum(d[0] for d in done)
    calls = sum(d[5] for d in done)
    # The processes start together (barrier) on clocks of the same machine.
    wall = max(d[2] for d in done) - min(d[1] for d in done)
    figures = {
        "rate": transitions / wall,
        "busy": busy,
        "spent": _spent(before, after, calls, sum(d[6] for d in done)),
    }
    if kind != OURS:
        return figures
    waited = sampler.waits()
    never = [0.0] * max(calls - len(waited), 0)

    def per_call(kind: str | None) -> list[float]:
        return sorted(
            [sum(w.values()) if kind is None else w.get(kind, 0.0) for w in waited] + never
        )

    kinds = sorted({kind for w in waited for kind in w} - {APPEND})
    return figures | {
        "calls": calls,
        "waited": len(waited),
        "lock": {kind: per_call(kind) for kind in (None, APPEND, *kinds)},
        "row_lock_ms": statistics.median(w for d in done for w in d[3]) * 1000,
        "append_ms": statistics.median(w for d in done for w in d[4]) * 1000,
    }


def _cpu_times() -> list[int] | None:
    """The machine's CPU time so far by kind, in ticks, and its context switches so far, last
    (Linux's /proc/stat), or None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            lines = stat.read().splitlines()
    except OSError:
        return None
    switches = next(int(line.split()[1]) for line in lines if line.startswith("ctxt "))
    return [int(n) for n in lines[0].split()[1:]] + [switches]


def _spent(before: list[int] | None, after: list[int] | None, calls: int, own: float) -> str:
    """The machine's CPU time per service call, in user and system code (every process, the
    database server's and the sampler's included), the part of it spent by the benchmark's
    own processes (``own`` seconds in all), and the machine's context switches per call."""
    if before is None or after is None or not calls:
        return ""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    user = (spent[0] + spent[1]) * tick_ms / calls  # user and nice
    system = (spent[2] + spent[5] + spent[6]) * tick_ms / calls  # system, irq, softirq
    return (
        f"; CPU per service call {user + system:.2f} ms ({user:.2f} user, {system:.2f} system;"
        f" the processes calling the services {own * 1000 / calls:.2f}),"
        f" {spent[-1] / calls:.0f} context switches per call"
    )


def _busy(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of all cores' time spent not idle between two readings (idle and I/O wait
    are the fourth and fifth figures)."""
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)][:-1]  # not the switches
    total = sum(spent)
    return (total - spent[3] - spent[4]) / total if total else None


def _cores(busy: object) -> str:
    return "" if busy is None else f", cores {busy:.0%} busy"


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return (
        f"median {statistics.median(values) * 1000:.2f} / mean "
        f"{statistics.fmean(values) * 1000:.2f} / p95 {p95 * 1000:.2f} ms"
    )


def _rates(figures: dict[int, dict[str, Any]]) -> str:
    one = figures[1]["rate"]
    return "; ".join(
        f"{n} process{'es' if n > 1 else ''} {f['rate']:.1f} transitions/s "
        f"({f['rate'] / one:.2f}x one{_cores(f['busy'])})"
        for n, f in figures.items()
    )


def _against_two(ratios: dict[int, list[float]]) -> str:
    """4 processes against 2, trial by trial, as a change in per cent."""
    return ", ".join(
        f"{(four / two - 1) * 100:+.0f} %" for two, four in zip(ratios[2], ratios[4], strict=True)
    )


def main() -> None:
    import _django

    if not _django.postgres_available():
        print("[postgres] not reachable; skipped")
        return
    _django.setup("postgres")
    from django.db import connections
    from transitions import plain_viewflow

    plain_viewflow()  # the comparator's table, made once for its processes
    connections.close_all()
    url = os.environ["DATABASE_URL"]
    print(
        f"[postgres] full paths (5 transitions each, with the people's steps), {PATHS} paths "
        f"per process, {TRIALS} trials; the plain viewflow comparator {PLAIN_PATHS} paths per "
        f"process; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    ratios: dict[str, dict[int, list[float]]] = {
        kind: {n: [] for n in PROCESSES} for kind in (OURS, PLAIN)
    }
    for number in range(1, TRIALS + 1):
        # Every other trial in the reverse order, so that a machine growing busier or quieter
        # during the run favours neither end; ours and the comparator one after the other at
        # each count of processes.
        order = PROCESSES if number % 2 else tuple(reversed(PROCESSES))
        ran = {
            (kind, n): trial(url, n, f"t{number}n{n}", kind)
            for n in order
            for kind in (OURS, PLAIN)
        }
        figures = {kind: {n: ran[kind, n] for n in PROCESSES} for kind in (OURS, PLAIN)}
        for kind, by_count in figures.items():
            for n, f in by_count.items():
                ratios[kind][n].append(f["rate"] / by_count[1]["rate"])
        print(
            f"[postgres] trial {number}: {_rates(figures[OURS])} "
            f"(load average now {os.getloadavg()[0]:.1f})"
        )
        print(f"[postgres]   plain viewflow: {_rates(figures[PLAIN])}")
        if SAMPLE_MS <= 0:
            continue
        for n, f in figures[OURS].items():
            lock = f["lock"]
            print(
                f"[postgres]   {n} process{'es' if n > 1 else ''}: lock wait per service call "
                f"({f['calls']} calls, {f['waited']} waited; sampled every {SAMPLE_MS:g} ms): "
                f"any {_ms(lock[None])}; "
                + "; ".join(f"{kind} {_ms(lock[kind])}" for kind in list(lock)[1:])
                + f"; wall time (CPU included) of the row lock median {f['row_lock_ms']:.2f} ms,"
                f" of the audit append median {f['append_ms']:.2f} ms{f['spent']}"
            )
        for n, f in figures[PLAIN].items():
            print(f"[postgres]   plain viewflow, {n} process{'es' if n > 1 else ''}{f['spent']}")
    for kind, name in ((OURS, "ours"), (PLAIN, "plain viewflow")):
        print(
            f"[postgres] {name}, over {TRIALS} trials, median ratio to one process: "
            + "; ".join(
                f"{n} processes {statistics.median(r):.2f}x (range {min(r):.2f}-{max(r):.2f})"
                for n, r in ratios[kind].items()
                if n > 1
            )
            + f"; 4 processes against 2: {_against_two(ratios[kind])}"
        )
    print(f"[postgres] load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
