"""The targets each report is checked against: the agreement's when registered, an even share
of the application's expectations otherwise, per period of the configured length."""

import datetime
from decimal import Decimal

import pytest

from outcomes import reports, targets
from outcomes.targets import PeriodTarget, targets_for

from .conftest import figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    """Restores the registry after a test that registers a provider."""
    saved = list(targets._providers)
    yield
    targets._providers[:] = saved


def test_reports_are_half_yearly_by_default(application):
    first = targets_for(application)[0]

    assert first.end == targets.add_months(first.start, 6) - datetime.timedelta(days=1)


def test_the_proposed_reporting_period_follows_the_setting(application, settings):
    settings.OUTCOME_REPORT_MONTHS = 3

    first = targets.default_targets(application)[0]

    assert first.end == targets.add_months(first.start, 3) - datetime.timedelta(days=1)


def test_the_agreements_targets_replace_the_default_ones_once_registered(application, registered):
    start = application.period_start
    targets.register(
        lambda app: [
            PeriodTarget(
                1, start, start + datetime.timedelta(days=30), Decimal("9"), Decimal("0"), 0, 0, 0
            )
        ]
    )

    report = reports.submit_report(
        application_id=application.pk,
        actor=application.people.applicant,
        period_index=1,
        figures=figures(sales_revenue="5.00", of_which_industrial="0"),
    )

    assert report.target["sales_revenue"] == "9"
    assert report.shortfalls == ["sales_revenue"]
