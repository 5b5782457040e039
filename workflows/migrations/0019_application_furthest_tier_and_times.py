"""What the audit trail says of each request, kept on the request: the furthest tier it has
reached (the access policy's "has reached the group / the meeting"), when its status last
moved, and the time it spent at each tier over the stays that ended (the dashboard's days at
each tier). Filled in from the audit trail for the requests already there."""

import datetime

from django.db import migrations, models
from django.db.models import Exists, F, OuterRef

# The statuses of each tier, in the order the tiers are passed, as the review path has them.
TIER_STATUSES = (
    ("lead", ("submitted", "lead_review")),
    ("group", ("group_review",)),
    ("meeting", ("meeting_review", "deferred")),
)
TIER_OF = {status: tier for tier, statuses in TIER_STATUSES for status in statuses}
# Rows written a statement (Django's bulk update writes a CASE over the batch for each column:
# its cost grows with the square of the batch).
BATCH = 500


def fill_from_history(apps, schema_editor):
    application = apps.get_model("workflows", "FundingApplication")
    entry = apps.get_model("workflows", "AuditEntry")
    for tier, statuses in TIER_STATUSES:  # a later tier overwrites an earlier one
        reached = entry.objects.filter(application_id=OuterRef("pk"), target__in=statuses)
        application.objects.filter(Exists(reached)).update(furthest_tier=tier)
    # A stay at a tier: from the move that brought the request to one of its statuses to the
    # next move (moves are the entries that changed the status).
    moves = (
        entry.objects.exclude(source=F("target"))
        .order_by("application_id", "seq")
        .values_list("application_id", "target", "at")
    )
    pending = []
    current = None
    for application_id, target, at in moves.iterator(chunk_size=10000):
        if current is None or current.pk != application_id:
            if current is not None:
                pending.append(current)
            current = application(pk=application_id, status_since=None)
            current.times = {}
            current.was = None
        if current.was is not None and current.status_since is not None:
            tier = TIER_OF.get(current.was)
            if tier is not None:
                current.times[tier] = current.times.get(tier, datetime.timedelta(0)) + (
                    at - current.status_since
                )
        current.was, current.status_since = target, at
        if len(pending) >= BATCH:
            _save(application, pending)
            pending = []
    if current is not None:
        pending.append(current)
    _save(application, pending)


def _save(application, rows):
    for row in rows:
        for tier, _statuses in TIER_STATUSES:
            setattr(row, f"time_at_{tier}", row.times.get(tier))
    application.objects.bulk_update(
        rows,
        ["status_since", "time_at_lead", "time_at_group", "time_at_meeting"],
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0018_notices_about_no_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="fundingapplication",
            name="furthest_tier",
            field=models.CharField(
                blank=True,
                choices=[("lead", "牵头部门"), ("group", "审核工作小组"), ("meeting", "市联席会议")],
                editable=False,
                max_length=16,
                verbose_name="已到达的最远环节",
            ),
        ),
        migrations.AddField(
            model_name="fundingapplication",
            name="status_since",
            field=models.DateTimeField(editable=False, null=True, verbose_name="进入当前状态时间"),
        ),
        migrations.AddField(
            model_name="fundingapplication",
            name="time_at_group",
            field=models.DurationField(editable=False, null=True, verbose_name="审核工作小组环节用时"),
        ),
        migrations.AddField(
            model_name="fundingapplication",
            name="time_at_lead",
            field=models.DurationField(editable=False, null=True, verbose_name="牵头部门环节用时"),
        ),
        migrations.AddField(
            model_name="fundingapplication",
            name="time_at_meeting",
            field=models.DurationField(editable=False, null=True, verbose_name="市联席会议环节用时"),
        ),
        # Before the rows are filled in: PostgreSQL builds no index on a table with pending
        # trigger events in the same transaction.
        migrations.AddIndex(
            model_name="fundingapplication",
            index=models.Index(fields=["furthest_tier"], name="application_furthest_tier_idx"),
        ),
        migrations.RunPython(fill_from_history, migrations.RunPython.noop, elidable=True),
    ]
