"""PostgreSQL: a function that reads a meeting's agenda and its call's approved total, for the
statement that locks the meeting and its call (``meetings.record_resolutions``). Called above
the row locks, a VOLATILE function's query takes its own snapshot, after the locks were
granted, so it sees what another meeting of the call committed meanwhile; a subquery of the
statement would see the budget as it was before the statement waited (``workflows.0020``).
PL/pgSQL, so that the planner never inlines it."""

from django.db import migrations

POSTGRES_UP = """
CREATE FUNCTION approvals_agenda_after_lock(meeting bigint, call bigint, awarded text[])
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN json_build_array(
        (
            SELECT coalesce(json_agg(json_build_array(
                i.id, i.application_id, i.position, i.weighted_score::text,
                i.requested_amount::text, i.recommended_amount::text, i.resolution,
                i.approved_amount::text, i.reason
            )), '[]')
            FROM approvals_agendaitem AS i WHERE i.meeting_id = meeting
        ),
        (
            SELECT coalesce(sum(a.approved_amount), 0)::text
            FROM workflows_fundingapplication AS a
            WHERE a.call_id = call AND a.status = ANY (awarded)
        )
    )::text;
END
$$;
"""
POSTGRES_DOWN = "DROP FUNCTION IF EXISTS approvals_agenda_after_lock(bigint, bigint, text[]);"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0009_department_yearly_budgets")]

    operations = [migrations.RunPython(create_function, drop_function)]
