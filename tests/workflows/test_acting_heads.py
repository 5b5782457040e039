from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, FundingApplicationFactory, make_user
from workflows import acting, permissions
from workflows.errors import InvalidInput, NotAllowed, TransitionConflict
from workflows.models import ActingHead, AppendOnlyError, Tier
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


# --- ending a period early, and the database keeping every naming ---------------------------


def _named(head, department, **period):
    return acting.name_acting_head(
        actor=head,
        acting_id=_officer(department).pk,
        starts_on=period.get("starts_on", TODAY),
        ends_on=period.get("ends_on", NEXT_WEEK),
    )


def test_a_head_who_ends_the_period_takes_the_escalations_back(application, department, head):
    named = _named(head, department)

    acting.end_acting_head(actor=head, appointment_id=named.pk)

    assert named.acting not in tier_heads(application, Tier.LEAD)


def test_an_ended_period_no_longer_gives_the_heads_actions(application, department, head):
    named = _named(head, department)

    acting.end_acting_head(actor=head, appointment_id=named.pk)

    assert not permissions.is_tier_head(named.acting, Tier.LEAD, application)


def test_ending_a_period_keeps_its_naming_as_recorded(department, head):
    named = _named(head, department)

    acting.end_acting_head(actor=head, appointment_id=named.pk)

    assert ActingHead.objects.get(pk=named.pk).ends_on == NEXT_WEEK


def test_a_period_cannot_be_ended_twice(department, head):
    named = _named(head, department)
    acting.end_acting_head(actor=head, appointment_id=named.pk)

    with pytest.raises(TransitionConflict):
        acting.end_acting_head(actor=head, appointment_id=named.pk)


def test_only_the_head_who_named_the_acting_person_ends_the_period(department, head):
    named = _named(head, department)

    with pytest.raises(NotAllowed):
        acting.end_acting_head(actor=named.acting, appointment_id=named.pk)


def test_a_head_ends_a_period_from_the_page(client, department, head):
    named = _named(head, department)
    client.force_login(head)

    response = client.post(reverse("acting-head-end", args=[named.pk]))

    assert response.status_code == 302
    assert acting.heads_stood_in_for(named.acting) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE workflows_actinghead SET ends_on = starts_on",
        "UPDATE workflows_actinghead SET acting_id = head_id",
        "DELETE FROM workflows_actinghead",
    ],
)
def test_the_database_refuses_to_rewrite_or_delete_a_naming(department, head, statement):
    _named(head, department)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert ActingHead.objects.get().ends_on == NEXT_WEEK


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE workflows_actingheadending SET ended_on = NULL",
        "DELETE FROM workflows_actingheadending",
    ],
)
def test_the_database_refuses_to_undo_an_ending(department, head, statement):
    named = _named(head, department)
    acting.end_acting_head(actor=head, appointment_id=named.pk)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert acting.heads_stood_in_for(named.acting) == []


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["workflows_actinghead", "workflows_actingheadending"])
def test_postgresql_refuses_to_truncate_the_acting_heads_records(department, head, table):
    _named(head, department)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")

    assert ActingHead.objects.exists()
