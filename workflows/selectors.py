"""Reads: the applications a user may see, the queues of each tier, the open tasks of an
application, its history and revisions. Who may see what is ``workflows.access``'s answer."""

from __future__ import annotations

import datetime
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q, QuerySet, signals

from . import access
from . import permissions as rights
from .deadlines import due_at, late_tasks_q
from .flows import CLAIMABLE_TASKS, OPEN_TASK_STATES, ReviewFlow
from .keyset import KeysetPage
from .models import AuditEntry, FundingApplication
from .review_path import Role, Tier
from .statements import STAND_IN, Prepared, prepared

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

    from .actors import Actor
    from .models import Profile

TASKS_FOR_ROLE = {
    Role.LEAD_OFFICER: ("lead_review",),
    Role.GROUP_MEMBER: ("score",),
    Role.GROUP_CHAIR: ("assign_experts", "group_decision"),
    Role.MEETING_SECRETARY: ("meeting_review",),
}


def _base() -> QuerySet[FundingApplication]:
    return cast(
        "QuerySet[FundingApplication]",
        FundingApplication.objects.select_related(
            "organisation", "call", "special_project", "special_project__lead_department"
        ),
    )


def applications_visible_to(user: Actor) -> QuerySet[FundingApplication]:
    """The applications the user may see (``access.applications_for``), newest first, with what
    a list shows of them."""
    return access.applications_for(user).select_related(
        "organisation", "call", "special_project", "special_project__lead_department"
    )


def visible_application(user: Actor, pk: int) -> FundingApplication | None:
    """Application ``pk`` if the user may see it, else None."""
    return applications_visible_to(user).filter(pk=pk).first()


def open_tasks(application: FundingApplication, *names: str) -> list[Task]:
    """The application's open flow tasks (of the given node names), oldest first."""
    read = application.__dict__.pop(_READ_WITH_LOCK, None)
    process = application.review_process_id
    if not process:
        return []
    if read is not None and read[0] == _task_saves[0]:  # no task saved since
        statement = _open_tasks(process)
        found = [cast("Task", t) for t, _ in statement.instances(_fetched(statement, read[1]))]
        found.sort(key=lambda t: (t.created, t.pk))
        if names:
            found = [t for t in found if t.flow_task.name in names]
    else:
        statement = prepared(("open tasks", names), _open_tasks_of(names), process)
        found = [cast("Task", task) for task, _ in statement.rows(process)]
    for task in found:  # viewflow's permission checks and routing read the application here
        task.process.funding_application = application
    return found


def _open_tasks_of(names: tuple[str, ...]) -> Callable[[int], QuerySet[Task]]:
    def tasks(process_id: int) -> QuerySet[Task]:
        found = ReviewFlow.task_class._default_manager.filter(
            process_id=process_id, status__in=OPEN_TASK_STATES
        )
        if names:
            found = found.filter(flow_task__in=[getattr(ReviewFlow, n) for n in names])
        return cast("QuerySet[Task]", found.select_related("process").order_by("created", "id"))

    return tasks


def _open_tasks(process: int) -> Prepared:
    return prepared(("open tasks", ()), _open_tasks_of(()), process)


# The row lock's statement reads the application's open tasks too, as they stand once the lock
# is granted: on SQLite in a subquery (its writer holds the database from BEGIN IMMEDIATE, so
# nobody else changes them before it commits), on PostgreSQL through the function of migration
# ``workflows.0023`` (a subquery there would see them as they were before the statement waited
# for the lock). The first ``open_tasks`` after the lock takes them from there, unless a task
# was saved since (every task write sends post_save, viewflow's and ``statements``' alike).
_READ_WITH_LOCK = "_open_tasks_read_with_lock"
_task_saves = [0]


def _task_saved(**kwargs: Any) -> None:
    _task_saves[0] += 1


for _signal in (signals.post_save, signals.post_delete):
    _signal.connect(_task_saved, sender=ReviewFlow.task_class, dispatch_uid="workflows.task_saved")


