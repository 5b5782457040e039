"""The review flow: who has to act next on an application, and in which queue.

The flow drives, the state machine guards. Every human task here is ended by exactly one
public service (see ``workflows.review_path``), which performs one transition and then
completes the task; each decision task then routes on the status that transition left: to the
next tier, to the applicant's revision, or to the end.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.timezone import now
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_finished, flow_started, task_finished, task_started
from viewflow.workflow.status import STATUS

from .models import FundingApplication, Status
from .statements import insert_row, update_row


def open_application_page(
    request: HttpRequest, process_pk: int, task_pk: int, **kwargs: Any
) -> HttpResponseRedirect:
    """Tasks are worked on the application's own page, never through viewflow's views."""
    return redirect("application-detail-by-process", process_pk=process_pk)


class ApplicationRowLock:
    """The flow's lock is the application's own row lock (select_for_update, waiting).

    Services take that lock first, so every change to an application and to its tasks is
    serialised by one lock in one order; taking it again here costs one query and no savepoint.
    (viewflow's SelectForUpdateLock would lock the process row as a second lock and open a
    savepoint around every task.)
    """

    @contextmanager
    def __call__(self, flow_class: type[Any], process_pk: int) -> Iterator[None]:
        with transaction.atomic(savepoint=False):
            list(
                FundingApplication.objects.select_for_update(no_key=True)
                .filter(review_process_id=process_pk)
                .values_list("pk", flat=True)
            )
            yield


class ReviewStartActivation(StartHandleActivation):  # type: ignore[misc]  # viewflow is untyped
    """A review process starts inside the service's transaction, under the application's row
    lock: the process is new, so no other transaction sees it before this one commits and
    there is nothing to lock (viewflow would look for the application of a process that none
    points to yet), and no savepoint either, since any error ends the service's transaction."""

    @StartHandleActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def execute(self) -> None:
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False), _written_with_next(self.task):
            insert_row(self.process)
            self.complete()
            flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.activate_next()

    @StartHandleActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def complete(self) -> None:
        _finish(self)


class ReviewStart(flow.StartHandle):  # type: ignore[misc]  # viewflow is untyped
    activation_class = ReviewStartActivation


def _new_task(flow_task: Any, prev_activation: Any, token: Any, data: Any, seed: Any) -> Any:
    """A task of ``flow_task`` after ``prev_activation``'s, not yet written, as viewflow's
    activations make it."""
    task = flow_task.flow_class.task_class(
        process=prev_activation.process, flow_task=flow_task, token=token
    )
    task.data = data if data is not None else {}
    task.seed = seed
    return task


class ReviewEndActivation(EndActivation):  # type: ignore[misc]  # viewflow is untyped
    """The end of a review, reached from a decision under the application's row lock: finishes
    the process once no other task is open, without a savepoint of its own (an error ends
    the decision's transaction; viewflow's savepoint only serves errors it keeps on the
    task). The end's task is written once, finished (viewflow inserts it, then updates it),
    and the decision that reaches it says which other tasks it found open
    (``Process.open_elsewhere``, read under the same lock), so they are not asked for again."""

    @classmethod
    def create(
        cls, flow_task: Any, prev_activation: Any, token: Any, data: Any = None, seed: Any = None
    ) -> "ReviewEndActivation":
        activation = cls(_new_task(flow_task, prev_activation, token, data, seed))
        activation.previous_task = prev_activation.task
        return activation

    # Unsaved until it completes: an activation of an unsaved task is itself.
    __hash__ = object.__hash__

    @EndActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def activate(self) -> None:
        with transaction.atomic(savepoint=False):
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            elsewhere = self.process.__dict__.pop("open_elsewhere", None)
            if elsewhere is None:  # the tasks are read: the one before must be written first
                _write_if_unwritten(self.previous_task)
            finished = (
                not elsewhere
                if elsewhere is not None
                else not (
                    self.flow_class.task_class._default_manager.filter(
                        process=self.process, finished__isnull=True
                    ).exists()
                )
            )
            if finished:
                self.process.status = STATUS.DONE
                self.process.finished = now()
                update_row(self.process, ("status", "finished"))
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            if finished:
                flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    @EndActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def complete(self) -> None:
        _finish(self, after=self.previous_task)  # the task's one write, finished


class ReviewEnd(flow.End):  # type: ignore[misc]  # viewflow is untyped
    activation_class = ReviewEndActivation


