"""Reads: what each user may see, the queues of each tier, the open task of an application."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from . import permissions as rights
from .flows import CLAIMABLE_TASKS, ReviewFlow
from .models import AuditEntry, FundingApplication, Status

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

    from .models import Profile

OPEN_TASK_STATES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
TASKS_FOR_ROLE = {
    "lead_officer": ("lead_review",),
    "group_member": ("score",),
    "group_chair": ("assign_experts", "group_decision"),
    "meeting_secretary": ("meeting_review",),
}


def _base() -> QuerySet[FundingApplication]:
    return cast(
        "QuerySet[FundingApplication]",
        FundingApplication.objects.select_related(
            "organisation", "call", "special_project", "special_project__lead_department"
        ),
    )


def applications_visible_to(user: Any) -> QuerySet[FundingApplication]:
    profile = rights.profile_of(user)
    qs = _base()
    if profile is None:
        return qs if getattr(user, "is_superuser", False) else qs.none()
    if profile.role in ("auditor", "administrator"):
        return qs
    if profile.role == "applicant":
        # django-stubs reject None in an exact lookup, which Django turns into IS NULL.
        return qs.filter(organisation_id=profile.organisation_id)  # type: ignore[misc]
    reviewed = qs.exclude(status=Status.DRAFT)
    if profile.organisation_id is not None:  # a reviewer never sees their own organisation's
        reviewed = reviewed.exclude(organisation_id=profile.organisation_id)
    if profile.role == "lead_officer":
        return reviewed.filter(special_project__lead_department_id=profile.department_id)
    if profile.role == "group_member":
        # An expert sees a request only after declaring no conflict of interest on it.
        declared = AuditEntry.objects.filter(actor=user, transition="declare_no_conflict")
        return reviewed.filter(pk__in=declared.values("application_id"))
    return reviewed


def queue_for(user: Any) -> QuerySet[Task]:
    """The open tasks of the user's tier that the user may take or already holds."""
    profile = rights.profile_of(user)
    names = TASKS_FOR_ROLE.get(profile.role, ()) if profile else ()
    tasks: QuerySet[Task] = ReviewFlow.task_class._default_manager.none()
    if not names:
        return tasks
    profile = cast("Profile", profile)  # names is empty without a profile
    tasks = (
        ReviewFlow.task_class._default_manager.filter(
            flow_task__in=[getattr(ReviewFlow, name) for name in names],
            status__in=OPEN_TASK_STATES,
        )
        .filter(Q(owner__isnull=True) | Q(owner=user))
        .select_related(
            "owner",
            "process__funding_application__organisation",
            "process__funding_application__special_project",
        )
        .order_by("created")
    )
    if profile.role == "group_member":  # experts: only the scoring tasks given to them
        tasks = tasks.filter(owner=user)
    if profile.role == "lead_officer":
        tasks = tasks.filter(
            process__funding_application__special_project__lead_department_id=profile.department_id
        )
    return tasks


def awaiting_declaration(user: Any, pk: int) -> FundingApplication | None:
    """The application ``pk`` if the user holds an open scoring task on it but has not yet
    declared whether they have a conflict of interest (they may see only the declaration)."""
    profile = rights.profile_of(user)
    if profile is None or profile.role != "group_member":
        return None
    holds = ReviewFlow.task_class._default_manager.filter(
        flow_task=ReviewFlow.score,
        status__in=OPEN_TASK_STATES,
        owner=user,
        process__funding_application__pk=pk,
    )
    declared = AuditEntry.objects.filter(
        application_id=pk, actor=user, transition__in=("declare_no_conflict", "declare_conflict")
    )
    if not holds.exists() or declared.exists():
        return None
    return _base().filter(pk=pk).first()


