"""What a role may do, read from the review path (never written by hand)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from workflows.review_path import STEPS, Role


def steps_for(role: Role | str | None) -> list[str]:
    """The labels of the review path's steps a person of ``role`` may take, in path order."""
    if not role:
        return []
    labels: list[str] = []
    for step in STEPS:
        if Role(role) in step.who and str(step.label) not in labels:
            labels.append(str(step.label))
    return labels


def summary_for(role: Role | str | None) -> str:
    """The steps, or what the role does beyond the review path."""
    if role == Role.ADMINISTRATOR:
        return _("配置批次、部门、单位、人员与政策；只读查看全部申请与审计记录。")
    if role == Role.AUDITOR:
        return _("只读查看全部申请、审计记录、访问记录与配置变更记录。")
    steps = steps_for(role)
    return "、".join(steps) if steps else _("无")
