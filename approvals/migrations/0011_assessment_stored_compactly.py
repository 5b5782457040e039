"""A group recommendation's assessment is written as compact JSON (``workflows.compact_json``).
Only the model's description changes: the column is the same, and rows written before stay as
they are (both forms read back to the same value). Without SeparateDatabaseAndState, SQLite
would copy the whole table to change nothing."""

from django.db import migrations, models

import workflows.compact_json


class Migration(migrations.Migration):
    dependencies = [("approvals", "0010_agenda_after_lock")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="grouprecommendation",
                    name="assessment",
                    field=models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=workflows.compact_json.CompactJSONEncoder,
                        help_text="the policy evaluation behind the amount, if any",
                    ),
                )
            ]
        )
    ]
