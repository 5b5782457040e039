"""Who holds which task: claiming (at tier 1 also the lead department's receipt of the request),
releasing and reassigning. Same rules as the decisions: one transaction, the application row
locked first, every action on the audit trail. That row lock is the flow's lock too
(``flows.ApplicationRowLock``), so tasks change under it without taking it again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from . import permissions as rights
from .audit import record_event
from .errors import InvalidInput, NotAllowed, TransitionConflict
from .flows import CLAIMABLE_TASKS
from .models import FundingApplication, Status, Tier
from .selectors import open_tasks
from .transitions import locked_application, perform, refusals_recorded

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from viewflow.workflow.models import Task

    from .actors import Actor


@refusals_recorded
def claim_task(*, application_id: int, actor: Actor) -> FundingApplication:
    """A reviewer takes the open task of their tier. At tier 1 this is also the moment the
    lead department receives the request (submitted → lead_review), which is audited.
    Refused when somebody else holds the task, or the actor may not act on this application
    at this tier (wrong department, own organisation, declared conflict, another tier)."""
    with transaction.atomic():
        application = locked_application(application_id)
        claimable = open_tasks(application, *CLAIMABLE_TASKS)
        if not claimable:
            raise TransitionConflict(_("该申请当前没有可认领的审核任务。"))
        task = claimable[0]
        if task.owner_id is not None:
            if task.owner_id == actor.pk:
                return application
            raise TransitionConflict(_("该任务已被他人认领。"))
        # viewflow's can_assign also accepts the permission without the object (any lead
        # officer, any superuser), so check the tier's own right on this application too.
        if not task.flow_task.can_assign(actor, task) or not rights.acts_at_tier(
            application, actor, application.current_tier
        ):
            raise NotAllowed(rights.why_not(application, actor, application.current_tier))
        task.flow_task.activation_class(task).assign(actor)
        if application.status == Status.SUBMITTED:
            perform(
                "receive",
                application_id=application_id,
                actor=actor,
                tier=Tier.LEAD,
                waits_for_task=False,
                locked=application,
            )
    return application


def release_task(*, application_id: int, actor: Actor) -> FundingApplication:
    """The reviewer holding a task gives it back to their tier's queue."""
    with transaction.atomic():
        application = locked_application(application_id)
        held = [t for t in open_tasks(application, *CLAIMABLE_TASKS) if t.owner_id is not None]
        if not held:
            raise TransitionConflict(_("该任务未被认领。"))
        task = held[0]
        if not task.flow_task.can_unassign(actor, task):
            raise NotAllowed()
        task.flow_task.activation_class(task).unassign()
    return application


@refusals_recorded
def reassign_task(
    *, application_id: int, actor: Actor, task_id: int, to_user_id: int, reason: str = ""
) -> FundingApplication:
    """The head of a tier (the group chair for experts) gives an open task to another person
    of that tier: after an escalation, or when an expert declared a conflict. Refused for
    anybody else, and when the new person must stay away from the application."""
    with transaction.atomic():
        application = locked_application(application_id)
        tier = application.current_tier
        if not rights.is_tier_head(actor, tier, application):
            raise NotAllowed(_("只有本环节负责人可以改派任务。"))
        task = _task(application, task_id)
        new_owner = get_user_model()._default_manager.filter(pk=to_user_id).first()
        right: Callable[..., bool] = (
            rights.is_group_member if task.flow_task.name == "score" else rights.acts_at_tier
        )
        allowed = (
            (
                right(application, new_owner)
                if task.flow_task.name == "score"
                else right(application, new_owner, tier)
            )
            if new_owner
            else False
        )
        if not allowed:
            raise InvalidInput(
                rights.why_not(application, new_owner, tier) if new_owner else _("改派对象不存在。")
            )
        new_owner = cast("User", new_owner)  # allowed only when there is one
        if task.flow_task.name == "score" and _already_scoring(application, new_owner):
            raise InvalidInput(_("该专家已承担本申请的评分任务。"))
        task.owner = new_owner
        if task.flow_task.name == "score":
            task.data = {**task.data, "expert": new_owner.pk}
        task.status = "ASSIGNED"
        task.save(update_fields=["owner", "data", "status"])
        record_event(
            application,
            actor=actor,
            name="reassign",
            tier=cast(str, tier),  # its head acted: the application is at a review tier
            reason=reason,
            details={"task": task.pk, "node": task.flow_task.name, "to": new_owner.pk},
        )
    return application


def _task(application: FundingApplication, task_id: int) -> Task:
    for task in open_tasks(application):
        if task.pk == task_id:
            return task
    raise TransitionConflict(_("该任务已不在办理中。"))


def _already_scoring(application: FundingApplication, user: User) -> bool:
    return any(t.owner_id == user.pk for t in open_tasks(application, "score"))
