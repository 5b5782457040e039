from django.db import migrations

# The reviewers' queues and the dashboard's overdue work read only the open flow tasks, by
# node, in the order they arrived; every request leaves several finished ones behind, so the
# open ones are indexed apart. On PostgreSQL the index carries the holder and the process, and
# a second one carries what the queues test of a task's request (the access policy's columns
# and the call, whose time limits say what is overdue), so the counts read indexes only.
TASK_INDEX = "viewflow_task_open_idx"
APPLICATION_INDEX = "application_by_process_idx"
OPEN = "('NEW', 'ASSIGNED', 'STARTED')"  # workflows.flows.OPEN_TASK_STATES


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        columns = '("flow_task", "created", "id") INCLUDE ("owner_id", "process_id")'
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{APPLICATION_INDEX}" ON "workflows_fundingapplication"'
            ' ("review_process_id") INCLUDE ("call_id", "status", "furthest_tier",'
            ' "organisation_id", "special_project_id")'
        )
    else:
        columns = '("flow_task", "created", "id", "owner_id", "process_id")'
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{TASK_INDEX}" ON "viewflow_task" {columns}'
        f' WHERE "status" IN {OPEN}'
    )


def drop_indexes(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{TASK_INDEX}"')
    schema_editor.execute(f'DROP INDEX IF EXISTS "{APPLICATION_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0020_chain_after_the_row_lock"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
