"""The applicant's form, as they edit a request."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import FundingApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_edit_form_shows_the_saved_dates_as_the_date_picker_reads_them(client_of, language):
    returned = FundingApplicationFactory(returned=True, period_start=datetime.date(2026, 3, 5))
    client = client_of(returned.people.applicant, language)

    page = client.get(reverse("application-edit", args=[returned.pk])).content.decode()

    assert 'name="period_start" value="2026-03-05"' in page
