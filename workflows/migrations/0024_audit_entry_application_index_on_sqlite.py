"""One fewer index written by every audit append on SQLite too.

``workflows.0022`` dropped the index on ``application_id`` alone on PostgreSQL only, saying
SQLite had none; SQLite has it (``workflows_auditentry_application_id_b3b17ef9``). It repeats the
first column of ``one_entry_per_chain_position``, which serves every query by application, and
SQLite drops an index without rebuilding its table. The model's description already has no such
index, so only the database changes."""

from django.db import migrations

INDEX = "workflows_auditentry_application_id_b3b17ef9"


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON workflows_auditentry (application_id)",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0023_open_tasks_after_the_row_lock")]

    operations = [migrations.RunPython(drop_index, create_index)]
