"""The lists of the review tiers, their filters (django-filter), columns (django-tables2) and
exports: each reviewer's queue and the joint meetings."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows import access
from workflows.deadlines import LIMIT_FOR_TASK, due_at, late_tasks_q
from workflows.exports import ChoiceLabels, Column
from workflows.filters import ApplicationFilter, PeriodForm
from workflows.flows import ReviewFlow
from workflows.models import FundingCall
from workflows.review_path import STATES, TASKS, Role, Status
from workflows.selectors import TASKS_FOR_ROLE
from workflows.tables import ListTable

from .models import Meeting

if TYPE_CHECKING:
    from workflows.actors import Actor

DATE = {"type": "date"}


class MeetingFilter(django_filters.FilterSet):  # type: ignore[misc]
    q = django_filters.CharFilter(label=_("搜索（地点、主持人）"), method="search")
    call = django_filters.ModelChoiceFilter(label=_("申报批次"), queryset=FundingCall.objects.all())
    state = django_filters.ChoiceFilter(label=_("状态"), choices=Meeting.State.choices)
    since = django_filters.DateFilter(
        label=_("会议日期起"), field_name="held_on", lookup_expr="gte", widget=forms.DateInput(DATE)
    )
    until = django_filters.DateFilter(
        label=_("会议日期止"), field_name="held_on", lookup_expr="lte", widget=forms.DateInput(DATE)
    )

    class Meta:
        model = Meeting
        fields = ["q", "call", "state"]
        form = PeriodForm

    def search(self, rows: QuerySet[Meeting], name: str, value: str) -> Any:
        for word in value.split()[:5]:
            rows = rows.filter(Q(place__icontains=word) | Q(chair__icontains=word))
        return rows


class MeetingTable(ListTable):
    held_on = tables.DateColumn(verbose_name=_("会议日期"), format="Y-m-d")
    call = tables.Column(verbose_name=_("申报批次"), accessor="call__title", orderable=False)
    place = tables.Column(verbose_name=_("地点"))
    chair = tables.Column(verbose_name=_("主持人"), orderable=False)
    item_count = tables.Column(
        verbose_name=_("议程项数"), orderable=False, attrs={"td": {"class": "num"}}
    )
    state = tables.Column(verbose_name=_("状态"), orderable=False)

    sorts = {"held_on": "held_on", "place": "place"}
    default_sort = "-held_on"
    body_template = "approvals/_meetings_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("暂无会议。")


MEETING_STATES = ChoiceLabels(Meeting.State.choices)
MEETING_EXPORT = (
    Column(_("会议日期"), lambda m: m.held_on),
    Column(_("申报批次"), lambda m: m.call.title),
    Column(_("地点"), lambda m: m.place),
    Column(_("主持人"), lambda m: m.chair),
    Column(_("议程项数"), lambda m: m.item_count),
    Column(_("状态"), lambda m: MEETING_STATES(m.state)),
)


# --- the reviewers' queue -------------------------------------------------------------------

APPLICATION = "process__funding_application"
# The filters over the request's own content (what an expert may not see before declaring).
_CONTENT_FILTERS = (
    "q",
    "status",
    "tier",
    "call",
    "special_project",
    "department",
    "district",
    "since",
    "until",
)


def queue_task_names(user: Actor) -> tuple[str, ...]:
    """The kinds of flow task in the user's queue (the chair's includes the scoring tasks
    waiting to be given to another expert)."""
    role = access.role_of(user)
    names = TASKS_FOR_ROLE.get(role, ()) if role else ()
    return (*names, "score") if role == Role.GROUP_CHAIR else names


class QueueFilter(ApplicationFilter):
    """The applications' filters over a reviewer's tasks, with the kind of task where the
    queue has several. Overdue and "mine" are the task's own: past its tier's time limit, and
    held by the reviewer. The tier and status offer only what the queue can hold; an expert's
    filters on a request's content apply only to the requests they declared on (a task they
    have not declared on yet never matches a search for its title)."""

    application_path = APPLICATION

    task = django_filters.ChoiceFilter(label=_("任务"), choices=(), method="of_task")

    class Meta(ApplicationFilter.Meta):
        model = ReviewFlow.task_class
        fields: list[str] = []

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.reviewer = user
        names = queue_task_names(user)
        tiers = {LIMIT_FOR_TASK[n][1] for n in names if n in LIMIT_FOR_TASK}
        self.filters["task"].extra["choices"] = [(n, str(TASKS[n])) for n in names]
        self.filters["status"].extra["choices"] = [
            (state.status.value, state.status.label)
            for state in STATES
            if state.open_tasks & set(names)
        ]
        self.filters["tier"].extra["choices"] = [
            (value, label)
            for value, label in self.filters["tier"].extra["choices"]
            if value in tiers
        ]
        for name, few in (("task", names), ("tier", tiers)):
            if len(few) < 2:
                del self.filters[name]
        if access.role_of(user) == Role.LEAD_OFFICER:
            del self.filters["department"]  # an officer's queue is their department's

    def filter_queryset(self, queryset: QuerySet[Any]) -> Any:
        data = self.form.cleaned_data
        if access.role_of(self.reviewer) == Role.GROUP_MEMBER and any(
            data.get(name) for name in _CONTENT_FILTERS
        ):
            queryset = queryset.filter(access.visible_q(self.reviewer, APPLICATION))
        return super().filter_queryset(queryset)

    def of_task(self, rows: QuerySet[Any], name: str, value: str) -> Any:
        return rows.filter(flow_task=getattr(ReviewFlow, value)) if value else rows

    def only_overdue(self, rows: QuerySet[Any], name: str, value: Any) -> Any:
        return rows.filter(late_tasks_q(timezone.now())) if value else rows

    def only_mine(self, rows: QuerySet[Any], name: str, value: Any) -> Any:
        return rows.filter(owner_id=self.reviewer.pk) if value else rows


_RIGHT = {"td": {"class": "num"}, "th": {"class": "num"}}


class QueueTable(ListTable):
    task = tables.Column(verbose_name=_("任务"), accessor="flow_task", orderable=False)
    application = tables.Column(
        verbose_name=_("课题"), accessor=f"{APPLICATION}__national_task_code"
    )
    title = tables.Column(verbose_name=_("课题名称"), accessor=f"{APPLICATION}__title")
    organisation = tables.Column(
        verbose_name=_("申报单位"), accessor=f"{APPLICATION}__organisation__name"
    )
    requested = tables.Column(
        verbose_name=_("申请金额(元)"), accessor=f"{APPLICATION}__requested_amount", attrs=_RIGHT
    )
    status = tables.Column(verbose_name=_("状态"), accessor=f"{APPLICATION}__status")
    arrived = tables.Column(verbose_name=_("到达时间"), accessor="created")
    due = tables.Column(verbose_name=_("办理期限"), orderable=False, empty_values=())
    holder = tables.Column(verbose_name=_("认领"), orderable=False, empty_values=())

    sorts = {
        "application": f"{APPLICATION}__national_task_code",
        "title": f"{APPLICATION}__title",
        "organisation": f"{APPLICATION}__organisation__name",
        "requested": f"{APPLICATION}__requested_amount",
        "status": f"{APPLICATION}__status",
        "arrived": "created",
    }
    default_sort = "arrived"
    body_template = "approvals/_queue_rows.html"

    class Meta(ListTable.Meta):
        empty_text = _("暂无待办任务。")


class ExpertQueueTable(QueueTable):
    """An expert's queue in the order the tasks came: sorting by a request's title or code
    would tell them something of the requests they have not declared on."""

    sorts = {"arrived": "created"}

    class Meta(QueueTable.Meta):
        orderable = False


def queue_table_for(user: Actor) -> type[QueueTable]:
    return ExpertQueueTable if access.role_of(user) == Role.GROUP_MEMBER else QueueTable


def for_queue_export(user: Actor, tasks: QuerySet[Any]) -> QuerySet[Any]:
    """The tasks with ``shows_application``: whether the export may name the request (an
    expert's undeclared task shows only its organisation)."""
    visible = access.applications_for(user).filter(pk=OuterRef(APPLICATION))
    annotated: QuerySet[Any] = tasks.annotate(shows_application=Exists(visible))
    return annotated


def holder_label(task: Any, user: Actor) -> str:
    """Who holds the task, as the queue says it."""
    if task.owner_id == user.pk:
        return str(_("我"))
    if task.owner_id:
        return str(_("已认领"))
    if task.flow_task.name == "score":
        return str(_("待改派"))
    return str(_("待认领"))


STATUSES = ChoiceLabels(Status.choices)


def queue_export_columns(user: Actor, now: datetime.datetime) -> tuple[Column, ...]:
    def application(task: Any) -> Any:
        return task.process.funding_application

    def shown(read: Any) -> Any:
        return lambda task: read(application(task)) if task.shows_application else "—"

    def due(task: Any) -> Any:
        return due_at(task, application(task).call)

    return (
        Column(_("任务"), lambda t: str(TASKS.get(t.flow_task.name, t.flow_task.name))),
        Column(_("国家课题(任务)编号"), shown(lambda a: a.national_task_code)),
        Column(_("课题名称"), shown(lambda a: a.title)),
        Column(_("申报单位"), lambda t: application(t).organisation.name),
        Column(_("所属重大专项"), lambda t: application(t).special_project.name),
        Column(_("申请配套金额(元)"), shown(lambda a: a.requested_amount)),
        Column(_("状态"), shown(lambda a: STATUSES(a.status))),
        Column(_("到达时间"), lambda t: t.created),
        Column(_("办理期限"), due),
        Column(_("逾期"), lambda t: _("是") if (d := due(t)) is not None and d < now else ""),
        Column(_("认领"), lambda t: holder_label(t, user)),
    )