def open_tasks_read_with_lock(vendor: str) -> str | None:
    """A column for the row lock's statement: the open tasks of the locked application's
    process, in a JSON array (on SQLite each row as ``open_tasks`` fetches it, on PostgreSQL
    each task's and process's columns by name); None where the tasks' columns are not all of
    kinds read back from JSON here."""
    compiler = _open_tasks(STAND_IN).compiler
    if any(_from_json(column[0].target) is None for column in compiler.select):
        return None
    if vendor == "postgresql":
        return "workflows_open_tasks_after_lock(locked.review_process_id)"
    columns = ", ".join(compiler.compile(column)[0] for column, _, _ in compiler.select)
    task, process = ReviewFlow.task_class._meta, ReviewFlow.process_class._meta
    states = ", ".join(f"'{state}'" for state in OPEN_TASK_STATES)  # the flow's own constants
    return (
        f"(SELECT json_group_array(json(row)) FROM (SELECT json_array({columns}) AS row "  # noqa: S608
        f'FROM "{task.db_table}" JOIN "{process.db_table}" '
        f'ON "{task.db_table}"."process_id" = "{process.db_table}"."id" '
        f'WHERE "{task.db_table}"."process_id" = locked.review_process_id '
        f'AND "{task.db_table}"."status" IN ({states})))'
    )


def _from_json(field: Any) -> Callable[[Any], Any] | None:
    """How a column's value read back from JSON becomes what the driver would have fetched
    (PostgreSQL), or None for a kind of column not read that way."""
    if isinstance(field, models.JSONField):
        return json.dumps  # fetched as text, which the field's converter decodes
    if isinstance(field, models.DateTimeField):
        return lambda value: value if value is None else datetime.datetime.fromisoformat(value)
    if isinstance(field, models.ForeignKey):
        return _from_json(field.target_field)
    if isinstance(field, models.IntegerField | models.CharField | models.TextField):  # ids too
        return _as_it_is
    return None


def _as_it_is(value: Any) -> Any:
    return value


def _fetched(statement: Prepared, column: str) -> list[list[Any]]:
    """The rows of ``open_tasks_read_with_lock``'s column as the statement fetches them."""
    read = json.loads(column)
    compiler = statement.compiler
    if compiler.connection.vendor != "postgresql":
        return cast("list[list[Any]]", read)
    columns = _JSON_COLUMNS.get(compiler)
    if columns is None:  # once per compiled statement
        task = ReviewFlow.task_class._meta.db_table
        columns = _JSON_COLUMNS[compiler] = [
            ("t" if c.alias == task else "p", c.target.column, convert)
            for c, _, _ in compiler.select
            if (convert := _from_json(c.target)) is not None  # every one (see the lock's column)
        ]
    return [[convert(row[side][name]) for side, name, convert in columns] for row in read]


# Of each column of the open tasks' statement: its row (task or process), name and conversion.
_JSON_COLUMNS: weakref.WeakKeyDictionary[Any, list[tuple[str, str, Callable[[Any], Any]]]] = (
    weakref.WeakKeyDictionary()
)


def keep_open_tasks_read_with_row(application: FundingApplication, column: str) -> None:
    """The open tasks read with the application's row lock (``open_tasks_read_with_lock``),
    for the next ``open_tasks``."""
    application.__dict__[_READ_WITH_LOCK] = (_task_saves[0], column)


def queue_for(user: Actor) -> QuerySet[Task]:
    """The open tasks of the user's tier that the user may take or already holds."""
    profile = rights.profile_of(user)
    names = TASKS_FOR_ROLE.get(Role(profile.role), ()) if profile else ()
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
    if profile.role == Role.GROUP_MEMBER:
        # Experts: only the scoring tasks given to them. Before declaring they see that the
        # task is there and nothing of the request (``mark_visible``).
        return tasks.filter(owner=user)
    return tasks.filter(access.visible_q(user, "process__funding_application"))


def mark_visible(user: Actor, tasks: list[Task]) -> list[Task]:
    """Set ``task.shows_application`` on each task: whether its request may be named to the
    user (an expert who has not declared on it sees only that the task is there)."""
    ids = {t.process.funding_application.pk for t in tasks}
    visible = set(access.applications_for(user).filter(pk__in=ids).values_list("pk", flat=True))
    for task in tasks:
        task.shows_application = task.process.funding_application.pk in visible
    return tasks


