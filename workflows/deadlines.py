"""Time limits per tier: overdue tasks are reminded, then escalated to the tier's head.

One mechanism runs this: the Celery beat schedule in settings (``workflows.process_deadlines``
every hour); ``manage.py process_deadlines`` runs the same service once, for cron or by hand.
Both are idempotent: a task is reminded once and escalated once (``DeadlineNotice`` is unique
per task and kind), and each notice is on the audit trail.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.db.models.functions import Least
from django.utils import timezone

from .audit import record_event
from .flows import OPEN_TASK_STATES, ReviewFlow
from .models import DeadlineNotice, FundingApplication, FundingCall
from .notifications import notify_after_commit, recipients_for_tier, tier_heads

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

# Which of the call's limits applies to each human task, and the tier it belongs to.
LIMIT_FOR_TASK = {
    "lead_review": ("lead_days", "lead"),
    "assign_experts": ("group_days", "group"),
    "score": ("group_days", "group"),
    "group_decision": ("group_days", "group"),
    "meeting_review": ("meeting_days", "meeting"),
}


def due_at(task: Task, call: FundingCall) -> datetime.datetime | None:
    limit = LIMIT_FOR_TASK.get(task.flow_task.name)
    if limit is None:
        return None
    return cast(datetime.datetime, task.created + datetime.timedelta(days=getattr(call, limit[0])))


def late_tasks_q(now: datetime.datetime, call: str = "process__funding_application__call_id") -> Q:
    """Flow tasks past their tier's time limit (their call's, per task), as a filter on tasks
    (``call`` names the task's call). The limits are each call's, so the condition is
    written per call; a programme has a handful."""
    late = Q()
    for limits in FundingCall.objects.only("lead_days", "group_days", "meeting_days"):
        for name, (limit, _tier) in LIMIT_FOR_TASK.items():
            late |= Q(
                **{call: limits.pk},
                flow_task=getattr(ReviewFlow, name),
                created__lt=now - datetime.timedelta(days=getattr(limits, limit)),
            )
    return late if late else Q(pk__in=[])


@dataclass
class DeadlineReport:
    reminded: int = 0
    escalated: int = 0


# Other time limits that run with the review tasks' (the outcome reports'): each takes the time
# and returns what it reminded and escalated.
DeadlineProcessor = Callable[[datetime.datetime], DeadlineReport]
_processors: list[DeadlineProcessor] = []


def register(processor: DeadlineProcessor) -> None:
    if processor not in _processors:
        _processors.append(processor)


def process_deadlines(*, now: datetime.datetime | None = None) -> DeadlineReport:
    """Remind the holders (or the tier, if nobody holds it) of every overdue task once; escalate
    to the tier's heads once when it is still open ``escalate_after_days`` after its limit."""
    now = now or timezone.now()
    report = DeadlineReport()
    nodes = [getattr(ReviewFlow, name) for name in LIMIT_FOR_TASK]
    # Only tasks older than the shortest limit of any call can be overdue.
    shortest = (
        FundingCall.objects.aggregate(days=Min(Least("lead_days", "group_days", "meeting_days")))[
            "days"
        ]
        or 0
    )
    candidates = (
        ReviewFlow.task_class._default_manager.filter(
            flow_task__in=nodes,
            status__in=OPEN_TASK_STATES,
            created__lt=now - datetime.timedelta(days=shortest),
        )
        .select_related("process__funding_application__call", "owner")
        .order_by("id")
    )
    for task in candidates.iterator(chunk_size=500):
        application = task.process.funding_application
        due = due_at(task, application.call)
        if due is None or due > now:
            continue
        if _notice(task, application, DeadlineNotice.Kind.REMINDER, due):
            report.reminded += 1
        escalate_at = due + datetime.timedelta(days=application.call.escalate_after_days)
        if escalate_at <= now and _notice(task, application, DeadlineNotice.Kind.ESCALATION, due):
            report.escalated += 1
    for processor in _processors:
        more = processor(now)
        report.reminded += more.reminded
        report.escalated += more.escalated
    return report


def _notice(task: Task, application: FundingApplication, kind: str, due: datetime.datetime) -> bool:
    """Record and send one notice; False when it was sent before."""
    tier = LIMIT_FOR_TASK[task.flow_task.name][1]
    try:
        with transaction.atomic():
            locked = FundingApplication.objects.select_for_update().get(pk=application.pk)
            DeadlineNotice.objects.create(task=task, kind=kind)
            name = "remind" if kind == DeadlineNotice.Kind.REMINDER else "escalate"
            record_event(
                locked,
                actor=None,
                name=name,
                tier=tier,
                details={"task": task.pk, "node": task.flow_task.name, "due": due.isoformat()},
            )
            if kind == DeadlineNotice.Kind.REMINDER:
                people = [task.owner] if task.owner else recipients_for_tier(locked, tier)
                notify_after_commit("reminder", locked.pk, [u.pk for u in people])
            else:
                notify_after_commit(
                    "escalation", locked.pk, [u.pk for u in tier_heads(locked, tier)]
                )
    except IntegrityError:
        return False
    return True


@shared_task(name="workflows.process_deadlines")  # type: ignore[untyped-decorator]  # celery is untyped
def process_deadlines_task() -> dict[str, int]:
    report = process_deadlines()
    return {"reminded": report.reminded, "escalated": report.escalated}
