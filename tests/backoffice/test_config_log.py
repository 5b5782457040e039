from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from backoffice.models import ChangeAction, ConfigChange
from tests.backoffice.admin_forms import form_data
from tests.factories import DepartmentFactory, FundingCallFactory, make_user
from workflows.models import AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    user = make_user("administrator")
    client.force_login(user)
    return user


def _change_of(obj) -> ConfigChange:
    return ConfigChange.objects.get(model=obj._meta.label_lower, object_id=str(obj.pk))


def test_changing_a_call_records_who_changed_it_and_its_budget_before_and_after(
    client, administrator
):
    call = FundingCallFactory(total_budget="100000000.00")
    url = reverse("admin:workflows_fundingcall_change", args=[call.pk])
    data = form_data(client, url)
    data["total_budget"] = "120000000.00"

    response = client.post(url, data)

    assert response.status_code == 302
    change = _change_of(call)
    assert (change.actor_name, change.action) == (administrator.username, ChangeAction.CHANGED)
    assert ("total_budget", "100000000.00", "120000000.00") in change.changed_fields


def test_saving_a_department_unchanged_records_nothing(client, administrator):
    department = DepartmentFactory()
    url = reverse("admin:workflows_department_change", args=[department.pk])

    client.post(url, form_data(client, url))

    assert not ConfigChange.objects.exists()


def test_adding_a_department_records_its_values(client, administrator):
    client.post(
        reverse("admin:workflows_department_add"),
        {"code": "sjxxb", "name": "市经济和信息化局", "name_en": ""},
    )

    change = ConfigChange.objects.get()
    assert change.action == ChangeAction.ADDED
    assert change.before is None
    assert change.after["name"] == "市经济和信息化局"


def test_deleting_a_department_records_what_it_was(client, administrator):
    department = DepartmentFactory(name="市发展改革委")

    client.post(reverse("admin:workflows_department_delete", args=[department.pk]), {"post": "yes"})

    change = ConfigChange.objects.get()
    assert change.action == ChangeAction.DELETED
    assert change.before["name"] == "市发展改革委"
    assert change.after is None


def test_a_configuration_change_cannot_be_edited_through_the_orm(client, administrator):
    client.post(
        reverse("admin:workflows_department_add"), {"code": "kw", "name": "市科委", "name_en": ""}
    )
    change = ConfigChange.objects.get()
    change.reason = "改过"

    with pytest.raises(AppendOnlyError):
        change.save()


def test_the_database_refuses_to_delete_a_configuration_change(client, administrator):
    client.post(
        reverse("admin:workflows_department_add"), {"code": "kw", "name": "市科委", "name_en": ""}
    )

    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM backoffice_configchange")


def test_the_database_refuses_to_update_a_configuration_change(client, administrator):
    client.post(
        reverse("admin:workflows_department_add"), {"code": "kw", "name": "市科委", "name_en": ""}
    )

    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE backoffice_configchange SET actor_name = 'someone'")


def test_an_auditor_reads_the_configuration_log_with_the_values_before_and_after(
    client, administrator
):
    call = FundingCallFactory(experts_required=3)
    url = reverse("admin:workflows_fundingcall_change", args=[call.pk])
    client.post(url, {**form_data(client, url), "experts_required": "5"})
    client.force_login(make_user("auditor"))

    response = client.get(reverse("config-log"))

    assert response.status_code == 200
    assert "experts_required" in response.content.decode()
    assert "3 → 5" in response.content.decode()


def test_a_lead_officer_may_not_read_the_configuration_log(client):
    client.force_login(make_user("lead_officer", department=DepartmentFactory()))

    assert client.get(reverse("config-log")).status_code == 403


def test_the_configuration_log_filters_by_person(client, administrator):
    client.post(
        reverse("admin:workflows_department_add"), {"code": "kw", "name": "市科委", "name_en": ""}
    )

    response = client.get(reverse("config-log"), {"person": "somebody-else"})

    assert list(response.context["page"]) == []
