"""PostgreSQL: a function that reads an application's audit chain, for the statement that locks
the application's row (``transitions.locked_application``). Called above the row lock, a
VOLATILE function's query takes its own snapshot, after the lock was granted, so it sees every
entry committed before; a subquery of the statement would see the chain as it was before the
statement waited for the lock. PL/pgSQL, so that the planner never inlines it."""

from django.db import migrations

POSTGRES_UP = """
CREATE FUNCTION workflows_chain_after_lock(application bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN (
        SELECT coalesce(
            json_agg(json_build_array(app_seq, entry_hash, actor_id, transition, tier)),
            '[]'
        )::text
        FROM workflows_auditentry WHERE application_id = application
    );
END
$$;
"""
POSTGRES_DOWN = "DROP FUNCTION IF EXISTS workflows_chain_after_lock(bigint);"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0019_application_furthest_tier_and_times")]

    operations = [migrations.RunPython(create_function, drop_function)]
