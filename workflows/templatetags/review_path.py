"""The review path's labels on pages: ``{{ task|task_label }}``."""

from typing import Any

from django import template

from ..review_path import TASKS

register = template.Library()


@register.filter
def task_label(task: Any) -> str:
    """The label of a flow task (its node's name otherwise)."""
    name = task.flow_task.name
    label = TASKS.get(name)
    return str(label) if label else str(name)
