"""The trace pages without a browser: what a form keeps, refuses and records."""

import pytest

from trustlabel.accounts.tests.roles import client_for
from trustlabel.trace import actions as trace
from trustlabel.trace.labels import label_epc
from trustlabel.trace.models import Event, Recall

from .test_logistics import sscc
from .test_recalls import TEXTS


@pytest.fixture
def case(world):
    maker = world.enterprise.actor
    items = [label_epc(world.open_order, world.open_order.serial_start + i) for i in range(4)]
    trace.do_pack(maker, sscc(1), items)
    trace.do_move(maker, trace.Step.SHIP, [sscc(1)], world.distributor.organisation)
    return sscc(1)


def test_a_bad_line_refuses_the_scan_and_keeps_the_list(world, case):
    client = client_for(world, "distributor")
    typed = f"{case.rsplit('/', 1)[1]}\nnot a label\n"
    before = Event.objects.count()
    response = client.post("/portal/trace/scan/", {"step": "receive", "codes": typed})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: not a label is not a case, pallet or item label" in body
    assert case.rsplit("/", 1)[1] in body  # what was typed is still there
    assert Event.objects.count() == before


def test_a_scan_is_recorded_and_listed(world, case):
    client = client_for(world, "distributor")
    response = client.post(
        "/portal/trace/scan/", {"step": "receive", "codes": f"(00){case.rsplit('/', 1)[1]}\n"}
    )
    assert response.status_code == 302
    event = Event.objects.get(pk=response["Location"].rsplit("done=", 1)[1])
    assert event.biz_step == "receiving"
    assert event.body["destinationList"][0]["destination"].endswith(
        f"/organisations/{world.distributor.organisation.pk}"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Recorded: Receive, 1 label." in page and 'class="just-done"' in page


def test_shipping_needs_a_destination_and_packing_a_case(world, case):
    client = client_for(world, "admin")
    item = world.code(index=20)
    body = client.post("/portal/trace/scan/", {"step": "ship", "codes": item}).content.decode()
    assert "Choose the distributor to ship to." in body
    body = client.post("/portal/trace/scan/", {"step": "pack", "codes": item}).content.decode()
    assert "Scan the case or pallet label first." in body


def test_a_recall_opened_from_its_page(world):
    client = client_for(world, "admin")
    refused = client.post("/portal/trace/recalls/new/", {"lots": [world.lot.pk], "reason": "x"})
    assert refused.status_code == 200 and not Recall.objects.exists()
    response = client.post("/portal/trace/recalls/new/", {"lots": [world.lot.pk], **TEXTS})
    recall = Recall.objects.get()
    assert response["Location"] == f"/portal/trace/recalls/{recall.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Units made" in page and TEXTS["hazard"] in page


def test_the_enterprise_chooses_what_consumers_see(world, case):
    trace.do_move(world.distributor.actor, trace.Step.RECEIVE, [case])

    def consumer_page():
        return client_for(world, "anonymous").post("/verify", {"code": world.code(index=2)})

    shown = consumer_page().content.decode()
    assert 'class="step-shipping"' in shown and 'class="step-produced"' in shown
    client_for(world, "admin").post("/portal/trace/public/", {"production": "on"})
    hidden = consumer_page().content.decode()
    assert 'class="step-produced"' in hidden
    assert 'class="step-shipping"' not in hidden and 'class="step-inspected"' not in hidden
    assert world.report.report_number not in hidden
