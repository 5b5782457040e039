"""The dashboard's charts in a real browser (Debian's headless Chromium against the live
server): ECharts, served from the site's own static files, draws each figure with the same
numbers as the table beside it. Run by ``make test-browser`` and ``.ci/run``."""

from __future__ import annotations

import pytest

from tests.factories import FundingApplicationFactory, make_user
from tests.test_browser import Person, browser  # noqa: F401 -- the browser fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboards_charts_render_with_their_numbers(browser, live_server):  # noqa: F811
    for _ in range(3):
        FundingApplicationFactory(state="lead_review")
    FundingApplicationFactory(state="submitted")
    auditor = make_user("auditor")

    with Person(browser, live_server, auditor) as person:
        person.open("/dashboard/")
        chart = person.element("//div[@data-chart='by_status']//*[local-name()='svg']")
        labels = person.driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('text')).map(t => t.textContent)",
            chart,
        )
        table = person.element("//figure[@id='figure-by_status']//table").text

    assert "牵头部门审查中" in labels
    assert "3" in labels and "1" in labels
    assert "牵头部门审查中 牵头部门 3" in table
