"""Benchmark of the matching-fund policy evaluator (no Django needed).

    .venv/bin/python bench/policy.py [--applications 100000] [--whatif 10000] [--seed 2026]

Prints assessments per second for the example policy over generated applications (target
≥ 20,000/s on one core) and the time of a what-if comparison of two policies (target < 5 s).
The applications are generated before the clock starts; only assessing is timed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approvals.policy import (  # noqa: E402 - after making the project importable
    ApplicationFacts,
    compare_policies,
    evaluate,
    load_policy_file,
    load_policy_text,
)
from approvals.policy.facts import BEIJING_DISTRICTS, FUNDING_FORMS, ORGANISATION_KINDS  # noqa: E402

EXAMPLE = ROOT / "approvals" / "policies" / "example-2026.yaml"
SPECIAL_PROJECTS = tuple(f"ZX{n:02d}" for n in range(1, 17))
ASSESSMENTS_TARGET = 20_000
WHATIF_TARGET_SECONDS = 5.0


def generate_applications(count: int, rng: random.Random) -> list[ApplicationFacts]:
    """Plausible applications: most eligible, amounts from 100,000 to 200,000,000 yuan."""
    applications = []
    for _ in range(count):
        in_beijing = rng.random() < 0.9
        national = Decimal(rng.randrange(10, 20_000)) * 10_000
        applications.append(
            ApplicationFacts(
                organisation_kind=rng.choice(ORGANISATION_KINDS),
                district=rng.choice(BEIJING_DISTRICTS) if in_beijing else "",
                registered_in_beijing=in_beijing,
                industrialised_in_beijing=rng.random() < 0.6,
                special_project=rng.choice(SPECIAL_PROJECTS),
                call_special_projects=SPECIAL_PROJECTS[:12],
                has_national_approval=rng.random() < 0.95,
                national_funding=national,
                own_funds=Decimal(rng.randrange(0, 2_000_000_000)) / 100 * 10,
                other_local_funds=Decimal(rng.randrange(0, 5_000_000)),
                requested_amount=Decimal(rng.randrange(10_000, 60_000_000_00)) / 100,
                funding_form=rng.choice(FUNDING_FORMS),
                project_months=rng.randrange(12, 73),
            )
        )
    return applications


def revised_policy_text() -> str:
    """The example with a higher ratio for Beijing industrialisation and a lower cap: the kind
    of change a what-if is run for."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('version: "2026-example.1"', 'version: "2026-example.2"')
    text = text.replace("ratio: 0.3\n", "ratio: 0.35\n").replace(
        "absolute: 30000000", "absolute: 25000000"
    )
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--whatif", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    policy = load_policy_file(EXAMPLE)
    revised = load_policy_text(revised_policy_text())
    load_seconds = (time.perf_counter() - started) / 2
    applications = generate_applications(args.applications, rng)

    started = time.perf_counter()
    total = Decimal(0)
    eligible = 0
    for facts in applications:
        assessment = evaluate(policy, facts)
        total += assessment.amount
        eligible += assessment.eligible
    seconds = time.perf_counter() - started
    rate = len(applications) / seconds

    whatif_input = {f"APP-{i:06d}": f for i, f in enumerate(applications[: args.whatif])}
    started = time.perf_counter()
    comparison = compare_policies(policy, revised, whatif_input)
    whatif_seconds = time.perf_counter() - started

    print(
        f"policy {policy.version} ({policy.content_hash[:12]}…), "
        f"loaded in {load_seconds * 1000:.1f} ms"
    )
    print(
        f"assessments: {len(applications):,} in {seconds:.2f} s = {rate:,.0f} per second "
        f"(target ≥ {ASSESSMENTS_TARGET:,}) — {eligible:,} eligible, {total:,.2f} yuan"
    )
    print(
        f"what-if: {len(whatif_input):,} applications × 2 policies in {whatif_seconds:.2f} s "
        f"(target < {WHATIF_TARGET_SECONDS:.0f} s) — total {comparison.old_total:,.2f} → "
        f"{comparison.new_total:,.2f} yuan"
    )
    met = rate >= ASSESSMENTS_TARGET and whatif_seconds < WHATIF_TARGET_SECONDS
    print("targets met" if met else "TARGETS NOT MET")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
