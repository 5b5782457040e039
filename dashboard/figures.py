"""The review side's figures: the pipeline, the time spent at each tier, and the money, each
computed over the requests the user may see (``Scope.applications``, the access policy's
list narrowed by the dashboard's filters). Reads only.

Every figure is a handful of aggregate queries whatever the number of requests. The time at
each tier: a stay at a tier is the time from the move that brought the request there to the
next move of its status, summed per request and tier; the transition engine keeps the sums on
the request (``FundingApplication.time_at_<tier>``), so that no figure reads the audit trail
of every request. The median and the 90th percentile (linear interpolation, as PostgreSQL's
``percentile_cont``) are taken over those sums, in the query on PostgreSQL, in Python
elsewhere. Only finished stays count: a request still at its first stay at a tier has no
time there yet.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from approvals.budgets import policies_of_calls
from approvals.models import GroupRecommendation, PoolBalance
from workflows import access
from workflows.deadlines import LIMIT_FOR_TASK, late_tasks_q
from workflows.districts import district_labels
from workflows.flows import OPEN_TASK_STATES, ReviewFlow
from workflows.models import (
    AuditEntry,
    Department,
    FundingApplication,
    FundingCall,
    FundingForm,
    SpecialProject,
)
from workflows.review_path import AWARDED, STATUS_TIER, Status, Tier

from .sections import Provider, Scope, Table, register

ZERO = Decimal("0")
TIER_OF: dict[str, str] = {str(status): str(tier) for status, tier in STATUS_TIER.items()}
WEEK = datetime.timedelta(days=7)
DAY_SECONDS = 86400


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "—"


# --- the pipeline -----------------------------------------------------------------------------


def pipeline_tables(scope: Scope) -> list[Table]:
    apps = scope.applications
    by_status = dict(
        apps.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    status_rows: list[tuple[Any, ...]] = [
        (
            _label(Status, status),
            _label(Tier, TIER_OF.get(status, "")),
            by_status[status],
        )
        for status in Status.values
        if by_status.get(status)
    ]
    arrived = _arrived_this_week(scope)
    overdue = _overdue_tasks_per_tier(scope)
    tier_rows: list[tuple[Any, ...]] = []
    for tier in Tier:
        statuses = [s for s, t in TIER_OF.items() if t == tier]
        tier_rows.append(
            (
                str(tier.label),
                sum(by_status.get(s, 0) for s in statuses),
                arrived.get(tier, 0),
                overdue.get(tier, 0),
            )
        )
    submitted = apps.filter(submitted_at__gte=scope.now - WEEK).count()
    return [
        Table(
            key="by_status",
            title=_("按状态的申请数"),
            headings=(_("状态"), _("环节"), _("申请数")),
            rows=status_rows,
            charted=(2,),
        ),
        Table(
            key="by_tier",
            title=_("各环节在办、本周到达与逾期任务"),
            headings=(_("环节"), _("在办申请"), _("本周到达"), _("逾期任务")),
            rows=tier_rows,
            charted=(1, 2, 3),
            note=_("本周新提交申请 %(n)d 项。") % {"n": submitted},
        ),
    ]


def _arrived_this_week(scope: Scope) -> dict[str, int]:
    """Requests that reached each tier in the last seven days (from the audit trail)."""
    tier_of = {s: t for s, t in TIER_OF.items() if s != Status.SUBMITTED}
    rows = (
        AuditEntry.objects.filter(
            scope.through("application"),
            at__gte=scope.now - WEEK,
            target__in=list(tier_of),
        )
        .exclude(source=F("target"))
        .order_by()
        .values("target")
        .annotate(n=Count("application_id", distinct=True))
    )
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[tier_of[row["target"]]] += row["n"]
    return counts


def _overdue_tasks_per_tier(scope: Scope) -> dict[str, int]:
    """Open tasks past their tier's time limit (the call's), per tier."""
    tasks = ReviewFlow.task_class._default_manager.filter(
        scope.through("process__funding_application"),
        status__in=OPEN_TASK_STATES,
    )
    late = late_tasks_q(scope.now)
    counts: dict[str, int] = defaultdict(int)
    for row in tasks.filter(late).order_by().values("flow_task").annotate(n=Count("pk")):
        name = getattr(row["flow_task"], "name", "")  # the flow's node
        tier = LIMIT_FOR_TASK.get(name, ("", ""))[1]
        counts[tier] += row["n"]
    return counts


# --- time at each tier ------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (``percentile_cont``)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stays_at_tiers(scope: Scope) -> dict[tuple[int, str], list[float]]:
    """(call, tier) → the days each request spent at that tier (its finished stays, summed, as
    the transition engine keeps them on the request)."""
    spent = [f"time_at_{tier}" for tier in Tier.values]
    rows = scope.applications.order_by().values_list("call_id", *spent)
    days: dict[tuple[int, str], list[float]] = defaultdict(list)
    for call_id, *times in rows.iterator(chunk_size=5000):
        for tier, time in zip(Tier.values, times, strict=True):
            if time is not None:
                days[(call_id, tier)].append(time.total_seconds() / DAY_SECONDS)
    return dict(days)


Quantiles = dict[tuple[int, str], tuple[int, float, float]]


def tier_quantiles(scope: Scope) -> Quantiles:
    """(call, tier) → (finished stays, median days, 90th percentile days). PostgreSQL computes
    them in one query (``percentile_cont``); elsewhere Python does, from ``stays_at_tiers``."""
    if connection.vendor == "postgresql":
        return _tier_quantiles_in_sql(scope)
    return {
        key: (len(days), percentile(days, 0.5), percentile(days, 0.9))
        for key, days in stays_at_tiers(scope).items()
    }


def _tier_quantiles_in_sql(scope: Scope) -> Quantiles:
    spent = {tier: f"time_at_{tier}" for tier in Tier.values}
    visible, params = (
        scope.applications.order_by().values("call_id", *spent.values()).query.sql_with_params()
    )
    figures = ", ".join(
        f"COUNT({column}), "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {column})), "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM {column}))"
        for column in spent.values()
    )
    # Column names from the model, values as parameters.
    sql = f"SELECT call_id, {figures} FROM ({visible}) AS visible GROUP BY call_id"  # noqa: S608
    quantiles: Quantiles = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for call_id, *values in cursor.fetchall():
            for i, tier in enumerate(spent):
                count, median, p90 = values[3 * i : 3 * i + 3]
                if count:
                    quantiles[(call_id, tier)] = (
                        count,
                        float(median) / DAY_SECONDS,
                        float(p90) / DAY_SECONDS,
                    )
    return quantiles


def time_tables(scope: Scope) -> list[Table]:
    quantiles = tier_quantiles(scope)
    titles = dict(
        FundingCall.objects.filter(pk__in={c for c, _ in quantiles}).values_list("pk", "title")
    )
    order = {tier: i for i, tier in enumerate(Tier.values)}
    rows: list[tuple[Any, ...]] = []
    for (call_id, tier), (count, median, p90) in sorted(
        quantiles.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])
    ):
        rows.append(
            (
                f"{titles.get(call_id, call_id)} · {_label(Tier, tier)}",
                count,
                _days(median),
                _days(p90),
            )
        )
    return [
        Table(
            key="days_at_tier",
            title=_("各环节办理天数（按批次）"),
            headings=(_("批次 · 环节"), _("已办结申请"), _("中位数（天）"), _("90分位（天）")),
            rows=rows,
            charted=(2, 3),
            note=_("自到达该环节至离开该环节，按审计记录计；仍在该环节的申请不计。"),
        )
    ]


def _days(value: float) -> Decimal:
    return Decimal(str(round(value, 1)))


# --- money ------------------------------------------------------------------------------------

GROUPINGS = (
    ("by_special_project", _("按重大专项"), "special_project_id"),
    ("by_department", _("按牵头部门"), "special_project__lead_department_id"),
    ("by_district", _("按落地区"), "landing_district_id"),
    ("by_form", _("按支持方式"), "funding_form"),
)
# What the requests are grouped by in the one pass (the department follows from the project).
GROUPED_BY = ("special_project_id", "landing_district_id", "funding_form")


def _latest_recommendations(scope: Scope) -> QuerySet[GroupRecommendation]:
    """Each visible request's latest recommendation to fund (none later than it)."""
    later = GroupRecommendation.objects.filter(
        application_id=OuterRef("application_id"),
        decision=GroupRecommendation.Decision.RECOMMEND,
    ).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    return GroupRecommendation.objects.filter(
        decision=GroupRecommendation.Decision.RECOMMEND,
        application__in=scope.applications.exclude(status=Status.DRAFT),
    ).exclude(Exists(later))


