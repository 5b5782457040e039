"""On PostgreSQL, a trigger that refuses to change or delete a policy version once a decision
has used it (``used_at`` set). Row-level only, so the test runner's TRUNCATE still empties the
table. On SQLite the model and its queryset refuse (as for the audit trail)."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION approvals_policy_version_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'policy version % was used by a decision: load a new version instead (% refused)',
        OLD.version, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER approvals_policy_version_frozen
    BEFORE UPDATE OR DELETE ON approvals_matchingpolicyversion
    FOR EACH ROW WHEN (OLD.used_at IS NOT NULL)
    EXECUTE FUNCTION approvals_policy_version_frozen();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS approvals_policy_version_frozen ON approvals_matchingpolicyversion;
DROP FUNCTION IF EXISTS approvals_policy_version_frozen();
"""


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_matching_policy")]

    operations = [migrations.RunPython(install_trigger, remove_trigger)]
