"""The furthest tier each request has reached, kept on the request (the access policy's "has
reached the group / the meeting"), filled in from the audit trail for the requests already
there."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

# The statuses of each tier, in the order the tiers are passed, as the review path has them.
TIER_STATUSES = (
    ("lead", ("submitted", "lead_review")),
    ("group", ("group_review",)),
    ("meeting", ("meeting_review", "deferred")),
)


def fill_from_history(apps, schema_editor):
    application = apps.get_model("workflows", "FundingApplication")
    entry = apps.get_model("workflows", "AuditEntry")
    for tier, statuses in TIER_STATUSES:  # a later tier overwrites an earlier one
        reached = entry.objects.filter(application_id=OuterRef("pk"), target__in=statuses)
        application.objects.filter(Exists(reached)).update(furthest_tier=tier)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0016_organisation_administrators"),
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
        migrations.RunPython(fill_from_history, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="fundingapplication",
            index=models.Index(fields=["furthest_tier"], name="application_furthest_tier_idx"),
        ),
    ]