def money_tables(scope: Scope) -> list[Table]:
    """Requested (every request past its draft), recommended by the review group (its latest
    recommendation), approved by the joint meeting; by special project, lead department,
    district and form of support. One pass over the requests grouped by project, district
    and form at once (a few hundred groups) and one over their latest recommendations,
    grouped the same way; added up here for each table, names looked up once."""
    grouped = (
        scope.applications.exclude(status=Status.DRAFT)
        .order_by()
        .values(*GROUPED_BY)
        .annotate(
            n=Count("pk"),
            asked=Coalesce(Sum("requested_amount"), ZERO),
            granted=Coalesce(Sum("approved_amount", filter=Q(status__in=AWARDED)), ZERO),
        )
    )
    advised = {
        tuple(row[f"application__{c}"] for c in GROUPED_BY): row["advised"]
        for row in _latest_recommendations(scope)
        .order_by()
        .values(*(f"application__{c}" for c in GROUPED_BY))
        .annotate(advised=Coalesce(Sum("recommended_amount"), ZERO))
    }
    projects = {
        pk: (name, department)
        for pk, name, department in SpecialProject.objects.values_list(
            "pk", "name", "lead_department_id"
        ).order_by()
    }
    columns = [column for _key, _title, column in GROUPINGS]
    totals: dict[str, dict[Any, list[Any]]] = {column: {} for column in columns}
    for group in grouped:
        grouped_by = tuple(group[c] for c in GROUPED_BY)
        department = projects[grouped_by[0]][1] if grouped_by[0] in projects else None
        values = {**group, "special_project__lead_department_id": department}
        figures = (group["n"], group["asked"], advised.get(grouped_by, ZERO), group["granted"])
        for column in columns:
            sums = totals[column].setdefault(values[column], [0, ZERO, ZERO, ZERO])
            for i, figure in enumerate(figures):
                sums[i] += figure
    names = _group_names({pk: name for pk, (name, _department) in projects.items()})
    tables = []
    for key, title, column in GROUPINGS:
        named = [(names[column](value), sums) for value, sums in totals[column].items()]
        rows: list[tuple[Any, ...]] = [
            (name, *sums) for name, sums in sorted(named, key=lambda kv: str(kv[0]))
        ]
        tables.append(
            Table(
                key=key,
                title=title,
                headings=(
                    _("分组"),
                    _("申请数"),
                    _("申请配套金额(元)"),
                    _("建议金额(元)"),
                    _("批复金额(元)"),
                ),
                rows=rows,
                charted=(2, 3, 4),
                money=(2, 3, 4),
            )
        )
    return tables


