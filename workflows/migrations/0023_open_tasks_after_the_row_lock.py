"""PostgreSQL: a function that reads an application's open flow tasks, with their process, for
the statement that locks the application's row (``transitions.locked_application``), for the
reason ``workflows.0020`` gives for the chain: called above the row lock, a VOLATILE function's
query sees what was committed while the statement waited for the lock. Each task comes as its
columns by name (``row_to_json``), so that a column viewflow adds later is simply not read."""

from django.db import migrations

POSTGRES_UP = """
CREATE FUNCTION workflows_open_tasks_after_lock(process bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (
        SELECT coalesce(
            json_agg(json_build_object('t', row_to_json(t), 'p', row_to_json(p))),
            '[]'
        )::text
        FROM viewflow_task AS t JOIN viewflow_process AS p ON p.id = t.process_id
        WHERE t.process_id = process AND t.status IN ('NEW', 'ASSIGNED', 'STARTED')
    );
END
$$;
"""
POSTGRES_DOWN = "DROP FUNCTION IF EXISTS workflows_open_tasks_after_lock(bigint);"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0022_audit_entry_indexes"), ("viewflow", "0001_initial")]

    operations = [migrations.RunPython(create_function, drop_function)]
