from django.db import migrations

# The reviewers' queues and the dashboard's overdue work read only the open flow tasks, by
# node and holder; every request leaves several finished ones behind, so they are indexed
# apart (on PostgreSQL carrying the process and the date, so the counts read the index only).
INDEX = "viewflow_task_open_idx"
OPEN = "('NEW', 'ASSIGNED', 'STARTED')"  # workflows.flows.OPEN_TASK_STATES


def add_open_task_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        columns = '("flow_task", "owner_id") INCLUDE ("process_id", "created")'
    else:
        columns = '("flow_task", "owner_id", "process_id", "created")'
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "viewflow_task" {columns}'
        f' WHERE "status" IN {OPEN}'
    )


def drop_open_task_index(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0019_application_furthest_tier_and_times"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(add_open_task_index, drop_open_task_index)]
