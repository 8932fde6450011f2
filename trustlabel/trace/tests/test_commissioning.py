"""Labels answer "not activated" until a commissioning event covers them."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from trustlabel.accounts.tests.roles import ENTERPRISE_CREATES, client_for, headers_for
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


@pytest.mark.parametrize(("role", "status"), ENTERPRISE_CREATES)
def test_commissioning_over_the_api_is_for_the_enterprise_only(world, pending, role, status):
    response = Client().post(
        f"/api/v1/label-orders/{pending.pk}/commission",
        {"first": 1, "last": 5},
        content_type="application/json",
        headers=headers_for(world, role),
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["first"] == 1 and response.json()["last"] == 5
        assert response.json()["event_id"].startswith("ni:///sha-256;")
        assert verify(world.code(pending, 4)).kind == "genuine"
    else:
        assert verify(world.code(pending, 4)).kind == "not_activated"


def test_the_api_explains_labels_outside_the_order(world, pending):
    response = Client().post(
        f"/api/v1/label-orders/{pending.pk}/commission",
        {"first": 15, "last": 25},
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 422
    assert "not in this order of 20" in response.json()["errors"]["__all__"][0]


def test_orders_are_made_active_on_issue_when_asked(world):
    response = Client().post(
        "/api/v1/label-orders",
        {
            "product_id": world.product.pk,
            "lot_id": world.lot.pk,
            "quantity": 3,
            "layout": "open",
            "activation": "issue",
        },
        content_type="application/json",
        headers=headers_for(world, "admin"),
    )
    assert response.status_code == 201
    assert response.json()["activation"] == "issue"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("staff", True), ("outsider", False), ("association", False)],
)
def test_the_order_page_commissions_labels(world, pending, role, allowed):
    client = client_for(world, role)
    page = client.get(f"/portal/codes/orders/{pending.pk}/")
    if role == "outsider":
        assert page.status_code == 404
    else:
        assert page.status_code == 200
        assert (b'id="commission"' in page.content) == allowed
    response = client.post(
        f"/portal/trace/orders/{pending.pk}/commission/", {"first": 2, "last": 3}
    )
    if allowed:
        assert response.status_code == 302
        page = client.get(f"/portal/codes/orders/{pending.pk}/")
        assert b"2\xe2\x80\x933" in page.content  # the run, labels 2–3
        assert verify(world.code(pending, 1)).kind == "genuine"
    else:
        assert response.status_code in (403, 404)
        assert verify(world.code(pending, 1)).kind == "not_activated"
