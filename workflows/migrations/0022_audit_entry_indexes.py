"""Two fewer indexes written by every audit append on PostgreSQL.

The index on ``application_id`` alone repeats the first column of ``one_entry_per_chain_position``,
and ``unique=True`` on ``entry_hash`` had PostgreSQL keep a second index on it for LIKE, which
nothing asks. The uniqueness of ``entry_hash`` stays, as the constraint ``one_entry_per_hash``
(the same index, renamed: nothing is rebuilt). SQLite has no LIKE index, and its index on
``application_id`` goes in ``workflows.0024``: here only the model's description changes.
"""

from django.db import migrations, models

TABLE = "workflows_auditentry"
UP = [
    f"DROP INDEX IF EXISTS {TABLE}_application_id_b3b17ef9",
    f"DROP INDEX IF EXISTS {TABLE}_entry_hash_a30b36dc_like",
    f"ALTER TABLE {TABLE} RENAME CONSTRAINT {TABLE}_entry_hash_key TO one_entry_per_hash",
]
DOWN = [
    f"ALTER TABLE {TABLE} RENAME CONSTRAINT one_entry_per_hash TO {TABLE}_entry_hash_key",
    f"CREATE INDEX {TABLE}_application_id_b3b17ef9 ON {TABLE} (application_id)",
    f"CREATE INDEX {TABLE}_entry_hash_a30b36dc_like ON {TABLE} (entry_hash varchar_pattern_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("workflows", "0021_queue_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="application",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="audit_entries",
                        to="workflows.fundingapplication",
                        verbose_name="申请",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="entry_hash",
                    field=models.CharField(max_length=64, verbose_name="本条哈希"),
                ),
                migrations.AddConstraint(
                    model_name="auditentry",
                    constraint=models.UniqueConstraint(
                        fields=("entry_hash",), name="one_entry_per_hash"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(UP), _run(DOWN))],
        )
    ]
