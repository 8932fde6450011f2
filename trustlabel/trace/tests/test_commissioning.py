"""Labels answer "not activated" until a commissioning event covers them."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from trustlabel.codes import actions as codes
from trustlabel.trace import actions as trace
from trustlabel.trace.models import Event
from trustlabel.trace.schema import event_problems
from trustlabel.verify.core import verify
from trustlabel.verify.models import CodeCheckStats, ScanLog


@pytest.fixture
def pending(world):
    """A new order of 20 labels, printed but not on products yet."""
    return codes.do_create_label_order(world.enterprise.actor, world.product, world.lot, 20, "open")


def test_a_code_checked_before_commissioning_is_not_activated(world, pending):
    code = world.code(pending, 0)
    verdict = verify(code)
    assert verdict.kind == "not_activated"
    assert verdict.product == world.product  # a real label: whose it is may be shown
    assert not verdict.is_genuine
    scan = ScanLog.objects.latest("pk")
    assert (scan.verdict, scan.order_id, scan.check_number) == ("not_activated", pending.pk, None)
    assert not CodeCheckStats.objects.filter(serial=pending.serial_start).exists()  # not counted


def test_commissioning_activates_the_labels_it_names_and_no_others(world, pending):
    trace.do_commission_order(world.enterprise.actor, pending, 1, 10)
    assert verify(world.code(pending, 0)).kind == "genuine"
    assert verify(world.code(pending, 9)).kind == "genuine"
    assert verify(world.code(pending, 10)).kind == "not_activated"
    trace.do_commission_order(world.enterprise.actor, pending, 11, 20)
    assert verify(world.code(pending, 10)).kind == "genuine"
    assert verify(world.code(pending, 19)).kind == "genuine"


def test_a_label_is_commissioned_once_and_only_by_its_enterprise(world, pending):
    trace.do_commission_order(world.enterprise.actor, pending, 5, 8)
    with pytest.raises(ValidationError):
        trace.do_commission_order(world.enterprise.actor, pending, 8, 12)
    with pytest.raises(ValidationError):
        trace.do_commission_order(world.enterprise.actor, pending, 0, 3)
    with pytest.raises(ValidationError):
        trace.do_commission_order(world.enterprise.actor, pending, 15, 21)
    for party in (world.outsider, world.distributor, world.association):
        with pytest.raises(PermissionDenied):
            trace.do_commission_order(party.actor, pending)


def test_the_commissioning_event_names_the_lot_and_the_order_but_no_code(world, pending):
    run = trace.do_commission_order(world.enterprise.actor, pending)
    body = run.event.body
    assert event_problems(body) == []
    assert body["bizStep"] == "commissioning" and body["action"] == "ADD"
    assert body["quantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/{world.product.gtin}/10/L20260301", "quantity": 20}
    ]
    assert body["ilmd"]["tl:labelOrder"].endswith(f"/label-orders/{pending.pk}")
    assert "epcList" not in body
    assert world.code(pending, 0) not in json.dumps(body)
    lot_class = f"urn:epc:class:lgtin:6901234.056789.{world.lot.lot_number}"
    response = Client().get(
        "/epcis/events",
        {"MATCH_epcClass": lot_class, "EQ_bizStep": "commissioning"},
        headers=world.enterprise.api_headers(),
    )
    found = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert run.event.event_id in {e["eventID"] for e in found}
    assert Event.objects.filter(pk=run.event_id).exists()


def test_an_order_active_on_issue_needs_no_commissioning(world):
    order = codes.do_create_label_order(
        world.enterprise.actor, world.product, world.lot, 5, "open", "issue"
    )
    assert verify(world.code(order, 0)).kind == "genuine"


def test_consumers_read_what_not_activated_means(world, pending):
    response = Client().post(
        "/api/v1/verify",
        {"code": world.code(pending, 3)},
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.json()["verdict"] == "not_activated"
    assert response.json()["headline"] == "此标签尚未激活"
    page = Client(headers={"Accept-Language": "en"}).post(
        "/verify", {"code": world.code(pending, 4)}
    )
    assert page.status_code == 200
    assert b'data-verdict="not_activated"' in page.content
    assert b"This label has not been activated" in page.content
