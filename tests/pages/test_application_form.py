"""The applicant's form, as they fill it in and edit a request."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import FundingApplicationFactory, FundingCallFactory, SpecialProjectFactory
from workflows.drafts import EDITABLE_FIELDS
from workflows.forms import ApplicationForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed():
    start = timezone.localdate()
    return {
        "call": FundingCallFactory().pk,
        "special_project": SpecialProjectFactory().pk,
        "national_task_code": "2026ZX02001",
        "title": "新一代宽带无线移动通信网",
        "national_approval_number": "国科发专〔2026〕8号",
        "national_funding": "20000000.00",
        "own_funds": "10000000.00",
        "other_local_funds": "0",
        "requested_amount": "8000000.00",
        "funding_form": "grant",
        "landing_district": "haidian",
        "period_start": start.isoformat(),
        "period_end": (start + datetime.timedelta(days=1000)).isoformat(),
        "expected_sales_revenue": "50000000",
        "expected_patents": "12",
        "expected_jobs": "80",
        "summary": "面向5G终端芯片的研发与产业化。",
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_edit_form_shows_the_saved_dates_as_the_date_picker_reads_them(client_of, language):
    returned = FundingApplicationFactory(returned=True, period_start=datetime.date(2026, 3, 5))
    client = client_of(returned.people.applicant, language)

    page = client.get(reverse("application-edit", args=[returned.pk])).content.decode()

    assert 'name="period_start" value="2026-03-05"' in page


def test_every_field_of_the_form_is_in_one_section():
    sections = [name for _legend, names in ApplicationForm.SECTIONS for name in names]

    assert sorted(sections) == sorted(EDITABLE_FIELDS)


def test_required_fields_are_marked_and_tied_to_their_help(client_of, applicant):
    page = client_of(applicant).get(reverse("application-create")).content.decode()

    assert (
        '<label for="id_title">课题名称 <span class="required" aria-hidden="true">*</span>' in page
    )
    assert 'aria-describedby="id_national_task_code_help"' in page


def test_an_error_is_next_to_its_field_and_summarised_at_the_top(client_of, applicant, typed):
    typed["requested_amount"] = "30000000.00"

    page = client_of(applicant).post(reverse("application-create"), typed).content.decode()

    summary = page.index('class="error-summary"')
    field = page.index('id="id_requested_amount"')
    assert summary < page.index('<a href="#id_', summary) < field
    assert 'aria-invalid="true"' in page


def test_nothing_typed_is_lost_after_an_error(client_of, applicant, typed):
    typed["requested_amount"] = "abc"

    page = client_of(applicant).post(reverse("application-create"), typed).content.decode()

    assert 'value="新一代宽带无线移动通信网"' in page
    assert "面向5G终端芯片的研发与产业化。" in page
    assert f'value="{typed["period_end"]}"' in page
