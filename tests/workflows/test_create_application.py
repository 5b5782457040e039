"""Starting a request: the data rules, the one-open-request rule, and who may start one."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import (
    DepartmentFactory,
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    SpecialProjectFactory,
    UserFactory,
    make_user,
)
from workflows import drafts
from workflows.credit_code import validate_credit_code
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import FundingApplication, Organisation

pytestmark = pytest.mark.django_db

VALID_CREDIT_CODE = "91350100M000100Y43"


@pytest.fixture
def applicant():
    return make_user("applicant", organisation=OrganisationFactory())


@pytest.fixture
def data():
    start = timezone.localdate()
    return {
        "call": FundingCallFactory(),
        "special_project": SpecialProjectFactory(),
        "national_task_code": "2026ZX01001001",
        "title": "极大规模集成电路制造装备及成套工艺",
        "national_funding": Decimal("20000000.00"),
        "own_funds": Decimal("10000000.00"),
        "requested_amount": Decimal("8000000.00"),
        "landing_district": "haidian",
        "period_start": start,
        "period_end": start + datetime.timedelta(days=3 * 365),
    }


def _refused(applicant, data, error=InvalidInput):
    before = FundingApplication.objects.count()
    with pytest.raises(error) as refusal:
        drafts.create_application(actor=applicant, data=data)
    assert FundingApplication.objects.count() == before
    return refusal.value


def test_an_applicant_creates_a_draft_for_their_own_organisation(applicant, data):
    application = drafts.create_application(actor=applicant, data=data)

    assert application.status == "draft"
    assert application.organisation == applicant.profile.organisation
    assert application.created_by == applicant
    assert application.revision == 1


def test_creating_a_draft_writes_no_audit_entry_and_starts_no_review(applicant, data):
    application = drafts.create_application(actor=applicant, data=data)

    assert not application.audit_entries.exists()
    assert application.review_process_id is None


@pytest.mark.parametrize(
    "field",
    [
        "national_funding",
        "own_funds",
        "other_local_funds",
        "requested_amount",
        "expected_sales_revenue",
    ],
)
def test_a_negative_amount_is_refused(applicant, data, field):
    data[field] = Decimal("-1.00")

    _refused(applicant, data)


def test_a_requested_amount_of_zero_is_refused(applicant, data):
    data["requested_amount"] = Decimal("0")

    _refused(applicant, data)


def test_a_requested_amount_above_the_national_funding_is_refused(applicant, data):
    data["requested_amount"] = data["national_funding"] + Decimal("0.01")

    refusal = _refused(applicant, data)

    assert "中央财政资金" in str(refusal.message)


def test_a_requested_amount_equal_to_the_national_funding_is_accepted(applicant, data):
    data["requested_amount"] = data["national_funding"]

    application = drafts.create_application(actor=applicant, data=data)

    assert application.requested_amount == data["national_funding"]


def test_a_period_that_ends_before_it_starts_is_refused(applicant, data):
    data["period_end"] = data["period_start"] - datetime.timedelta(days=1)

    _refused(applicant, data)


def test_a_period_that_ends_the_day_it_starts_is_refused(applicant, data):
    data["period_end"] = data["period_start"]

    _refused(applicant, data)


def test_a_period_longer_than_72_months_is_refused(applicant, data):
    start = datetime.date(timezone.localdate().year, 1, 1)
    data["period_start"], data["period_end"] = start, start.replace(year=start.year + 6, month=2)

    refusal = _refused(applicant, data)

    assert "72" in str(refusal.message)


def test_a_period_of_exactly_72_months_is_accepted(applicant, data):
    start = datetime.date(timezone.localdate().year, 1, 1)
    data["period_start"], data["period_end"] = start, start.replace(year=start.year + 6)

    application = drafts.create_application(actor=applicant, data=data)

    assert application.period_end == start.replace(year=start.year + 6)


def test_a_field_the_applicant_may_not_set_is_refused(applicant, data):
    data["status"] = "approved"

    _refused(applicant, data)


@pytest.mark.parametrize(
    "role", ["lead_officer", "group_member", "meeting_secretary", "auditor", "administrator"]
)
def test_only_an_applicant_may_create_a_request(data, role):
    user = make_user(role, department=DepartmentFactory() if role == "lead_officer" else None)

    _refused(user, data, error=NotAllowed)


def test_a_user_without_profile_may_not_create_a_request(data):
    _refused(UserFactory(), data, error=NotAllowed)


# --- one open request per national task per call ---------------------------------------------


def test_a_second_open_request_for_the_same_national_task_in_the_same_call_is_refused(data):
    first = FundingApplicationFactory(state="submitted")
    data.update(call=first.call, national_task_code=first.national_task_code)

    _refused(first.people.applicant, data)


def test_a_second_draft_for_the_same_national_task_in_the_same_call_is_refused(applicant, data):
    drafts.create_application(actor=applicant, data=dict(data))

    _refused(applicant, data)


def test_another_organisation_cannot_take_a_national_task_already_requested(data):
    first = FundingApplicationFactory(state="lead_review")
    data.update(call=first.call, national_task_code=first.national_task_code)
    other = make_user("applicant", organisation=OrganisationFactory())

    _refused(other, data)


@pytest.mark.parametrize("state", ["rejected_by_lead", "withdrawn"])
def test_a_rejected_or_withdrawn_request_frees_the_national_tasks_place(data, state):
    first = FundingApplicationFactory(state=state)
    data.update(call=first.call, national_task_code=first.national_task_code)

    second = drafts.create_application(actor=first.people.applicant, data=data)

    assert second.pk != first.pk


@pytest.mark.parametrize("state", ["approved", "returned_by_lead", "deferred"])
def test_an_approved_returned_or_deferred_request_keeps_its_place(data, state):
    first = FundingApplicationFactory(state=state)
    data.update(call=first.call, national_task_code=first.national_task_code)

    _refused(first.people.applicant, data)


def test_the_same_national_task_may_be_requested_in_another_call(data):
    first = FundingApplicationFactory(state="submitted")
    data.update(national_task_code=first.national_task_code)

    second = drafts.create_application(actor=first.people.applicant, data=data)

    assert second.call != first.call


# --- the unified social credit code ----------------------------------------------------------


def test_a_valid_credit_code_is_accepted():
    validate_credit_code(VALID_CREDIT_CODE)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y433",  # 19 characters
        "91350100M000100I43",  # I is not in the alphabet
        "",
    ],
    ids=["check_character", "too_short", "too_long", "letter_outside_the_alphabet", "empty"],
)
def test_an_invalid_credit_code_is_refused(code):
    with pytest.raises(ValidationError):
        validate_credit_code(code)


def test_an_organisation_with_an_invalid_credit_code_fails_validation_and_is_not_stored():
    organisation = Organisation(
        name="某某科技有限公司",
        kind="enterprise",
        district_id="haidian",
        credit_code="91350100M000100Y44",
    )

    with pytest.raises(ValidationError) as refusal:
        organisation.full_clean()

    assert "credit_code" in refusal.value.message_dict
    assert not Organisation.objects.filter(name="某某科技有限公司").exists()


def test_an_organisation_with_a_valid_credit_code_passes_validation():
    organisation = Organisation(
        name="某某科技有限公司",
        kind="enterprise",
        district_id="haidian",
        credit_code=VALID_CREDIT_CODE,
    )

    organisation.full_clean()
    organisation.save()

    assert Organisation.objects.get(credit_code=VALID_CREDIT_CODE) == organisation


def test_an_unknown_landing_district_is_refused_with_the_message_django_gives(applicant, data):
    data["landing_district"] = "atlantis"
    field = FundingApplication._meta.get_field("landing_district")
    with pytest.raises(ValidationError) as django_refusal:
        field.validate("atlantis", FundingApplication())

    refusal = _refused(applicant, data)

    assert str(refusal.message) == f"{field.verbose_name}：{django_refusal.value.messages[0]}"
