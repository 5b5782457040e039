"""The audit chain's head row, and database triggers that refuse changes to audit entries."""

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
CREATE TRIGGER workflows_auditentry_no_truncate
    BEFORE TRUNCATE ON workflows_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION workflows_audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS workflows_auditentry_no_truncate ON workflows_auditentry;
DROP TRIGGER IF EXISTS workflows_auditentry_append_only ON workflows_auditentry;
DROP FUNCTION IF EXISTS workflows_audit_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER workflows_auditentry_no_update BEFORE UPDATE ON workflows_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER workflows_auditentry_no_delete BEFORE DELETE ON workflows_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (DELETE refused)'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS workflows_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS workflows_auditentry_no_delete;",
]


def create_head(apps, schema_editor):
    apps.get_model("workflows", "AuditChainHead").objects.get_or_create(
        pk=1, defaults={"length": 0, "last_hash": GENESIS}
    )


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def remove_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
