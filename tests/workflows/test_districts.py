from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from approvals.assessment import facts_for
from tests.factories import (
    FundingApplicationFactory,
    FundingCallFactory,
    OrganisationFactory,
    SpecialProjectFactory,
)
from workflows import submission
from workflows.errors import InvalidInput
from workflows.forms import ApplicationForm
from workflows.models import District, DistrictKind

pytestmark = pytest.mark.django_db


def test_a_code_stored_before_districts_were_data_still_names_its_district():
    organisation = OrganisationFactory(district_id="haidian")

    assert (str(organisation.district), organisation.registered_in_beijing) == ("海淀区", True)


def test_an_applicant_may_choose_the_economic_technological_development_area():
    choices = dict(ApplicationForm().fields["landing_district"].choices)

    assert "bda" in choices


def test_an_applicant_may_choose_a_park():
    choices = dict(ApplicationForm().fields["landing_district"].choices)

    assert "zgc_science_city" in choices


def test_a_district_no_longer_offered_is_not_among_the_choices():
    District.objects.filter(code="miyun").update(active=False)

    assert "miyun" not in dict(ApplicationForm().fields["landing_district"].choices)


def _in(district_code: str):
    project = SpecialProjectFactory(code="ZX01")
    call = FundingCallFactory()
    call.special_projects.add(project)
    return FundingApplicationFactory(
        call=call, special_project=project, organisation__district_id=district_code
    )


def test_an_organisation_in_a_park_counts_as_the_parks_district_for_the_policy():
    application = _in("zgc_science_city")

    assert facts_for(application).district == "海淀区"


def test_an_organisation_in_the_development_area_counts_as_the_area_for_the_policy():
    application = _in("bda")

    assert facts_for(application).district == "北京经济技术开发区"


def test_a_park_added_by_an_administrator_must_say_which_district_it_counts_as():
    park = District(code="new_park", name="新园区", kind=DistrictKind.PARK)

    with pytest.raises(ValidationError) as refused:
        park.full_clean()

    assert "counted_as" in refused.value.message_dict


def test_a_draft_landing_in_a_district_no_longer_offered_cannot_be_submitted():
    application = FundingApplicationFactory(landing_district="miyun")
    District.objects.filter(code="miyun").update(active=False)

    with pytest.raises(InvalidInput) as refusal:
        submission.submit_application(application_id=application.pk, actor=application.created_by)

    assert "miyun" in str(refusal.value.message)
