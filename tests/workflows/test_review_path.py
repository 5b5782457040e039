"""The review path is the one description of what each step means: everything it names exists,
and the state machine and the flow agree with it."""

from __future__ import annotations

from importlib import import_module

import pytest

from documents.models import DocumentKind
from workflows.flows import ReviewFlow
from workflows.models import FundingApplication
from workflows.review_path import DECISIONS, STATES, STEPS, TASKS, Role, Status


def _transitions() -> dict[str, tuple[set[str], set[str]]]:
    """The state machine's transitions: name -> (sources, targets)."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    field = FundingApplication._meta.get_field("status")
    for transition in field.get_all_transitions(FundingApplication):
        sources, targets = found.setdefault(transition.name, (set(), set()))
        sources.add(transition.source)
        target = transition.target
        targets.update(target.allowed_states if hasattr(target, "allowed_states") else [target])
    return found


@pytest.mark.parametrize("step", STEPS, ids=lambda s: f"{s.transition}@{s.tier}")
def test_every_step_names_a_public_service_that_exists(step):
    module, _, name = step.service.rpartition(".")

    assert callable(getattr(import_module(module), name))


@pytest.mark.parametrize("step", [s for s in STEPS if s.moves], ids=lambda s: s.transition)
def test_every_step_that_moves_a_status_is_a_transition_of_the_state_machine(step):
    sources, targets = _transitions()[step.transition]

    assert set(step.sources) <= sources
    assert set(step.targets) <= targets


def test_every_transition_of_the_state_machine_is_a_step_of_the_review_path():
    assert set(_transitions()) == {s.transition for s in STEPS if s.moves}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: f"{s.transition}@{s.tier}")
def test_every_field_a_step_sets_is_a_field_of_the_request(step):
    names = {f.name for f in FundingApplication._meta.get_fields()}

    assert set(step.touches) <= names


@pytest.mark.parametrize("step", STEPS, ids=lambda s: f"{s.transition}@{s.tier}")
def test_every_document_a_step_issues_is_a_kind_of_decision_document(step):
    assert set(step.documents) <= set(DocumentKind.values)


def test_every_decision_completes_a_task_of_the_flow():
    nodes = {node.name for node in ReviewFlow.instance.nodes()}

    assert {s.task for s in DECISIONS} <= nodes
    assert set(TASKS) <= nodes


def test_every_status_is_described_once():
    assert sorted(s.status for s in STATES) == sorted(Status.values)


def test_every_decision_of_a_tier_is_taken_by_that_tiers_reviewers():
    deciders = {
        "lead": Role.LEAD_OFFICER,
        "group": Role.GROUP_CHAIR,
        "meeting": Role.MEETING_SECRETARY,
    }

    assert all(s.who == (deciders[s.tier],) for s in DECISIONS)


def test_every_step_has_a_label_in_chinese_and_in_english():
    assert all(s.label.zh and s.label.en for s in STEPS)
