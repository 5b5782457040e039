"""The production roles on PostgreSQL: the application's role may read and append to the audit
tables, and nothing else — it cannot update, delete, truncate, or drop or disable a trigger."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from backoffice.models import ConfigChange
from tests.factories import FundingApplicationFactory
from workflows.models import AuditEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def as_application_role():
    """The roles set up (inside the test's transaction), then the session acting as the
    application's role."""
    name = connection.settings_dict["NAME"]
    owner, app = f"{name}_audit_owner", f"{name}_app"
    FundingApplicationFactory(state="lead_review")
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while the transaction's deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("setup_audit_roles", owner=owner, app=app)
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app}"')
    yield cursor
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def _refused(sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_the_application_role_cannot_drop_the_append_only_trigger(as_application_role):
    _refused("DROP TRIGGER workflows_auditentry_append_only ON workflows_auditentry")


def test_the_application_role_cannot_disable_the_append_only_trigger(as_application_role):
    _refused("ALTER TABLE workflows_auditentry DISABLE TRIGGER USER")


def test_the_application_role_cannot_replace_the_trigger_function(as_application_role):
    _refused(
        "CREATE OR REPLACE FUNCTION workflows_audit_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql"
    )


def test_the_application_role_cannot_update_an_entry(as_application_role):
    _refused("UPDATE workflows_auditentry SET reason = 'rewritten'")


def test_the_application_role_cannot_truncate_the_entries(as_application_role):
    _refused("TRUNCATE workflows_auditentry CASCADE")


def test_the_application_role_still_reads_and_appends(as_application_role):
    application = FundingApplicationFactory(state="submitted")

    assert AuditEntry.objects.filter(application=application).count() == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE backoffice_configchange SET reason = 'rewritten'",
        "DELETE FROM backoffice_configchange",
        "UPDATE workflows_actinghead SET ends_on = starts_on",
        "DELETE FROM workflows_actingheadending",
    ],
)
def test_the_application_role_cannot_rewrite_the_configuration_log_or_the_acting_heads(
    as_application_role, sql
):
    _refused(sql)


@pytest.mark.parametrize(
    "table", ["backoffice_configchange", "workflows_actinghead", "workflows_actingheadending"]
)
def test_the_application_role_cannot_drop_the_guards_of_the_recorded_tables(
    as_application_role, table
):
    _refused(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def test_the_application_role_still_appends_to_the_configuration_log(as_application_role):
    ConfigChange.objects.create(
        actor_name="admin",
        action="added",
        model="x.y",
        model_name="y",
        object_id="1",
        object_repr="y",
    )

    assert ConfigChange.objects.count() == 1
