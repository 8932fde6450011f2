"""The whole journey of a labelled product, as the issue tells it: order labels,
commission, pack into cases and a pallet, ship to a distributor in one province; a
consumer check there is genuine, a check in another province raises a diversion alert;
a recall answers `recalled` on the page and the API."""

import pytest
from django.test import Client

from trustlabel.codes import actions as codes
from trustlabel.regions.actions import do_set_sales_regions
from trustlabel.trace import actions as trace
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import DiversionAlert
from trustlabel.trace.progress import recall_progress

from .test_logistics import sscc
from .test_recalls import TEXTS

NANJING = {"lat": 32.0603, "lon": 118.7969}  # Jiangsu, the distributor's sales region
GUANGZHOU = {"lat": 23.1291, "lon": 113.3240}  # Guangdong


def api_check(code: str, **place):
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/verify", {"code": code, **place}, content_type="application/json"
    )


def page_check(code: str, **place):
    return Client(HTTP_ACCEPT_LANGUAGE="en").post("/verify", {"code": code, **place})


@pytest.fixture
def distributor(world):
    organisation = world.distributor.organisation
    organisation.region = "320100"  # seated in Nanjing
    organisation.save()
    do_set_sales_regions(organisation, ["320000"])
    return world.distributor


def test_a_product_from_label_to_recall(world, distributor):
    maker = world.enterprise.actor
    order = codes.do_create_label_order(maker, world.product, world.lot, 100, "open")
    code = world.code(order, 0)
    assert api_check(code).json()["verdict"] == "not_activated"

    trace.do_commission_order(maker, order)
    items = [label_epc(order, order.serial_start + i) for i in range(24)]
    trace.do_pack(maker, sscc(1), items[:12])
    trace.do_pack(maker, sscc(2), items[12:])
    trace.do_pack(maker, sscc(9), [sscc(1), sscc(2)])
    trace.do_move(maker, trace.Step.SHIP, [sscc(9)], distributor.organisation)
    trace.do_move(distributor.actor, trace.Step.RECEIVE, [sscc(9)])

    # A consumer in Nanjing: genuine, and the journey names the city, not the distributor.
    page = page_check(code, **NANJING).content.decode()
    assert 'data-verdict="genuine"' in page
    assert "Shipped to Nanjing" in page and "Arrived in Nanjing" in page
    assert distributor.organisation.name not in page
    assert not DiversionAlert.objects.exists()

    # A consumer in Guangzhou checks another bottle of the pallet: genuine for them; the
    # enterprise gets an alert.
    other = world.code(order, 5)
    answer = api_check(other, **GUANGZHOU)
    assert answer.json()["verdict"] == "genuine"
    assert distributor.organisation.name not in answer.content.decode()
    alert = DiversionAlert.objects.get()
    assert (alert.organisation, alert.distributor, alert.lot, alert.epc) == (
        world.enterprise.organisation,
        distributor.organisation,
        world.lot,
        items[5],
    )
    assert (alert.expected_regions, alert.observed_region, alert.observed_source) == (
        ["320000"],
        "440000",
        "gps",
    )
    assert alert.km_outside > 500  # Guangzhou is far from Jiangsu's border

    # An inspector in Guangzhou's Tianhe district is told, with the evidence.
    inspected = world.inspector.client().post(
        "/api/v1/inspections/check",
        {"code": other, "region": "440106"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = inspected.json()
    assert body["verdict"] == "outside_region"
    assert body["diversion"]["distributor"] == distributor.organisation.name
    assert body["diversion"]["observed_region"] == "440106"
    alert.refresh_from_db()
    assert (alert.check_count, alert.by_inspector) == (2, True)

    # The enterprise sees the alert and confirms it.
    portal = world.enterprise.client()
    listed = portal.get("/portal/trace/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert distributor.organisation.name in listed and "Guangdong" in listed
    portal.post(
        f"/portal/trace/alerts/{alert.pk}/",
        {"state": "confirmed", "note": "经销商承认跨区销售"},
    )
    alert.refresh_from_db()
    assert alert.state == "confirmed"

    # A recall: every channel says so, and its progress shows where the units went.
    recall = trace.do_open_recall(maker, [world.lot], **TEXTS)
    assert 'data-verdict="recalled"' in page_check(code).content.decode()
    assert api_check(code).json()["verdict"] == "recalled"
    progress = recall_progress(recall, "en")
    [went] = progress.destinations
    assert (went.organisation, went.shipped, went.received) == (distributor.organisation, 24, 24)
    assert went.regions == ["Jiangsu"]
    assert progress.checks_since == 2
    held = distributor.client().get(
        f"/portal/trace/recalls/{recall.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert TEXTS["instructions"] in held.content.decode()
    assert "You hold 24 units of these lots" in held.content.decode()
