"""The filters of the lists, parsed from the query string by django-filter: what a person
narrows a list by (status, tier, call, special project, department, district, period, overdue,
assigned to me) and the search over title, organisation, national task code and the national
approval document's number.

Search is a substring match (``icontains``): on PostgreSQL the trigram indexes of
``pg_trgm`` answer it (migration 0007), on SQLite it scans, which is fine at its sizes. Chinese
text has no word boundaries, so a substring is what a person searching for 芯片 expects.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .deadlines import late_tasks_q
from .districts import district_choices
from .flows import OPEN_TASK_STATES, ReviewFlow
from .models import (
    AuditEntry,
    Department,
    FundingApplication,
    FundingCall,
    Organisation,
    SpecialProject,
)
from .review_path import STATUS_TIER, Role, Status, Tier

if TYPE_CHECKING:
    from .actors import Viewer

DATE = {"type": "date"}


def search_q(words: str, prefix: str = "") -> Q:
    """Every word of ``words`` in the title, the organisation's name, the national task code
    or the national approval number (of the application ``prefix`` leads to, from another
    model: ``"process__funding_application__"`` from a flow task)."""
    match = Q()
    for word in words.split()[:5]:
        organisations = Organisation.objects.filter(name__icontains=word).values("pk")
        match &= (
            Q(**{f"{prefix}title__icontains": word})
            | Q(**{f"{prefix}national_task_code__icontains": word})
            | Q(**{f"{prefix}national_approval_number__icontains": word})
            | Q(**{f"{prefix}organisation_id__in": organisations})
        )
    return match


def _open_tasks() -> QuerySet[Any]:
    tasks: QuerySet[Any] = ReviewFlow.task_class._default_manager.filter(
        process_id=OuterRef("review_process_id"), status__in=OPEN_TASK_STATES
    )
    return tasks


def overdue_q(now: datetime.datetime | None = None) -> Q:
    """Applications with an open task past its tier's time limit."""
    return Q(Exists(_open_tasks().filter(late_tasks_q(now or timezone.now()))))


class PeriodForm(forms.Form):
    """A list's filter form whose period (``since`` to ``until``) must not end before it
    starts."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data


class ApplicationFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The filters of the list of applications (the home page). A list of other rows that
    each belong to one application (the reviewers' queue of flow tasks) reuses them with
    ``application_path``, the path from its rows to their application."""

    application_path = ""

    q = django_filters.CharFilter(label=_("搜索"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Status.choices)
    tier = django_filters.ChoiceFilter(label=_("环节"), choices=Tier.choices, method="at_tier")
    call = django_filters.ModelChoiceFilter(label=_("申报批次"), queryset=FundingCall.objects.all())
    special_project = django_filters.ModelChoiceFilter(
        label=_("所属重大专项"), queryset=SpecialProject.objects.all()
    )
    department = django_filters.ModelChoiceFilter(
        label=_("牵头部门"),
        queryset=Department.objects.filter(led_special_projects__isnull=False).distinct(),
        field_name="special_project__lead_department",
    )
    district = django_filters.ChoiceFilter(
        label=_("落地区"), choices=district_choices, field_name="landing_district"
    )
    since = django_filters.DateFilter(
        label=_("创建日期起"), method="created_since", widget=forms.DateInput(DATE)
    )
    until = django_filters.DateFilter(
        label=_("创建日期止"), method="created_until", widget=forms.DateInput(DATE)
    )
    overdue = django_filters.BooleanFilter(
        label=_("仅看逾期"), method="only_overdue", widget=forms.CheckboxInput
    )
    mine = django_filters.BooleanFilter(
        label=_("仅看我已认领"), method="only_mine", widget=forms.CheckboxInput
    )

    class Meta:
        model = FundingApplication
        fields = ["q", "status", "tier", "call", "special_project", "department", "district"]
        form = PeriodForm

    def __init__(self, *args: Any, user: Viewer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.application_path:
            for each in self.filters.values():
                if each.method is None:
                    each.field_name = self.on_application(each.field_name)

    def on_application(self, lookup: str) -> str:
        """``lookup`` (a field of the application) as seen from the rows filtered."""
        return f"{self.application_path}__{lookup}" if self.application_path else lookup

    def search(self, rows: QuerySet[Any], name: str, value: str) -> Any:
        if not value.strip():
            return rows
        prefix = f"{self.application_path}__" if self.application_path else ""
        return rows.filter(search_q(value, prefix))

    def at_tier(self, rows: QuerySet[Any], name: str, value: str) -> Any:
        statuses = [s for s, t in STATUS_TIER.items() if t == value]
        return rows.filter(**{self.on_application("status__in"): statuses})

    def created_since(self, rows: QuerySet[Any], name: str, value: Any) -> Any:
        return rows.filter(**{self.on_application("created_at__gte"): start_of(value)})

    def created_until(self, rows: QuerySet[Any], name: str, value: Any) -> Any:
        end = start_of(value + datetime.timedelta(days=1))
        return rows.filter(**{self.on_application("created_at__lt"): end})

    def only_overdue(self, rows: QuerySet[FundingApplication], name: str, value: Any) -> Any:
        return rows.filter(overdue_q()) if value else rows

    def only_mine(self, rows: QuerySet[FundingApplication], name: str, value: Any) -> Any:
        if not value or self.user is None or not self.user.is_authenticated:
            return rows
        return rows.filter(Exists(_open_tasks().filter(owner_id=self.user.pk)))


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _step_choices() -> list[tuple[str, str]]:
    from .review_path import STEPS

    seen: dict[str, str] = {}
    for step in STEPS:
        seen.setdefault(step.transition, str(step.label))
    return sorted(seen.items(), key=lambda item: item[1])


class AuditFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The filters of the audit trail: a request, a step, a role, a tier, a person, a period."""

    application = django_filters.CharFilter(
        label=_("申请（国家课题编号）"), method="of_application"
    )
    transition = django_filters.ChoiceFilter(label=_("操作"), choices=_step_choices)
    actor_role = django_filters.ChoiceFilter(label=_("角色"), choices=Role.choices)
    tier = django_filters.ChoiceFilter(label=_("环节"), choices=Tier.choices)
    actor_name = django_filters.CharFilter(label=_("办理人"), lookup_expr="icontains")
    since = django_filters.DateFilter(
        label=_("起始日期"), field_name="at", method="at_since", widget=forms.DateInput(DATE)
    )
    until = django_filters.DateFilter(
        label=_("截止日期"), field_name="at", method="at_until", widget=forms.DateInput(DATE)
    )

    class Meta:
        model = AuditEntry
        fields = ["application", "transition", "actor_role", "tier", "actor_name"]
        form = PeriodForm

    def of_application(self, rows: QuerySet[AuditEntry], name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return rows
        return rows.filter(application__national_task_code__icontains=value)

    def at_since(self, rows: QuerySet[AuditEntry], name: str, value: Any) -> Any:
        return rows.filter(at__gte=start_of(value))

    def at_until(self, rows: QuerySet[AuditEntry], name: str, value: Any) -> Any:
        return rows.filter(at__lt=start_of(value + datetime.timedelta(days=1)))
