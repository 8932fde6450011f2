"""Project-wide checks: migrations, the `trustlabel` command, the demo."""

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from trustlabel.accounts.models import ApiKey, Organisation
from trustlabel.catalog.models import Product
from trustlabel.codes.models import LabelOrder
from trustlabel.integrity.models import Application, Certificate, Programme
from trustlabel.integrity.promises import promises_for
from trustlabel.trace.logistics import last_destination
from trustlabel.trace.models import DiversionAlert
from trustlabel.verify.core import verify


def test_it_has_a_migration_for_every_model_change(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"a migration is missing:\n{out.getvalue()}")


def test_it_installs_a_trustlabel_command():
    result = subprocess.run(
        [sys.executable, "-m", "trustlabel", "help", "demo"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--json" in result.stdout


def run_demo() -> dict:
    out = StringIO()
    call_command("demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_makes_demo_data_once_with_codes_that_verify(db, settings):
    first = run_demo()
    models = (Organisation, Product, LabelOrder, Programme, Application, Certificate)
    counts = [model.objects.count() for model in models]
    second = run_demo()
    assert counts == [model.objects.count() for model in models]
    assert {o.kind for o in Organisation.objects.all()} == {
        "association",
        "enterprise",
        "distributor",
        "inspector",
    }
    assert len(second["codes"]) == 4
    # The three programmes of the source documents; the demo enterprise approved in one,
    # its certificate valid, its promise on the page of a label ordered under it.
    assert sorted(Programme.objects.values_list("kind", flat=True)) == [
        "consumer_rights",
        "quality_month",
        "stable_qualified",
    ]
    certificate = Certificate.objects.get(number=second["certificate"])
    assert certificate.is_valid()
    marked = verify(second["codes"][2]["code"])
    assert marked.is_genuine and marked.order.programme == certificate.programme
    promises = promises_for(marked.order.product_id, timezone.localdate())
    assert [p.certificate for p in promises] == [certificate]
    assert {"enterprise", "distributor", "inspector"} <= second["api_keys"].keys()
    # Fresh keys each run; the old ones no longer work.
    assert first["api_keys"]["enterprise"] != second["api_keys"]["enterprise"]
    digests = set(ApiKey.objects.filter(revoked_at__isnull=True).values_list("digest", flat=True))
    assert ApiKey.digest_of(first["api_keys"]["enterprise"]) not in digests
    assert ApiKey.digest_of(second["api_keys"]["enterprise"]) in digests
    for item in second["codes"]:
        assert item["url"].startswith(settings.TRUSTLABEL_BASE_URL + "/01/")
        assert verify(item["code"]).is_genuine
    assert verify(second["codes"][0]["url"]).is_genuine
    # Packed, shipped and received once; one check outside the sales region, one alert.
    move = last_destination(second["case_labels"][0])
    assert move.destination.name.startswith("华东示范商贸")
    assert DiversionAlert.objects.count() == 1
