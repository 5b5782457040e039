"""One hash chain per application, a global sequence, checkpoints, and triggers on both engines.

The existing log is kept as it is: every entry keeps its hash (``hash_version`` 1, the single
global chain, whose head row is frozen here) and only learns its position in its application's
chain (``app_seq``, not part of its hash). New entries continue each application's chain from
its last old entry.

Triggers refuse UPDATE and DELETE on every audit and checkpoint table on SQLite and PostgreSQL,
and TRUNCATE on PostgreSQL. The one way past them is the ``flush`` command with the setting
``AUDIT_ALLOW_FLUSH`` on (the test suite empties its database that way); production leaves it
off, and its application role cannot truncate or delete anyway (``setup_audit_roles``).
"""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone

AUDIT_TABLES = [
    "workflows_auditentry",
    "workflows_auditchainhead",
    "workflows_refusedattempt",
    "workflows_auditcheckpoint",
    "workflows_audittreenode",
]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION workflows_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND current_setting('workflows.audit_flush', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (% on % refused)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _postgres_triggers(table):
    return f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION workflows_audit_append_only();
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION workflows_audit_append_only();
"""


def _sqlite_triggers(table):
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
        f"SELECT RAISE(ABORT, 'audit rows are append-only (UPDATE on {table} refused)'); END",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "WHEN NOT workflows_audit_flushing() BEGIN "
        f"SELECT RAISE(ABORT, 'audit rows are append-only (DELETE on {table} refused)'); END",
    ]


def number_chains(apps, schema_editor):
    """Give every existing entry its place in its application's chain (in ``seq`` order)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER IF EXISTS workflows_auditentry_append_only ON workflows_auditentry"
            )
            cursor.execute(
                "UPDATE workflows_auditentry AS e SET app_seq = n.position FROM ("
                " SELECT id, row_number() OVER (PARTITION BY application_id ORDER BY seq)"
                " AS position FROM workflows_auditentry) AS n WHERE e.id = n.id"
            )
        else:
            cursor.execute(
                "UPDATE workflows_auditentry SET app_seq = n.position FROM ("
                " SELECT id, row_number() OVER (PARTITION BY application_id ORDER BY seq)"
                " AS position FROM workflows_auditentry) AS n"
                " WHERE workflows_auditentry.id = n.id"
            )


def install_guards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE SEQUENCE IF NOT EXISTS workflows_auditentry_seq AS bigint MINVALUE 1"
            )
            cursor.execute(
                "SELECT setval('workflows_auditentry_seq', COALESCE(MAX(seq), 0) + 1, false)"
                " FROM workflows_auditentry"
            )
            cursor.execute(POSTGRES_FUNCTION)
            for table in AUDIT_TABLES:
                cursor.execute(_postgres_triggers(table))
        elif connection.vendor == "sqlite":
            for table in AUDIT_TABLES:
                for statement in _sqlite_triggers(table):
                    cursor.execute(statement)


def remove_guards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in AUDIT_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            elif connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        if connection.vendor == "postgresql":
            cursor.execute("DROP SEQUENCE IF EXISTS workflows_auditentry_seq")
            # The entry trigger of 0002, back as it was.
            cursor.execute(
                "CREATE TRIGGER workflows_auditentry_append_only BEFORE UPDATE OR DELETE"
                " ON workflows_auditentry FOR EACH ROW"
                " EXECUTE FUNCTION workflows_audit_append_only()"
            )


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("workflows", "0005_money_at_most_fifteen_digits"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="app_seq",
            field=models.PositiveIntegerField(default=0, verbose_name="本申请序号"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="state_digest",
            field=models.CharField(blank=True, max_length=64, verbose_name="决定字段摘要"),
        ),
        migrations.RunPython(number_chains, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                fields=("application", "app_seq"), name="one_entry_per_chain_position"
            ),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("size", models.PositiveBigIntegerField(unique=True, verbose_name="条目数")),
                ("last_seq", models.PositiveBigIntegerField(verbose_name="最后序号")),
                ("root", models.CharField(max_length=64, verbose_name="树根")),
                ("issued_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="签发时间")),
                ("key_id", models.CharField(max_length=16, verbose_name="密钥标识")),
                ("signature", models.CharField(max_length=128, verbose_name="签名")),
                ("frontier", models.JSONField(default=list)),
            ],
            options={
                "verbose_name": "审计检查点",
                "verbose_name_plural": "审计检查点",
                "ordering": ["size"],
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="AuditTreeNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.PositiveBigIntegerField()),
                ("digest", models.CharField(max_length=64)),
                ("first_seq", models.PositiveBigIntegerField()),
            ],
            options={
                "default_permissions": ("view",),
                "constraints": [
                    models.UniqueConstraint(fields=("level", "index"), name="one_node_per_position")
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "排队中"),
                            ("running", "校验中"),
                            ("done", "已完成"),
                            ("failed", "未能完成"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                ("total", models.PositiveBigIntegerField(default=0)),
                ("checked", models.PositiveBigIntegerField(default=0)),
                ("intact", models.BooleanField(null=True)),
                ("result", models.JSONField(blank=True, default=dict)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "started_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-started_at", "-id"], "default_permissions": ("view",)},
        ),
        migrations.RunPython(install_guards, remove_guards),
    ]