def _group_names(projects: dict[int, str]) -> dict[str, Any]:
    """How each grouping's value is named on the page (each list read once, not per row)."""
    departments = dict(Department.objects.values_list("pk", "name").order_by())
    districts = district_labels()
    return {
        "special_project_id": lambda pk: projects.get(pk, str(pk)),
        "special_project__lead_department_id": lambda pk: departments.get(pk, str(pk)),
        "landing_district_id": lambda code: districts.get(code, str(code)),
        "funding_form": lambda value: _label(FundingForm, value),
    }


def pool_tables(scope: Scope) -> list[Table]:
    """What is left of each call's budget and of each funding department's pool."""
    calls = FundingCall.objects.filter(
        pk__in=scope.applications.order_by().values("call_id").distinct()
    )
    if scope.call_id:
        calls = calls.filter(pk=scope.call_id)
    if scope.year:
        calls = calls.filter(year=scope.year)
    approved = dict(
        FundingApplication.objects.filter(call__in=calls, status__in=AWARDED)
        .order_by()
        .values("call_id")
        .annotate(total=Sum("approved_amount"))
        .values_list("call_id", "total")
    )
    call_rows: list[tuple[Any, ...]] = [
        (
            call.title,
            call.total_budget,
            approved.get(call.pk) or ZERO,
            call.total_budget - (approved.get(call.pk) or ZERO),
        )
        for call in calls.order_by("-year", "title")
    ]
    drawn_on = PoolBalance.objects.filter(call__in=calls).select_related("call")
    pool_rows: list[tuple[Any, ...]] = [
        (f"{b.call.title} · {b.department_name}", b.budget, b.budget - b.balance, b.balance)
        for b in drawn_on.order_by("call__title", "position")
    ]
    pool_rows += _pools_not_drawn_on(calls.exclude(pk__in=drawn_on.values("call_id")))
    headings = (_("批次"), _("预算(元)"), _("已批复(元)"), _("剩余(元)"))
    return [
        Table(
            key="call_budget",
            title=_("批次预算与剩余"),
            headings=headings,
            rows=call_rows,
            charted=(2, 3),
            money=(1, 2, 3),
        ),
        Table(
            key="department_pool",
            title=_("出资部门资金池余额"),
            headings=(_("批次 · 出资部门"), _("预算(元)"), _("已支用(元)"), _("余额(元)")),
            rows=pool_rows,
            charted=(2, 3),
            money=(1, 2, 3),
        ),
    ]


def _pools_not_drawn_on(calls: Any) -> list[tuple[Any, ...]]:
    """The pools of calls no meeting has drawn on yet: each department's whole budget (the one
    set for the call's year, else the policy's), nothing spent."""
    listed = list(calls.order_by("title"))
    governing = policies_of_calls(listed)
    return [
        (f"{call.title} · {d.name.zh}", d.budget, ZERO, d.budget)
        for call in listed
        if call.pk in governing
        for d in governing[call.pk].pool.departments
    ]


def register_review_sections() -> None:
    register(Provider("pipeline", _("审批进度"), 10, pipeline_tables))
    register(Provider("time", _("办理时长"), 20, time_tables))
    register(Provider("money", _("资金"), 30, money_tables))
    register(Provider("pool", _("预算与资金池"), 40, pool_tables, access.sees_pool_budgets))
