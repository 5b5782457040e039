"""Decision tasks now route straight to the next task (``flows.Decision``); the flow no longer
has the four switch nodes that stood between them. Their finished tasks, written by earlier
versions, are removed here and the tasks on either side linked directly, so that every stored
task still names a node of the flow and the task history reads the same."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Q

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
    gateways = Task.objects.filter(flow_task__in=REMOVED_NODES).values("pk")
    # A task's ``previous`` row reads (from_task=the task, to_task=the one before it). A switch
    # always stood between two other tasks, so each gateway is bridged on its own.
    before, after = defaultdict(list), defaultdict(list)
    for gateway, earlier in links.objects.filter(from_task_id__in=gateways).values_list(
        "from_task_id", "to_task_id"
    ):
        before[gateway].append(earlier)
    for later, gateway in links.objects.filter(to_task_id__in=gateways).values_list(
        "from_task_id", "to_task_id"
    ):
        after[gateway].append(later)
    links.objects.bulk_create(
        [
            links(from_task_id=later, to_task_id=earlier)
            for gateway, laters in after.items()
            for later in laters
            for earlier in before[gateway]
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    links.objects.filter(Q(from_task_id__in=gateways) | Q(to_task_id__in=gateways)).delete()
    Task.objects.filter(flow_task__in=REMOVED_NODES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0003_alter_fundingapplication_options_and_more"),
    ]

    operations = [migrations.RunPython(link_around_gateways, migrations.RunPython.noop)]
