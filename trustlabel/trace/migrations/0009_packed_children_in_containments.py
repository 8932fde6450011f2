"""The children an AggregationEvent ADD packs are no longer EventEPC rows: their
containments hold them (logistics.packs). Back, they are EventEPC rows again, at the
positions capture gave them: an aggregation's children come first, in the order its
containments were made."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('trace', '0008_event_capture_without_index'),
    ]

    operations = [
        migrations.RunSQL(
            """
            DELETE FROM trace_eventepc
            WHERE role = 'child' AND EXISTS (
                SELECT 1 FROM trace_containment c
                WHERE c.event_id = trace_eventepc.event_id AND c.child = trace_eventepc.epc
            )
            """,
            """
            INSERT INTO trace_eventepc (event_id, position, epc, role)
            SELECT event_id, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY id) - 1, child,
                   'child'
            FROM trace_containment c
            WHERE NOT EXISTS (
                SELECT 1 FROM trace_eventepc e WHERE e.event_id = c.event_id AND e.role = 'child'
            )
            """,
        ),
    ]
