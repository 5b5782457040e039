from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, FundingApplicationFactory, make_user
from workflows import acting, permissions
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import AppendOnlyError, Tier
from workflows.notifications import tier_heads

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def application():
    return FundingApplicationFactory(at_lead_review=True)


@pytest.fixture
def department(application):
    return application.special_project.lead_department


@pytest.fixture
def head(department):
    user = make_user("lead_officer", department=department)
    user.profile.is_head = True
    user.profile.save(update_fields=["is_head"])
    return user


def _officer(department):
    return make_user("lead_officer", department=department)


def test_an_acting_head_receives_the_tiers_escalations_during_the_period(
    application, department, head
):
    deputy = _officer(department)

    acting.name_acting_head(actor=head, acting_id=deputy.pk, starts_on=TODAY, ends_on=NEXT_WEEK)

    assert deputy in tier_heads(application, Tier.LEAD)


def test_an_acting_head_no_longer_receives_escalations_after_the_period(
    application, department, head
):
    deputy = _officer(department)
    acting.name_acting_head(
        actor=head,
        acting_id=deputy.pk,
        starts_on=TODAY + datetime.timedelta(days=1),
        ends_on=NEXT_WEEK,
    )

    assert deputy not in tier_heads(application, Tier.LEAD)


def test_an_acting_head_takes_the_heads_own_actions_during_the_period(
    application, department, head
):
    deputy = _officer(department)
    acting.name_acting_head(actor=head, acting_id=deputy.pk, starts_on=TODAY, ends_on=NEXT_WEEK)

    assert permissions.is_tier_head(deputy, Tier.LEAD, application)


def test_an_officer_who_is_not_acting_does_not_take_the_heads_actions(application, department):
    assert not permissions.is_tier_head(_officer(department), Tier.LEAD, application)


def test_an_officer_who_is_no_head_cannot_name_an_acting_head(department):
    with pytest.raises(NotAllowed):
        acting.name_acting_head(
            actor=_officer(department),
            acting_id=_officer(department).pk,
            starts_on=TODAY,
            ends_on=NEXT_WEEK,
        )


def test_an_officer_of_another_department_cannot_act_for_the_head(head):
    elsewhere = make_user("lead_officer", department=DepartmentFactory())

    with pytest.raises(InvalidInput):
        acting.name_acting_head(
            actor=head, acting_id=elsewhere.pk, starts_on=TODAY, ends_on=NEXT_WEEK
        )


def test_a_period_that_ends_before_it_starts_is_refused(department, head):
    with pytest.raises(InvalidInput):
        acting.name_acting_head(
            actor=head, acting_id=_officer(department).pk, starts_on=NEXT_WEEK, ends_on=TODAY
        )


def test_a_naming_is_kept_as_it_was_recorded(department, head):
    named = acting.name_acting_head(
        actor=head, acting_id=_officer(department).pk, starts_on=TODAY, ends_on=NEXT_WEEK
    )
    named.ends_on = TODAY

    with pytest.raises(AppendOnlyError):
        named.save()


def test_a_head_names_an_acting_head_from_the_page(client, department, head):
    deputy = _officer(department)
    client.force_login(head)

    response = client.post(
        reverse("acting-heads"),
        {"acting": deputy.pk, "starts_on": TODAY.isoformat(), "ends_on": NEXT_WEEK.isoformat()},
    )

    assert response.status_code == 302
    assert acting.heads_stood_in_for(deputy) == [head]


def test_an_officer_who_is_no_head_is_refused_the_page(client, department):
    client.force_login(_officer(department))

    assert client.get(reverse("acting-heads")).status_code == 403
