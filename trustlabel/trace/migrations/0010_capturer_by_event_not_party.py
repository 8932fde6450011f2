"""Who captured an event may see it through the event's captured_by, no longer through
a party row of its own (reason "captured"). Back, each captured event has its row again."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('trace', '0009_packed_children_in_containments'),
    ]

    operations = [
        migrations.AlterField(
            model_name='eventparty',
            name='reason',
            field=models.CharField(choices=[('owner', 'owns a product it names'), ('source', 'is its source'), ('destination', 'is its destination')], max_length=12),
        ),
        migrations.RunSQL(
            "DELETE FROM trace_eventparty WHERE reason = 'captured'",
            """
            INSERT INTO trace_eventparty (event_id, organisation_id, reason)
            SELECT id, captured_by_id, 'captured' FROM trace_event
            WHERE captured_by_id IS NOT NULL
            """,
        ),
    ]
