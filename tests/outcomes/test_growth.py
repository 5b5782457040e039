"""Growth on the same period a year earlier is computed from the earlier report, never typed."""

from decimal import Decimal

import pytest

from outcomes import reports
from outcomes.measures import growth

from .conftest import executing, figures

pytestmark = pytest.mark.django_db


def submit(application, index, revenue, industrial="0"):
    return reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=index,
        figures=figures(sales_revenue=revenue, of_which_industrial=industrial),
    )


@pytest.fixture
def three_years_in():
    return executing(days_ago=800, length=1200)


def test_growth_is_computed_from_the_report_of_the_same_period_a_year_earlier(three_years_in):
    submit(three_years_in, 1, "1000000.00", "500000.00")
    submit(three_years_in, 2, "5000000.00")
    later = submit(three_years_in, 3, "1204000.00", "600000.00")

    assert growth(later).sales_revenue == Decimal("20.4")
    assert growth(later).of_which_industrial == Decimal("20.0")


def test_there_is_no_growth_without_a_report_a_year_earlier(three_years_in):
    assert growth(submit(three_years_in, 3, "1000000.00")).sales_revenue is None


def test_there_is_no_growth_from_nothing(three_years_in):
    submit(three_years_in, 1, "0.00")

    assert growth(submit(three_years_in, 3, "1000000.00")).sales_revenue is None


def test_a_fall_is_a_negative_growth(three_years_in):
    submit(three_years_in, 1, "1000000.00")

    assert growth(submit(three_years_in, 3, "750000.00")).sales_revenue == Decimal("-25.0")
