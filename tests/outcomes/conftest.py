import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.reports import ReportFigures
from tests.factories import FundingApplicationFactory, in_execution


def executing(*, days_ago: int = 400, length: int = 1000, **fields):
    """A request in execution whose implementation period began ``days_ago`` days ago (two
    half-yearly periods are over after 400 days), expecting 12 million yuan of new sales
    revenue, 10 patents and 20 jobs over its period."""
    start = timezone.localdate() - datetime.timedelta(days=days_ago)
    return in_execution(
        FundingApplicationFactory(
            state="approved",
            period_start=start,
            period_end=start + datetime.timedelta(days=length),
            expected_sales_revenue=Decimal("12000000.00"),
            expected_patents=10,
            expected_jobs=20,
            **fields,
        )
    )


@pytest.fixture
def application(db):
    return executing()


def figures(**changes) -> ReportFigures:
    """Figures above every default target of a six-month period of ``executing``."""
    values = {
        "sales_revenue": "3000000.00",
        "of_which_industrial": "1000000.00",
        "patents_filed": 3,
        "patents_granted": 1,
        "jobs": 6,
        "district": "huairou",
        "industrialised_in_beijing": True,
        "narrative": "样机完成，开始小批量生产。",
    }
    values.update(changes)
    return ReportFigures(**values)