def _finish(activation: Any, *, after: Any = None) -> None:
    """What viewflow's ``Activation.complete`` does: the task finished, saved (inserted, linked
    to the task ``after``, if it is new) and announced. A decision's task is saved with the
    next task's INSERT where it can be (``DecisionActivation.execute``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a task is finished inside the decision's transaction")
    task = activation.task
    task.finished = now()
    if task.__dict__.get(_UNWRITTEN):
        pass  # written by the next task's INSERT
    elif task.pk is None:
        _insert_task(task, after)
    else:
        update_row(task, TASK_PROGRESS)
    task_finished.send(sender=activation.flow_class, process=activation.process, task=task)


# A finished task whose row is not written yet (inserted, or updated): the next task's INSERT
# writes it, in the same statement on PostgreSQL, or ``_write_if_unwritten`` once no task
# followed.
_UNWRITTEN = "_task_unwritten"


@contextmanager
def _written_with_next(task: Any) -> Iterator[None]:
    """``task`` finished in the block is written with the INSERT of the task after it
    (``_insert_task``; in one statement on PostgreSQL, ``statements.insert_row``), or by
    itself at the end of the block if none followed. For an activation whose next task follows
    it directly: nothing reads the tasks in between (``ReviewEndActivation.activate`` writes it
    first if it must read them)."""
    task.__dict__[_UNWRITTEN] = True
    try:
        yield
    except BaseException:
        task.__dict__.pop(_UNWRITTEN, None)  # the transaction ends with the error
        raise
    _write_if_unwritten(task)


def _write_if_unwritten(task: Any) -> None:
    if not task.__dict__.pop(_UNWRITTEN, False):
        return
    if task.pk is None:
        _insert_task(task, None)
    else:
        update_row(task, TASK_PROGRESS)


# The columns of a task that change once it exists: who holds it, where it stands, and its
# data (an expert's scoring task keeps what the expert gave).
TASK_PROGRESS = ("status", "owner", "started", "finished", "data")


def _insert_task(task: Any, after: Any) -> None:
    """The new task, linked to the task ``after`` it; ``after`` written with it if it waits to
    be (``_written_with_next``): inserted if new, else its progress updated."""
    for typed in (task, after):
        if typed is not None and typed.flow_task and not typed.flow_task_type:
            typed.flow_task_type = typed.flow_task.task_type  # as viewflow's Task.save sets it
    unwritten = after is not None and after.__dict__.pop(_UNWRITTEN, False)
    insert_row(
        task,
        linked=("previous", after) if after is not None else None,
        updating=(after, TASK_PROGRESS) if unwritten and after.pk is not None else None,
    )


class PersonActivation(ViewActivation):  # type: ignore[misc]  # viewflow is untyped
    """A person's task, written as viewflow writes it in fewer statements and without the
    ORM's compiling (``statements.insert_row``, ``update_row``): created together with its link
    to the task before it, and afterwards only the columns that change (``TASK_PROGRESS``).
    A decision's next task may be written only with the decision's own statement
    (``statements.writes_held``): until then its activation is told apart by itself."""

    def __hash__(self) -> int:
        return hash(self.task) if self.task.pk is not None else object.__hash__(self)

    @classmethod
    def create(
        cls, flow_task: Any, prev_activation: Any, token: Any, data: Any = None, seed: Any = None
    ) -> "PersonActivation":
        task = _new_task(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner = owner
            task.status = STATUS.ASSIGNED
        _insert_task(task, prev_activation.task)
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        return activation

    @ViewActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def assign(self, user: Any) -> None:
        self.task.owner = user
        update_row(self.task, ("status", "owner"))

    @ViewActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def complete(self) -> None:
        _finish(self)


class PersonTask(flow.View):  # type: ignore[misc]  # viewflow is untyped
    activation_class = PersonActivation


class DecisionActivation(PersonActivation):
    @ViewActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def execute(self) -> None:
        """viewflow's: the task completed, then the next one activated. The decision's next
        task follows it directly (no gateway reads the tasks in between), so on PostgreSQL the
        finished task is written by the next task's INSERT, in one statement; by itself only
        when no task followed."""
        with _written_with_next(self.task):
            self.complete()
            self.activate_next()

    @ViewActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def create_next(self) -> Iterator[Any]:
        status = self.process.funding_application.status
        node = self.flow_task._routes.get(status, self.flow_task._otherwise)
        yield node._create(self, self.task.token)


class Decision(PersonTask):
    """A human task that ends in a decision, and routes on the status the decision left.

    It does what a View followed by a Switch on the status does, without writing a gateway
    task between them: the next task follows the decision task directly.
    """

    activation_class = DecisionActivation

    def Route(self, routes: dict[str, Any], *, otherwise: Any) -> "Decision":  # noqa: N802
        self._routes, self._otherwise = routes, otherwise
        return self

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._routes = {s: this.resolve(instance, n) for s, n in self._routes.items()}
        self._otherwise = this.resolve(instance, self._otherwise)

    def _outgoing(self) -> Iterator[Edge]:
        for node in self._routes.values():
            yield Edge(src=self, dst=node, edge_class="cond_true")
        yield Edge(src=self, dst=self._otherwise, edge_class="default")


class ExpertSplitActivation(SplitActivation):  # type: ignore[misc]  # viewflow is untyped
    """One scoring task per expert the chair assigned (named in the assignment task's data)."""

    @SplitActivation.status.super()  # type: ignore[untyped-decorator]  # viewflow is untyped
    def activate(self) -> None:
        assignment = self.task.previous.get()
        experts = assignment.data.get("experts", [])
        self.next_tasks = [(self.flow_task._score_node, {"expert": pk}) for pk in experts]


class ExpertSplit(flow.Split):  # type: ignore[misc]  # viewflow is untyped
    activation_class = ExpertSplitActivation

    def ForEachExpert(self, node: Any) -> Any:  # noqa: N802 - viewflow's node-building style
        self._score_node = node
        return self.Next(node)

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._score_node = this.resolve(instance, self._score_node)


# The process of the scoring task whose completion is arriving at the join (ScoresInActivation).
_arriving: ContextVar[Any] = ContextVar("arriving_process", default=None)


class ScoresInActivation(JoinActivation):  # type: ignore[misc]  # viewflow is untyped
    """The join of the experts' scoring tasks, continuing with the process object that arrives
    (which carries the locked application) instead of reading the process and the application
    again for the join task it finds."""

    @classmethod
    def create(cls, flow_task: Any, prev_activation: Any, token: Any, **kwargs: Any) -> Any:
        arriving = _arriving.set(prev_activation.process)
        try:
            return super().create(flow_task, prev_activation, token, **kwargs)
        finally:
            _arriving.reset(arriving)

    def __init__(self, task: Any) -> None:
        process = _arriving.get()
        if process is not None and task.process_id == process.pk:
            task.process = process
        super().__init__(task)


class ScoresIn(flow.Join):  # type: ignore[misc]  # viewflow is untyped
    activation_class = ScoresInActivation


def _assigned_expert(activation: Any) -> Any:
    """The expert named in the scoring task; the chair's assignment hands over the experts it
    has loaded (as ``process.experts``), so they are not read again one by one."""
    pk = activation.task.data["expert"]
    loaded = getattr(activation.process, "experts", {})
    return loaded.get(pk) or get_user_model()._default_manager.get(pk=pk)


class ReviewFlow(flow.Flow):  # type: ignore[misc]  # viewflow is untyped
    """A matching-fund request through the lead department, the review group and the meeting."""

    lock_impl = ApplicationRowLock()

    start = ReviewStart(this.start_process).Next(this.lead_review)
    # An objection upheld during the public notice sends the approved request back to the
    # joint meeting: a new process whose first task is the meeting's (``awards.notice``).
    reconsider = ReviewStart(this.start_process).Next(this.meeting_review)

    lead_review = (
        Decision(open_application_page)
        .Permission("workflows.act_lead_tier", obj=lambda process: process.funding_application)
        .Route(
            {Status.GROUP_REVIEW: this.assign_experts, Status.RETURNED: this.revision},
            otherwise=this.end,
        )
    )

    # Tier 2: the chair assigns experts, each expert scores, the chair decides for the group.
    assign_experts = (
        PersonTask(open_application_page)
        .Permission("workflows.chair_group_tier", obj=lambda process: process.funding_application)
        .Next(this.expert_split)
    )
    expert_split = ExpertSplit().ForEachExpert(this.score)
    score = (
        PersonTask(open_application_page)
        .Permission("workflows.act_group_tier", obj=lambda process: process.funding_application)
        .Assign(_assigned_expert)
        .Next(this.scores_in)
    )
    scores_in = ScoresIn().Next(this.group_decision)
    group_decision = (
        Decision(open_application_page)
        .Permission("workflows.chair_group_tier", obj=lambda process: process.funding_application)
        .Route(
            {Status.MEETING_REVIEW: this.meeting_review, Status.RETURNED: this.revision},
            otherwise=this.end,
        )
    )

    meeting_review = (
        Decision(open_application_page)
        .Permission("workflows.act_meeting_tier", obj=lambda process: process.funding_application)
        .Route(
            {Status.DEFERRED: this.meeting_review, Status.RETURNED: this.revision},
            otherwise=this.end,
        )
    )

    revision = (
        Decision(open_application_page)
        .Permission("workflows.act_as_applicant", obj=lambda process: process.funding_application)
        .Route(
            {
                Status.LEAD_REVIEW: this.lead_review,
                Status.GROUP_REVIEW: this.assign_experts,
                Status.MEETING_REVIEW: this.meeting_review,
            },
            otherwise=this.end,
        )
    )

    end = ReviewEnd()

    def start_process(self, activation: Any, application: FundingApplication) -> Any:
        """The new process, saved by viewflow; the caller links the application to it."""
        activation.process.funding_application = application  # routing reads it from here
        return activation.process


# The task states in which somebody still has to act.
OPEN_TASK_STATES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# Tasks a reviewer takes from the tier's queue (experts' scoring tasks are assigned to them).
CLAIMABLE_TASKS = ("lead_review", "assign_experts", "group_decision", "meeting_review")
