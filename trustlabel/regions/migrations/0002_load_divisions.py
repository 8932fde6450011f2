"""Fill the division table from the vendored MCA list (data/divisions.csv).

Self-contained on purpose: it reads the CSV with the csv module rather than through the
app's code, which may change after this migration is written. Later lists are brought
in by `trustlabel load_divisions`, which also reports retired codes still in use."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parents[1] / "data" / "divisions.csv"


def load(apps, schema_editor):
    Division = apps.get_model("regions", "Division")
    with open(CSV, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda row: int(row["level"]))
    Division.objects.bulk_create(
        [
            Division(
                code=row["code"],
                parent_id=row["parent"] or None,
                level=int(row["level"]),
                name=row["name"],
                name_en=row["name_en"],
            )
            for row in rows
        ],
        batch_size=500,
        ignore_conflicts=True,
    )


def unload(apps, schema_editor):
    Division = apps.get_model("regions", "Division")
    for level in (3, 2, 1):  # children before the parents they protect
        Division.objects.filter(level=level).delete()


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_divisions_and_sales_regions")]

    operations = [migrations.RunPython(load, unload)]