def open_task_of(application: FundingApplication) -> Task | None:
    """The task to show as the application's current one: the decision or claimable task if
    open, otherwise the oldest open task (an expert's scoring)."""
    tasks = (
        ReviewFlow.task_class._default_manager.filter(
            process_id=application.review_process_id, status__in=OPEN_TASK_STATES
        )
        .select_related("owner")
        .order_by("created", "id")
        if application.review_process_id
        else []
    )
    tasks = list(tasks)
    preferred = [t for t in tasks if t.flow_task.name in (*CLAIMABLE_TASKS, "revision")]
    return (preferred or tasks or [None])[0]


def audit_trail(application: FundingApplication) -> QuerySet[AuditEntry]:
    return application.audit_entries.select_related("actor").order_by("seq")


def all_audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("application").order_by("-seq")


@dataclass
class QueueSummary:
    """A reviewer's queue: the tasks, each with ``due`` and ``is_overdue``, and the counts."""

    tasks: list[Any]
    new: int
    mine: int
    overdue: int


def queue_summary(user: Any, *, now: datetime.datetime | None = None) -> QueueSummary:
    """The user's queue with its counts: new (nobody holds it yet), held by the user, and
    overdue (older than the call's time limit for that tier). The chair's includes the scoring
    tasks waiting to be given to another expert. One query, however long."""
    profile = rights.profile_of(user)
    tasks = queue_for(user).select_related("process__funding_application__call")
    if profile is not None and profile.role == "group_member":
        # A scoring task left by an expert with a conflict waits for the chair, not for them.
        tasks = tasks.filter(owner=user)
    elif profile is not None and profile.role == "group_chair":
        tasks = tasks | ReviewFlow.task_class._default_manager.filter(
            flow_task=ReviewFlow.score, owner__isnull=True, status__in=OPEN_TASK_STATES
        )
    # The time limits live with the reminders; deadlines imports this module, hence here.
    from .deadlines import due_at

    now = now or timezone.now()
    listed = list(tasks)
    for task in listed:
        task.due = due_at(task, task.process.funding_application.call)
        task.is_overdue = task.due is not None and task.due < now
    return QueueSummary(
        tasks=listed,
        new=sum(1 for t in listed if t.owner_id is None),
        mine=sum(1 for t in listed if t.owner_id == user.pk),
        overdue=sum(1 for t in listed if t.is_overdue),
    )


# Fields a resubmission may change, shown to reviewers as a field-by-field difference.
_NOT_CONTENT = {
    "status",
    "returned_from_tier",
    "revision",
    "approved_amount",
    "submitted_at",
    "decided_at",
    "created_by_id",
    "organisation_id",
}


def revision_changes(application: FundingApplication) -> list[tuple[str, Any, Any]]:
    """What the applicant changed between the revision that was returned and the latest one:
    (field label, before, after) for every field that differs. Empty for a first revision."""
    snapshots = list(
        application.revisions.order_by("-number").values_list("content", flat=True)[:2]
    )
    if len(snapshots) < 2:
        return []
    after, before = snapshots
    changes = []
    for field in FundingApplication._meta.concrete_fields:
        name = field.attname
        if name in _NOT_CONTENT or name not in after:
            continue
        if before.get(name) != after.get(name):
            changes.append((str(field.verbose_name), before.get(name), after.get(name)))
    return changes


def reassign_candidates(application: FundingApplication, user: Any, task: Task | None) -> list[Any]:
    """Who the tier's head may give the open task to; empty unless ``user`` is that head and
    the task is one a reviewer holds (scoring tasks are reassigned by the chair elsewhere)."""
    tier = application.current_tier
    if task is None or task.flow_task.name not in CLAIMABLE_TASKS:
        return []
    if not rights.is_tier_head(user, tier, application):
        return []
    role = {"lead": "lead_officer", "group": "group_chair", "meeting": "meeting_secretary"}[
        cast(str, tier)  # the head of a tier: the application is under review
    ]
    people = get_user_model()._default_manager.filter(is_active=True, profile__role=role)
    if tier == "lead":
        people = people.filter(
            profile__department_id=application.special_project.lead_department_id
        )
    return [
        p
        for p in people.select_related("profile").exclude(pk=task.owner_id)
        if rights.acts_at_tier(application, p, tier)
    ]
