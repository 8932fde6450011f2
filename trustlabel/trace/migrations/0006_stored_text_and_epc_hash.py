"""Events' bodies kept as canonical JSON text, and EventEPC indexed by a hash of the key,
without an id (see models.StoredJSON and models.EventEPC)."""

import hashlib

import django.db.models.deletion
from django.db import migrations, models

import trustlabel.trace.models


def _hash(key: str) -> int:  # models.epc_hash as it was written for this migration
    digest = hashlib.md5(key.encode(), usedforsecurity=False).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def free_the_primary_key_name(apps, schema_editor, names=("eventepc", "oldeventepc")):
    """PostgreSQL names indexes in one namespace: the old table's primary key index keeps
    its name when the table is renamed, and the new table's would take the same."""
    if schema_editor.connection.vendor == "postgresql":
        old, new = names
        schema_editor.execute(f"ALTER INDEX trace_{old}_pkey RENAME TO trace_{new}_pkey")


def give_the_name_back(apps, schema_editor):
    free_the_primary_key_name(apps, schema_editor, ("oldeventepc", "eventepc"))


def copy_rows(apps, schema_editor):
    old = apps.get_model("trace", "OldEventEPC")
    new = apps.get_model("trace", "EventEPC")
    rows, event, position = [], None, 0
    for event_id, epc, role in (
        old.objects.order_by("event_id", "id")
        .values_list("event_id", "epc", "role")
        .iterator(chunk_size=10_000)
    ):
        position = position + 1 if event_id == event else 0
        event = event_id
        rows.append(
            new(event_id=event_id, position=position, epc=epc, role=role, epc_hash=_hash(epc))
        )
        if len(rows) >= 10_000:
            new.objects.bulk_create(rows)
            rows = []
    new.objects.bulk_create(rows)


def copy_rows_back(apps, schema_editor):
    old = apps.get_model("trace", "OldEventEPC")
    rows = apps.get_model("trace", "EventEPC").objects.order_by("event_id", "position")
    old.objects.bulk_create(
        (
            old(event_id=e, epc=epc, role=role)
            for e, epc, role in rows.values_list("event_id", "epc", "role")
        ),
        batch_size=10_000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("trace", "0005_capture_speed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="body",
            field=trustlabel.trace.models.StoredJSON(),
        ),
        migrations.RenameModel("EventEPC", "OldEventEPC"),
        migrations.AlterField(
            model_name="oldeventepc",
            name="event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="trace.event",
            ),
        ),
        migrations.RunPython(free_the_primary_key_name, give_the_name_back),
        migrations.CreateModel(
            name="EventEPC",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "event",
                        "position",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("position", models.IntegerField()),
                ("epc", models.CharField(max_length=400)),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("epc", "object"),
                            ("parent", "parent"),
                            ("child", "child"),
                            ("input", "input"),
                            ("output", "output"),
                        ],
                        max_length=8,
                    ),
                ),
                ("epc_hash", models.BigIntegerField()),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="epcs",
                        to="trace.event",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["epc_hash"], name="trace_eventepc_hash")],
            },
        ),
        migrations.RunPython(copy_rows, copy_rows_back),
        migrations.DeleteModel("OldEventEPC"),
    ]