def awaiting_declaration(user: Actor, pk: int) -> FundingApplication | None:
    """Application ``pk`` if the user is an expert asked to score it who has not declared yet
    (they may see only the declaration)."""
    application = _base().filter(pk=pk).first()
    if application is None or not access.may_declare(user, application):
        return None
    return application


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


def all_audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("application").order_by("-seq")


@dataclass
class QueueSummary:
    """A reviewer's queue: one page of its tasks, each with ``due`` and ``is_overdue``, and
    the counts over the whole queue."""

    tasks: list[Any]
    new: int
    mine: int
    overdue: int
    page: KeysetPage[Any] | None = None


def queue_tasks(user: Actor) -> QuerySet[Task]:
    """Every task of the user's queue (``queue_for``); the chair's includes the scoring tasks
    waiting to be given to another expert."""
    first, *others = _queue_parts(user)
    tasks = first
    for other in others:
        tasks = tasks | other
    return tasks.select_related("process__funding_application__call")


def _queue_parts(user: Actor) -> list[QuerySet[Task]]:
    """The user's queue as separate sets of tasks that share none: the tasks of the user's
    tier, and for the chair also the scoring tasks an expert with a conflict left, which wait
    for the chair to give them to another expert."""
    profile = rights.profile_of(user)
    tasks = queue_for(user)
    if profile is not None and profile.role == Role.GROUP_MEMBER:
        # A scoring task left by an expert with a conflict waits for the chair, not for them.
        return [tasks.filter(owner=user)]
    if profile is not None and profile.role == Role.GROUP_CHAIR:
        left = ReviewFlow.task_class._default_manager.filter(
            flow_task=ReviewFlow.score, owner__isnull=True, status__in=OPEN_TASK_STATES
        )
        return [tasks, left]
    return [tasks]


def queue_counts(user: Actor, now: datetime.datetime) -> dict[str, int]:
    """Over the whole queue: new (nobody holds it yet), held by the user, and overdue (older
    than the call's time limit for that tier); one query per part of the queue, so that each
    joins only what it needs."""
    counts = {"new": 0, "mine": 0, "overdue": 0}
    for part in _queue_parts(user):
        found = part.order_by().aggregate(
            new=Count("pk", filter=Q(owner__isnull=True)),
            mine=Count("pk", filter=Q(owner=user)),
            overdue=Count("pk", filter=late_tasks_q(now)),
        )
        for key in counts:
            counts[key] += found[key]
    return counts


def with_deadlines(user: Actor, tasks: list[Any], now: datetime.datetime) -> list[Any]:
    """The tasks of one page, each with ``shows_application`` (``mark_visible``), ``due`` and
    ``is_overdue``."""
    listed = mark_visible(user, tasks)
    for task in listed:
        task.due = due_at(task, task.process.funding_application.call)
        task.is_overdue = task.due is not None and task.due < now
    return listed


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


def reassign_candidates(
    application: FundingApplication, user: Actor, task: Task | None
) -> list[Any]:
    """Who the tier's head may give the open task to; empty unless ``user`` is that head and
    the task is one a reviewer holds (scoring tasks are reassigned by the chair elsewhere)."""
    tier = application.current_tier
    if task is None or task.flow_task.name not in CLAIMABLE_TASKS:
        return []
    if not rights.is_tier_head(user, tier, application):
        return []
    role = {
        Tier.LEAD: Role.LEAD_OFFICER,
        Tier.GROUP: Role.GROUP_CHAIR,
        Tier.MEETING: Role.MEETING_SECRETARY,
    }[Tier(cast(str, tier))]  # the head of a tier: the application is under review
    people = get_user_model()._default_manager.filter(is_active=True, profile__role=role)
    if tier == Tier.LEAD:
        people = people.filter(
            profile__department_id=application.special_project.lead_department_id
        )
    return [
        p
        for p in people.select_related("profile").exclude(pk=task.owner_id)
        if rights.acts_at_tier(application, p, tier)
    ]
