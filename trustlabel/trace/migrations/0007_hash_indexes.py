"""Identifiers looked up through hash indexes of their keys (models.KeyIndex): EventEPC's
instead of a B-tree of a 64-bit hash kept beside the key (no column to work out in
Python), Containment's instead of B-trees of (key, packed_at). Cheaper for PostgreSQL to
fill as events are captured."""

import hashlib

from django.db import migrations, models

import trustlabel.trace.models


def fill_the_hashes(apps, schema_editor):
    """Back to 0006: each row's epc_hash, as 0006 worked it out."""
    table = apps.get_model("trace", "EventEPC")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET epc_hash = ('x' || left(md5(epc), 16))::bit(64)::bigint"
            )
            return
        cursor.execute(f"SELECT DISTINCT epc FROM {table}")
        keys = [key for (key,) in cursor.fetchall()]
        cursor.executemany(
            f"UPDATE {table} SET epc_hash = %s WHERE epc = %s",
            [(_hash(key), key) for key in keys],
        )


def _hash(key: str) -> int:  # 0006's epc_hash
    digest = hashlib.md5(key.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("trace", "0006_stored_text_and_epc_hash"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="eventepc",
            name="trace_eventepc_hash",
        ),
        # Backwards, the column comes back empty, is filled, then made NOT NULL again.
        migrations.AlterField(
            model_name="eventepc",
            name="epc_hash",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(migrations.RunPython.noop, fill_the_hashes),
        migrations.RemoveField(
            model_name="eventepc",
            name="epc_hash",
        ),
        migrations.AddIndex(
            model_name="eventepc",
            index=trustlabel.trace.models.KeyIndex(fields=["epc"], name="trace_eventepc_epc"),
        ),
        migrations.RemoveIndex(model_name="containment", name="containment_child"),
        migrations.RemoveIndex(model_name="containment", name="containment_parent"),
        migrations.AddIndex(
            model_name="containment",
            index=trustlabel.trace.models.KeyIndex(fields=["child"], name="containment_child"),
        ),
        migrations.AddIndex(
            model_name="containment",
            index=trustlabel.trace.models.KeyIndex(fields=["parent"], name="containment_parent"),
        ),
    ]
