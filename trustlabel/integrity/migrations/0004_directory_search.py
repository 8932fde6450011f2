"""The directory's search rows, their full-text index, and the rows of the approved
applications already there.

Self-contained on purpose: the index's SQL and the terms of the backfill are written out
here (as `integrity.directory` makes them at this version) rather than imported from the
app, which may change after this migration is written. FTS5 on SQLite (the `ascii`
tokenizer splits on spaces and keeps `_`, so a term is stored as written), a GIN index on
PostgreSQL over the terms as a tsvector of their own (no parser, no locale), kept in a
generated column the models do not name."""

import re
import unicodedata

import django.db.models.deletion
from django.db import migrations, models

TABLES = {"integrity_listedenterprise": "organisation_id", "integrity_listedproduct": "product_id"}


def sqlite_index(table: str, key: str) -> list[str]:
    fts = f"{table}_fts"
    remove = f"INSERT INTO {fts}({fts}, rowid, terms) VALUES ('delete', old.{key}, old.terms);"
    add = f"INSERT INTO {fts}(rowid, terms) VALUES (new.{key}, new.terms);"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(terms, content='{table}', "
        f"content_rowid='{key}', tokenize=\"ascii tokenchars '_'\", detail=none)",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {table} BEGIN {remove} {add} END",
    ]


def create_indexes(apps, schema_editor):
    for table, key in TABLES.items():
        if schema_editor.connection.vendor == "sqlite":
            statements = sqlite_index(table, key)
        else:
            # Stored, so that a filter that matches most rows need not rebuild each one.
            statements = [
                f"ALTER TABLE {table} ADD COLUMN terms_vector tsvector GENERATED ALWAYS AS "
                "(array_to_tsvector(string_to_array(terms, ' '))) STORED",
                f"CREATE INDEX {table}_terms ON {table} USING gin (terms_vector)",
            ]
        for sql in statements:
            schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "sqlite":
            for suffix in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts")
        else:
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS terms_vector")


RUNS = re.compile(r"[^\W_]+")
SCRIPTS = re.compile(r"[\u2e80-\U0003ffff]+|[^\u2e80-\U0003ffff]+")


def normalise(text):
    return unicodedata.normalize("NFKC", text).casefold()


def terms_of(*texts):
    terms = []
    for text in texts:
        for run in RUNS.findall(normalise(text)):
            for piece in SCRIPTS.findall(run):
                if piece >= "\u2e80":
                    terms += [piece[i : i + 2] for i in range(len(piece) - 1)] + [piece[-1]]
                else:
                    terms.append(piece)
    return terms


def join(terms):
    return " ".join(dict.fromkeys(t for t in terms if t))


def backfill(apps, schema_editor):
    Application = apps.get_model("integrity", "Application")
    Member = apps.get_model("integrity", "Member")
    Division = apps.get_model("regions", "Division")
    ListedEnterprise = apps.get_model("integrity", "ListedEnterprise")
    ListedProduct = apps.get_model("integrity", "ListedProduct")
    approved = Application.objects.filter(status="approved").select_related(
        "programme", "organisation"
    )
    by_organisation = {}
    for application in approved:
        by_organisation.setdefault(application.organisation_id, []).append(application)
    parents = dict(Division.objects.values_list("code", "parent_id"))
    for organisation_id, applications in by_organisation.items():
        organisation = applications[0].organisation
        member = Member.objects.filter(organisation_id=organisation_id).first()
        maker, code = [], member.region_id if member else None
        while code:
            maker.append(f"_r{code}")
            code = parents.get(code)
        if member and member.industry:
            maker.append(f"_i{member.industry}".lower())
        uscc = member.uscc if member else ""
        tags = {a.pk: [f"_p{a.programme_id}", f"_y{a.programme.year}"] for a in applications}
        ListedEnterprise.objects.create(
            organisation_id=organisation_id,
            name=organisation.name,
            search=normalise(" ".join((organisation.name, organisation.name_en, uscc))),
            terms=join(
                terms_of(organisation.name, organisation.name_en, uscc, uscc[8:17])
                + [t for a in applications for t in tags[a.pk]]
                + maker
            ),
        )
        products = {}
        for application in applications:
            for covered in application.covered_products.select_related("product"):
                products.setdefault(covered.product_id, [covered.product, []])[1].extend(
                    tags[application.pk]
                )
        for product, product_tags in products.values():
            ListedProduct.objects.create(
                product=product,
                organisation_id=organisation_id,
                name=product.name,
                search=normalise(" ".join((product.name, product.name_en, product.gtin))),
                terms=join(
                    terms_of(
                        product.name, product.name_en, product.gtin, product.gtin.removeprefix("0")
                    )
                    + product_tags
                    + maker
                ),
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organisation_region"),
        ("catalog", "0002_lot_quantity_limit"),
        ("integrity", "0003_programmes_applications_certificates"),
        ("regions", "0002_load_divisions"),
    ]

    operations = [
        migrations.CreateModel(
            name="ListedEnterprise",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.organisation",
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("search", models.TextField()),
                ("terms", models.TextField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["name", "organisation"], name="listed_enterprise_by_name")
                ],
            },
        ),
        migrations.CreateModel(
            name="ListedProduct",
            fields=[
                (
                    "product",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="catalog.product",
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("search", models.TextField()),
                ("terms", models.TextField()),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["name", "product"], name="listed_product_by_name")
                ],
            },
        ),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
