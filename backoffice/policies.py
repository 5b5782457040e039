"""Policies from the pages: check a policy document, run the what-if beside the policy in force,
then activate it — with exactly the code behind ``manage.py load_policy`` and
``simulate_policy`` (``approvals.policy_store``, ``approvals.simulation``), and the activation
recorded in the configuration log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from approvals.models import MatchingPolicyVersion
from approvals.policy import PolicyProblem, PolicyValidationError, PolicyVersion, load_policy_text
from approvals.policy_store import PolicyLoad, load_policy
from approvals.simulation import OPEN_STATUSES, Simulation, simulate
from workflows.models import FundingCall

from .config_log import record_change, snapshot
from .models import ChangeAction

if TYPE_CHECKING:
    from workflows.actors import Actor


@dataclass(frozen=True)
class PolicyCheck:
    """A document checked: its problems (every one, by rule and field), or the policy and its
    what-if over every call with open requests."""

    problems: tuple[PolicyProblem, ...]
    policy: PolicyVersion | None
    simulations: tuple[Simulation, ...]


def check_policy(*, text: str, call: FundingCall | None = None) -> PolicyCheck:
    """Validate a policy document and, when valid, simulate it over the open requests of
    ``call`` (or of every call that has some) beside the policy in force. Stores nothing."""
    try:
        policy = load_policy_text(text)
    except PolicyValidationError as exc:
        return PolicyCheck(tuple(exc.problems), None, ())
    if call is not None:
        calls = [call]
    else:
        calls = list(
            FundingCall.objects.filter(applications__status__in=OPEN_STATUSES)
            .distinct()
            .order_by("pk")
        )
    return PolicyCheck((), policy, tuple(simulate(policy, call=c) for c in calls))


def activate_policy(*, text: str, actor: Actor) -> PolicyLoad:
    """An administrator stores and activates a policy for the period the document states.
    Refused as ``load_policy`` refuses (an invalid document, an overlapping active period, a
    used version with other content); recorded in the configuration log."""
    with transaction.atomic():
        policy = load_policy_text(text)
        stored = MatchingPolicyVersion.objects.filter(
            name=policy.name, version=policy.version
        ).first()
        before = snapshot(stored, exclude=("source_text",)) if stored else None
        loaded = load_policy(text=text, actor=actor, activate=True)
        record_change(
            actor=actor,
            action=ChangeAction.CHANGED if stored else ChangeAction.ADDED,
            obj=loaded.record,
            before=before,
            after=snapshot(loaded.record, exclude=("source_text",)),
        )
    return loaded
