"""What-if runs: a draft matching-fund policy beside the version in force, over a call's open
applications, and the plain-text report of the comparison.

`simulate` reads only, in a handful of queries whatever the number of applications; nothing is
stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from workflows.models import FundingApplication, FundingCall, Status

from .assessment import call_special_project_codes, fact_rows, facts_for_rows, pool_state_for
from .budgets import with_yearly_budgets
from .policy import (
    ApplicationFacts,
    PolicyComparison,
    PolicyVersion,
    compare_policies,
    format_comparison,
)
from .policy.money import ZERO
from .policy.whatif import ComparisonRow, DepartmentTotal
from .policy_store import PolicyInForce, policy_in_force_for_call

# The open applications a what-if run looks at: submitted up to deferred by a meeting.
OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.LEAD_REVIEW,
    Status.GROUP_REVIEW,
    Status.MEETING_REVIEW,
    Status.DEFERRED,
)


@dataclass(frozen=True)
class Simulation:
    """A draft policy beside the version in force, over a call's open applications."""

    call: FundingCall
    in_force: PolicyInForce | None
    draft: PolicyVersion
    comparison: PolicyComparison
    skipped: dict[int, str]
    on_balances: bool  # the in-force side drew on balances lowered by earlier meetings


def simulate(draft: PolicyVersion, *, call: FundingCall) -> Simulation:
    """Every open application (submitted … deferred) of the call under the draft and under the
    version in force (on the call's current balances), both with the departments' budgets set
    for the call's year. Reads only: a handful of queries whatever the number of applications."""
    draft = with_yearly_budgets(draft, call.year)
    in_force = policy_in_force_for_call(call)
    rows = fact_rows(FundingApplication.objects.filter(call=call, status__in=OPEN_STATUSES))
    facts, skipped = facts_for_rows(rows, call_special_project_codes(call.pk))
    keys = {r["pk"]: f"#{r['pk']} {r['national_task_code']}" for r in rows}
    by_key = {keys[pk]: f for pk, f in facts.items()}
    balances = pool_state_for(call, in_force) if in_force is not None else None
    if in_force is not None:
        comparison = compare_policies(in_force.policy, draft, by_key, old_pool_state=balances)
    else:
        comparison = _draft_alone(draft, by_key)
    return Simulation(call, in_force, draft, comparison, skipped, balances is not None)


def _draft_alone(draft: PolicyVersion, facts: dict[str, ApplicationFacts]) -> PolicyComparison:
    # No version in force: the "old" side is nothing at all, not the draft a second time.
    same = compare_policies(draft, draft, facts)
    return replace(
        same,
        old_version="—",
        old_content_hash="",
        rows=tuple(
            ComparisonRow(r.key, False, ZERO, r.new_eligible, r.new_amount) for r in same.rows
        ),
        departments=tuple(
            DepartmentTotal(d.code, d.name, None, None, d.new_total, d.new_budget)
            for d in same.departments
        ),
    )


_SIMULATION_WORDS = {
    "zh": {
        "call": "批次：", "in_force": "现行政策：", "draft": "草案：",
        "none": "无（原金额按零计）", "skipped": "无法测算：",
        "balances": "原预算为本批次资金池的当前余额（已扣除此前会议批准的金额）。",
    },
    "en": {
        "call": "Call: ", "in_force": "In force: ", "draft": "Draft: ",
        "none": "none (old amounts count as zero)", "skipped": "Cannot be assessed: ",
        "balances": "Old budgets are the call's pool balances now, after earlier approvals.",
    },
}  # fmt: skip


def _policy_label(policy: PolicyVersion) -> str:
    return f"{policy.name} {policy.version} ({policy.content_hash[:12]})"


def format_simulation(simulation: Simulation, *, language: str = "zh") -> str:
    """The what-if as a plain-text report: which versions, then the comparison table."""
    if language not in _SIMULATION_WORDS:
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    w = _SIMULATION_WORDS[language]
    in_force = simulation.in_force
    lines = [
        f"{w['call']}#{simulation.call.pk} {simulation.call.title}",
        w["in_force"] + (_policy_label(in_force.policy) if in_force else w["none"]),
        w["draft"] + _policy_label(simulation.draft),
        "",
    ]
    text = "\n".join(lines) + format_comparison(simulation.comparison, language=language)
    if simulation.on_balances:
        text += w["balances"] + "\n"
    text += "".join(
        f"{w['skipped']}#{pk} — {problem}\n" for pk, problem in simulation.skipped.items()
    )
    return text
