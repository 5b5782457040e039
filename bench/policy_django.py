"""Time `manage.py simulate_policy` over a call with many open applications (Django side).

    .venv/bin/python bench/policy_django.py                 # SQLite and, when reachable, PostgreSQL
    .venv/bin/python bench/policy_django.py sqlite [--applications 10000]

Writes the open applications with bulk inserts (before the clock starts), activates the example
policy for the demo call, and times the command with a revised draft end to end (target < 5 s
for 10,000 applications), then the same run split into reading the facts, comparing the two
policies and formatting the table, with the number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_SECONDS = 5.0
# Its own database, so that it never collides with bench/transitions.py.
os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/matching_funds_policy_bench"
)


def populate(call, count: int, rng: random.Random) -> None:
    import datetime

    from django.contrib.auth import get_user_model

    from approvals.simulation import OPEN_STATUSES
    from workflows.models import FundingApplication, Organisation, SpecialProject

    organisations = list(Organisation.objects.all())
    projects = list(SpecialProject.objects.all())
    applicant = get_user_model().objects.get(username="applicant_enterprise")
    start = call.opens_at.date()
    rows = []
    for n in range(count):
        national = Decimal(rng.randrange(10, 20_000)) * 10_000
        rows.append(
            FundingApplication(
                organisation=rng.choice(organisations),
                call=call,
                special_project=rng.choice(projects),
                national_task_code=f"BENCH{n:07d}",
                title=f"基准测试课题{n}",
                national_approval_number="国科发专〔2026〕1号" if rng.random() < 0.95 else "",
                national_funding=national,
                own_funds=Decimal(rng.randrange(0, 200_000_000)),
                other_local_funds=Decimal(rng.randrange(0, 5_000_000)),
                requested_amount=min(national, Decimal(rng.randrange(100_000, 60_000_000))),
                funding_form=rng.choice(("grant", "equity", "mixed")),
                landing_district_id="haidian",
                industrialised_in_beijing=rng.random() < 0.6,
                period_start=start,
                period_end=start + datetime.timedelta(days=rng.randrange(200, 2000)),
                status=rng.choice(OPEN_STATUSES),
                created_by=applicant,
                submitted_at=call.opens_at,
            )
        )
    FundingApplication.objects.bulk_create(rows, batch_size=1000)


def policy_texts(call) -> tuple[str, str]:
    """The example in force from the call's opening day, and a revised draft of it."""
    example = Path(__file__).resolve().parent.parent / "approvals/policies/example-2026.yaml"
    text = example.read_text(encoding="utf-8").replace(
        "  from: 2026-01-01\n  to: 2026-12-31\n", f"  from: {call.opens_at.date()}\n"
    )
    draft = text.replace('version: "2026-example.1"', 'version: "2026-example.2"')
    draft = draft.replace("ratio: 0.3\n", "ratio: 0.35\n").replace(
        "absolute: 30000000", "absolute: 25000000"
    )
    return text, draft


def run(database: str, count: int) -> bool:
    import _django

    _django.setup(database)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals import assessment, policy_store
    from approvals.policy import format_comparison, load_policy_text
    from approvals.simulation import OPEN_STATUSES, simulate
    from demo.data import ensure_call

    call = ensure_call()
    populate(call, count, random.Random(2026))
    in_force, draft_text = policy_texts(call)
    policy_store.load_policy(text=in_force, activate=True)
    draft_path = Path(tempfile.mkdtemp(prefix="bench-policy-")) / "draft.yaml"
    draft_path.write_text(draft_text, encoding="utf-8")

    out = StringIO()
    started = time.perf_counter()
    call_command("simulate_policy", str(draft_path), "--call", str(call.pk), stdout=out)
    command_seconds = time.perf_counter() - started

    draft = load_policy_text(draft_text)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        rows = assessment.fact_rows(call.applications.filter(status__in=OPEN_STATUSES))
        read = time.perf_counter()
        facts, _ = assessment.facts_for_rows(rows, assessment.call_special_project_codes(call.pk))
        built = time.perf_counter()
        simulation = simulate(draft, call=call)
        compared = time.perf_counter()
        format_comparison(simulation.comparison)
        formatted = time.perf_counter()
    rows_out = sum(line.startswith("#") for line in out.getvalue().splitlines())
    print(
        f"[{database}] simulate_policy over {rows_out:,} open applications: "
        f"{command_seconds:.2f} s end to end (target < {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"[{database}]   facts query {(read - started) * 1000:.0f} ms, facts built "
        f"{(built - read) * 1000:.0f} ms, simulate (query + both policies) "
        f"{(compared - built):.2f} s, table {(formatted - compared) * 1000:.0f} ms; "
        f"{len(queries)} queries for facts + simulation + table"
    )
    print(
        f"[{database}]   total {simulation.comparison.old_total:,.2f} → "
        f"{simulation.comparison.new_total:,.2f} yuan, {len(facts):,} assessed"
    )
    return command_seconds < TARGET_SECONDS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs="*", help="sqlite and/or postgres (default: both)")
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args()
    targets = args.databases or ["sqlite", "postgres"]
    if set(targets) - {"sqlite", "postgres"}:
        parser.error("databases are sqlite and postgres")
    if len(targets) == 1:
        return 0 if run(targets[0], args.applications) else 1
    failed = False
    for database in targets:
        if database == "postgres":
            import _django

            if not _django.postgres_available():
                print("[postgres] not reachable; skipped")
                continue
        command = [sys.executable, __file__, database, "--applications", str(args.applications)]
        failed |= subprocess.run(command, check=False).returncode != 0  # noqa: S603
    print("TARGET NOT MET" if failed else "target met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
