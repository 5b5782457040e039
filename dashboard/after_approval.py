"""The dashboard's sections after the approval: the money released in tranches and the equity
held (``awards``), and the outcomes the accepted progress reports state (``outcomes``) — the
figures the seed quotes: new sales revenue in total and from industrial-application projects,
its growth on the year before, patents, jobs, and the projects and organisations landed per
district or park. Every figure is computed over the scope's requests (the access policy's list,
narrowed by the dashboard's filters)."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from awards.models import EquityHolding, Tranche
from outcomes.selectors import OutcomeRow, outcome_rows
from workflows.districts import district_labels

from .sections import Provider, Scope, Table, register

ZERO = Decimal("0")
TENTH = Decimal("0.1")


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``, to one decimal (None when ``whole`` is zero)."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(TENTH, ROUND_HALF_UP)


def growth(this_year: Decimal, last_year: Decimal) -> Decimal | None:
    """Growth on the year before, in per cent to one decimal (None with nothing the year before)."""
    if not last_year:
        return None
    return ((this_year - last_year) * 100 / last_year).quantize(TENTH, ROUND_HALF_UP)


def released_tables(scope: Scope) -> list[Table]:
    """The tranches released, by special project, and the equity holdings with their exits."""
    released = (
        Tranche.objects.filter(
            agreement__application__in=scope.applications, released_at__isnull=False
        )
        .order_by()
        .values("agreement__application__special_project__name")
        .annotate(n=Count("pk"), total=Coalesce(Sum("amount"), ZERO))
        .order_by("agreement__application__special_project__name")
    )
    holdings = EquityHolding.objects.filter(application__in=scope.applications)
    invested = holdings.aggregate(n=Count("pk"), total=Coalesce(Sum("amount"), ZERO))
    exited = holdings.exclude(exit_kind="").aggregate(
        n=Count("pk"), total=Coalesce(Sum("proceeds"), ZERO)
    )
    return [
        Table(
            key="released",
            title=_("已拨付资金（按专项）"),
            headings=(_("专项"), _("拨付笔数"), _("已拨付(元)")),
            rows=[
                (r["agreement__application__special_project__name"], r["n"], r["total"])
                for r in released
            ],
            charted=(2,),
            money=(2,),
        ),
        Table(
            key="equity",
            title=_("股权投资"),
            headings=(_("项目"), _("笔数"), _("金额(元)")),
            rows=[
                (str(_("投资")), invested["n"], invested["total"]),
                (str(_("已退出（收回）")), exited["n"], exited["total"]),
            ],
            charted=(2,),
            money=(2,),
        ),
    ]


def outcome_tables(scope: Scope) -> list[Table]:
    rows = outcome_rows(scope.applications)
    by_year = _by_year(rows)
    years = sorted(by_year)
    revenue = sum((r.sales_revenue for r in rows), ZERO)
    industrial = sum((r.of_which_industrial for r in rows), ZERO)
    latest = growth(by_year[years[-1]], by_year[years[-2]]) if len(years) > 1 else None
    totals: list[tuple[Any, ...]] = [
        (str(_("新增销售收入(元)")), revenue),
        (str(_("其中产业化项目(元)")), industrial),
        (str(_("产业化项目占比(%)")), percent(industrial, revenue)),
        (str(_("比上年同期增长(%)")), latest),
        (str(_("专利申请")), sum(r.patents_filed for r in rows)),
        (str(_("专利授权")), sum(r.patents_granted for r in rows)),
        (str(_("新增就业(人)")), sum(r.jobs for r in rows)),
    ]
    return [
        Table(
            key="outcome_totals",
            title=_("成果与产业化（已确认的进展报告）"),
            headings=(_("指标"), _("数值")),
            rows=totals,
            chart=None,
        ),
        Table(
            key="outcome_years",
            title=_("新增销售收入（按报告期结束年份）"),
            headings=(_("年份"), _("新增销售收入(元)"), _("比上年增长(%)")),
            rows=[
                (str(year), by_year[year], growth(by_year[year], by_year.get(year - 1, ZERO)))
                for year in years
            ],
            charted=(1,),
            money=(1,),
        ),
        Table(
            key="outcome_districts",
            title=_("成果落地（按区、园区）"),
            headings=(_("区、园区"), _("落地项目"), _("落地单位"), _("新增销售收入(元)")),
            rows=_by_district(scope, rows),
            charted=(1, 2),
            money=(3,),
        ),
    ]


def _by_year(rows: list[OutcomeRow]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        totals[r.period_end.year] += r.sales_revenue
    return dict(totals)


def _by_district(scope: Scope, rows: list[OutcomeRow]) -> list[tuple[Any, ...]]:
    organisation_of = dict(
        scope.applications.filter(pk__in={r.application_id for r in rows}).values_list(
            "pk", "organisation_id"
        )
    )
    projects: dict[str, set[int]] = defaultdict(set)
    revenue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        if r.district:
            projects[r.district].add(r.application_id)
            revenue[r.district] += r.sales_revenue
    labels = district_labels()
    return [
        (
            str(labels.get(code, code)),
            len(ids),
            len({organisation_of[pk] for pk in ids}),
            revenue[code],
        )
        for code, ids in sorted(projects.items())
    ]


def register_after_approval_sections() -> None:
    register(Provider("released", _("拨付与股权投资"), 35, released_tables))
    register(Provider("outcomes", _("成果与产业化"), 50, outcome_tables))
