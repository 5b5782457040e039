"""Decision tasks now route straight to the next task (``flows.Decision``); the flow no longer
has the four switch nodes that stood between them. Their finished tasks, written by earlier
versions, are removed here and the tasks on either side linked directly, so that every stored
task still names a node of the flow and the task history reads the same."""

from django.db import migrations

REMOVED_NODES = [
    f"workflows/flows.ReviewFlow.{name}"
    for name in (
        "after_lead_review",
        "after_group_review",
        "after_meeting_review",
        "after_revision",
    )
]


def link_around_gateways(apps, schema_editor):
    Task = apps.get_model("viewflow", "Task")
    links = Task.previous.through
    gateways = list(Task.objects.filter(flow_task__in=REMOVED_NODES).values_list("pk", flat=True))
    for gateway in gateways:
        # A task's ``previous`` row reads (from_task=the task, to_task=the one before it).
        before = list(
            links.objects.filter(from_task_id=gateway).values_list("to_task_id", flat=True)
        )
        after = list(
            links.objects.filter(to_task_id=gateway).values_list("from_task_id", flat=True)
        )
        links.objects.bulk_create(
            [links(from_task_id=a, to_task_id=b) for a in after for b in before],
            ignore_conflicts=True,
        )
        links.objects.filter(from_task_id=gateway).delete()
        links.objects.filter(to_task_id=gateway).delete()
    Task.objects.filter(pk__in=gateways).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0003_alter_fundingapplication_options_and_more"),
    ]

    operations = [migrations.RunPython(link_around_gateways, migrations.RunPython.noop)]
