"""The audit chain's head row, and (on PostgreSQL) a trigger that refuses changes to audit entries.

Row-level only: TRUNCATE is how the test runner empties tables between tests, and removing
every entry is caught by the verifier through the chain head anyway. On SQLite the model and
its queryset refuse updates and deletes.
"""

from django.db import migrations

GENESIS = "0" * 64

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION workflows_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflows_auditentry_append_only
    BEFORE UPDATE OR DELETE ON workflows_auditentry
    FOR EACH ROW EXECUTE FUNCTION workflows_audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS workflows_auditentry_append_only ON workflows_auditentry;
DROP FUNCTION IF EXISTS workflows_audit_append_only();
"""
def create_head(apps, schema_editor):
    apps.get_model("workflows", "AuditChainHead").objects.get_or_create(
        pk=1, defaults={"length": 0, "last_hash": GENESIS}
    )


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
