"""The seed's figures reproduced: the dashboard's outcome totals, the share from
industrial-application projects, the growth on the year before and the projects and
organisations landed per district equal the sums computed here from the same reports, to the
yuan and to one decimal of a percentage; and the money released in tranches is the sum of the
tranches paid."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.urls import reverse

from awards import disbursement
from awards.models import Tranche
from outcomes import reports
from tests.factories import make_user
from tests.outcomes.conftest import executing, figures

pytestmark = pytest.mark.django_db

# (district, [(sales revenue, of which industrial)] per period): four half-years, two of them
# ending in each of two calendar years.
REPORTED = [
    ("huairou", [("3000000.00", "1000000.00"), ("3500000.00", "1200000.00"),
                 ("4200000.00", "2000000.00"), ("4100000.00", "2100000.00")]),
    ("huairou", [("1000000.00", "0"), ("1100000.00", "0"),
                 ("1500000.00", "500000.00"), ("1450000.50", "700000.25")]),
    ("haidian", [("2000000.00", "2000000.00"), ("2000000.00", "1500000.00"),
                 ("2600000.00", "2600000.00"), ("2700000.00", "1000000.00")]),
]  # fmt: skip


@pytest.fixture
def reported():
    """Three projects in execution for 800 days, each with four accepted reports."""
    done = []
    for district, periods in REPORTED:
        application = executing(days_ago=800, length=1200)
        for index, (revenue, industrial) in enumerate(periods, 1):
            reports.submit_report(
                application_id=application.pk,
                actor=application.people.applicant,
                period_index=index,
                figures=figures(
                    sales_revenue=revenue, of_which_industrial=industrial, district=district
                ),
            )
            reports.review_report(
                application_id=application.pk,
                actor=application.people.lead_officer,
                period_index=index,
                decision="accept",
            )
        done.append(application)
    return done


def _dashboard(user=None):
    client = Client()
    client.force_login(user or make_user("auditor"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return {t.key: t for s in response.context["sections"] for t in s.tables}


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def test_the_outcome_totals_are_the_sums_of_the_accepted_reports(reported):
    revenue = sum(Decimal(r) for _, periods in REPORTED for r, _i in periods)
    industrial = sum(Decimal(i) for _, periods in REPORTED for _r, i in periods)

    totals = dict(_dashboard()["outcome_totals"].rows)

    assert totals["新增销售收入(元)"] == revenue
    assert totals["其中产业化项目(元)"] == industrial
    assert totals["产业化项目占比(%)"] == _percent(industrial, revenue)
    assert totals["新增就业(人)"] == 6 * 12


def test_growth_is_this_years_revenue_against_last_years(reported):
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for report in reports.OutcomeReport.objects.all():
        by_year[report.period_end.year] += report.sales_revenue
    last, this = sorted(by_year)[-2:]

    tables = _dashboard()

    expected = _percent(by_year[this] - by_year[last], by_year[last])
    assert dict(tables["outcome_totals"].rows)["比上年同期增长(%)"] == expected
    assert tables["outcome_years"].rows[-1] == (str(this), by_year[this], expected)


def test_projects_and_organisations_landed_are_counted_per_district(reported):
    rows = {row[0]: row[1:] for row in _dashboard()["outcome_districts"].rows}

    huairou_revenue = sum(
        Decimal(r) for d, periods in REPORTED if d == "huairou" for r, _ in periods
    )
    assert rows["怀柔区"] == (2, 2, huairou_revenue)
    assert rows["海淀区"][:2] == (1, 1)


def test_a_lead_department_sees_only_the_outcomes_of_its_own_special_projects(reported):
    mine = reported[0]
    officer = make_user("lead_officer", department=mine.special_project.lead_department)

    totals = dict(_dashboard(officer)["outcome_totals"].rows)

    assert totals["新增销售收入(元)"] == sum(
        Decimal(r) for r, _ in REPORTED[0][1]
    ) + sum(
        (Decimal(r) for (d, periods), app in zip(REPORTED, reported, strict=True)
         if app != mine and app.special_project.lead_department_id
         == mine.special_project.lead_department_id for r, _ in periods),
        Decimal(0),
    )  # fmt: skip


def test_the_money_released_is_the_sum_of_the_tranches_paid(reported):
    paid = Decimal(0)
    for application in reported[:2]:
        tranche = Tranche.objects.get(agreement__application=application, position=1)
        disbursement.release_tranche(tranche_id=tranche.pk, actor=application.people.lead_officer)
        paid += tranche.amount

    released = _dashboard()["released"].rows

    assert sum(row[2] for row in released) == paid
    assert sum(row[1] for row in released) == 2
