"""The flow's task bookkeeping under the application's row lock: finishing a task (which opens
the next one), and the people-side tasks that move no status (assigning experts, scoring).
Private to the decision path, like ``workflows.transitions``: callers hold the application's
row lock (``transitions.locked_application``), which is the flow's lock, so it is not taken
again here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from .audit import record_event
from .errors import TransitionConflict
from .flows import ReviewFlow
from .models import FundingApplication
from .review_path import DECISION_TASK
from .selectors import open_tasks

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

    from .actors import Actor


def complete_task(task: Task, actor: Actor, application: FundingApplication) -> None:
    """Complete ``task`` and open the next one."""
    # The decision routes on the status this transition left: hand it the locked row.
    task.process.funding_application = application
    if task.status == STATUS.NEW:  # never claimed: the applicant's revision, or claim=True
        # Taken and finished in one step: the task is saved once, finished, by ``complete``.
        task.owner, task.status = actor, STATUS.ASSIGNED
    activation = task.flow_task.activation_class(task)
    activation.start(None)
    activation.execute()
    task.process.__dict__.pop("open_elsewhere", None)  # true of this decision only


def decision_task(application: FundingApplication) -> Task | None:
    """The open task whose completion is the decision the current status waits for."""
    name = DECISION_TASK.get(application.status)
    if name is None:
        return None
    # Every open task, read once: if the decision ends the review, its end asks whether any
    # other task is still open (``flows.ReviewEndActivation``).
    found = open_tasks(application)
    task = next((t for t in found if t.flow_task.name == name), None)
    if task is not None:
        task.process.open_elsewhere = [t.pk for t in found if t is not task]
    return task


def actor_task(
    application: FundingApplication, actor: Actor, node: str, *, missing: str | None = None
) -> Task:
    """The actor's open ``node`` task on a locked application; a conflict (saying ``missing``,
    when given) when there is none."""
    mine = [t for t in open_tasks(application, node) if t.owner_id == actor.pk]
    if not mine:
        raise TransitionConflict(missing or _("您在该申请上没有待办的此项任务。"))
    return mine[0]


def complete_people_task(
    *,
    application: FundingApplication,
    actor: Actor,
    node: str,
    event: str,
    details: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    task: Task | None = None,
) -> Task:
    """Finish the actor's open ``node`` task on a locked application and audit it (the task
    may have been found already, ``actor_task``)."""
    task = task or actor_task(application, actor, node)
    if data:  # written with the task's completion
        task.data = {**task.data, **data}
    record_event(
        application,
        actor=actor,
        name=event,
        tier=application.current_tier or "",
        reason=reason,
        details={"task": task.pk, **(details or {})},
    )
    complete_task(task, actor, application)
    return task


def hand_back_task(
    *, application: FundingApplication, actor: Actor, node: str, event: str, reason: str = ""
) -> Task:
    """The actor gives up their open ``node`` task without finishing it (a declared conflict):
    it waits, unowned, for the tier's head to reassign it. Audited."""
    task = actor_task(application, actor, node)
    task.owner = None
    task.status = STATUS.NEW
    task.save(update_fields=["owner", "status"])
    record_event(
        application,
        actor=actor,
        name=event,
        tier=application.current_tier or "",
        reason=reason,
        details={"task": task.pk},
    )
    return task


def reopen_meeting_review(application: FundingApplication) -> None:
    """Give a locked application that is back at the joint meeting (an objection upheld after
    its approval) a new review process waiting at the meeting's task; the finished process
    stays as it was."""
    application.review_process = ReviewFlow.reconsider.run(application=application)
    application.save(update_fields=["review_process"])
