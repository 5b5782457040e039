"""Upgrading a database written before decision tasks routed directly: the switch tasks that
stood between two tasks are removed and the two tasks linked, so the task history still loads."""

import importlib

import pytest
from django.apps import apps

from tests.factories import FundingApplicationFactory
from workflows.flows import ReviewFlow

pytestmark = pytest.mark.django_db

upgrade = importlib.import_module("workflows.migrations.0004_route_without_gateway_tasks")


def _with_old_switch_task(application):
    """The history an earlier version wrote: lead_review → after_lead_review → assign_experts."""
    tasks = ReviewFlow.task_class._default_manager.filter(process=application.review_process)
    lead = tasks.get(flow_task=ReviewFlow.lead_review)
    assign = tasks.get(flow_task=ReviewFlow.assign_experts)
    switch = ReviewFlow.task_class._default_manager.create(
        process=application.review_process,
        flow_task="workflows/flows.ReviewFlow.after_lead_review",
        flow_task_type="SWITCH",
        status="DONE",
    )
    assign.previous.set([switch])
    switch.previous.set([lead])
    return lead, assign, switch


def test_an_old_switch_task_is_removed_and_its_neighbours_linked():
    application = FundingApplicationFactory(state="group_review")
    lead, assign, switch = _with_old_switch_task(application)

    upgrade.link_around_gateways(apps, None)

    assert not ReviewFlow.task_class._default_manager.filter(pk=switch.pk).exists()
    assert list(assign.previous.all()) == [lead]


def test_the_task_history_loads_after_the_upgrade():
    application = FundingApplicationFactory(state="group_review")
    _with_old_switch_task(application)

    upgrade.link_around_gateways(apps, None)

    nodes = ReviewFlow.task_class._default_manager.filter(process=application.review_process)
    assert {task.flow_task.name for task in nodes} == {"start", "lead_review", "assign_experts"}
