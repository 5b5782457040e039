"""Amounts are exact on SQLite and PostgreSQL: at most 15 digits, and the forms say so."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone

from approvals import meetings
from approvals.forms import RecommendationForm, ResolutionsForm
from tests.factories import FundingApplicationFactory
from workflows import drafts
from workflows.errors import InvalidInput
from workflows.forms import ApplicationForm
from workflows.models import FundingApplication
from workflows.money import LIMIT_HELP, MAX_AMOUNT, TOO_LARGE

pytestmark = pytest.mark.django_db

MONEY_FIELDS = (
    "national_funding",
    "own_funds",
    "other_local_funds",
    "requested_amount",
    "expected_sales_revenue",
)


def test_no_decimal_column_of_ours_holds_more_digits_than_sqlite_keeps_exactly():
    too_wide = [
        f"{model._meta.label}.{field.name}"
        for app in ("workflows", "approvals", "documents")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField) and field.max_digits > 15
    ]

    assert too_wide == []


def test_the_largest_amount_allowed_reads_back_exactly():
    application = FundingApplicationFactory(
        national_funding=MAX_AMOUNT, requested_amount=MAX_AMOUNT
    )

    stored = FundingApplication.objects.get(pk=application.pk)

    assert stored.requested_amount == Decimal("9999999999999.99")


def test_an_amount_with_fifteen_significant_digits_reads_back_exactly():
    application = FundingApplicationFactory(national_funding=Decimal("1234567890123.45"))

    assert FundingApplication.objects.get(pk=application.pk).national_funding == Decimal(
        "1234567890123.45"
    )


def test_a_sixteen_digit_amount_is_refused_next_to_its_field_and_nothing_is_stored(client):
    application = FundingApplicationFactory()
    client.force_login(application.people.applicant)
    form = ApplicationForm(instance=application)
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["industrialised_in_beijing"] = "on"
    data["requested_amount"] = "99999999999999.99"

    response = client.post(reverse("application-edit", args=[application.pk]), data)

    assert response.status_code == 200
    assert "9,999,999,999,999.99" in response.content.decode()
    assert FundingApplication.objects.get(pk=application.pk).requested_amount == Decimal(
        "8000000.00"
    )


def test_the_service_refuses_a_sixteen_digit_amount():
    application = FundingApplicationFactory()

    with pytest.raises(InvalidInput):
        drafts.update_application(
            application_id=application.pk,
            actor=application.people.applicant,
            data={"requested_amount": Decimal("12345678901234.56")},
        )


def test_the_applicants_pages_open_with_the_largest_amount(client):
    application = FundingApplicationFactory(
        national_funding=MAX_AMOUNT, requested_amount=MAX_AMOUNT
    )
    client.force_login(application.people.applicant)

    pages = [
        client.get(reverse("home")),
        client.get(reverse("application-detail", args=[application.pk])),
        client.get(reverse("application-edit", args=[application.pk])),
    ]

    assert [p.status_code for p in pages] == [200, 200, 200]


def test_every_money_field_of_every_form_states_the_limit():
    application = FundingApplicationFactory(state="meeting_review")
    from approvals.models import AgendaItem, Meeting

    meeting = Meeting(call=application.call)
    item = AgendaItem(meeting=meeting, application=application, position=1, requested_amount=1)
    fields = [
        *(ApplicationForm().fields[name] for name in MONEY_FIELDS),
        RecommendationForm().fields["amount"],
        ResolutionsForm(items=[item]).fields[f"amount_{application.pk}"],
    ]

    assert all(str(f.help_text).endswith(str(LIMIT_HELP)) for f in fields)


def test_a_decision_with_a_sixteen_digit_amount_is_refused_with_the_limit(client):
    application = FundingApplicationFactory(state="meeting_review")
    secretary = application.people.secretary
    meeting = meetings.create_meeting(
        actor=secretary,
        call_id=application.call_id,
        held_on=timezone.localdate(),
        place="会议室",
        chair="主持人",
    )
    meetings.build_agenda(meeting_id=meeting.pk, actor=secretary, application_ids=[application.pk])
    client.force_login(secretary)

    response = client.post(
        reverse("approvals:meeting", args=[meeting.pk]),
        {
            f"decision_{application.pk}": "approve",
            f"amount_{application.pk}": "99999999999999.99",
            f"reason_{application.pk}": "",
            "confirm": "on",
        },
    )

    assert response.status_code == 200
    assert str(TOO_LARGE) in response.content.decode()
    assert FundingApplication.objects.get(pk=application.pk).status == "meeting_review"
