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


@register.filter
def role_label(code: str) -> str:
    """A role code written to the audit trail, as people call the role."""
    from ..tables import role_label as label

    return label(code)
