"""What the platform records in the ledger, and that each record's proof checks out."""

import json

from django.test import Client

from trustlabel.ledger.actions import do_integrate
from trustlabel.ledger.records import entry_of
from trustlabel.ledger.verify import verify_entry
from trustlabel.trace import actions as trace
from trustlabel.trace.models import Event
from trustlabel.trace.tests.test_recalls import TEXTS


def proven(entry) -> dict:
    """The entry's record, after checking its proof as an outsider would."""
    entry.refresh_from_db()
    key = Client().get("/ledger/key").content.decode().strip()
    bundle = Client().get(f"/ledger/entries/{entry.index}/proof").content
    record = Client().get(f"/ledger/entries/{entry.index}").content
    verify_entry(bundle, record, key)
    return json.loads(record)


def test_orders_reports_events_and_recalls_are_recorded(world):
    recall = trace.do_open_recall(world.enterprise.actor, [world.lot], **TEXTS)
    do_integrate()
    order = proven(entry_of(world.open_order, "label_order"))
    assert order["v"] == 1 and order["kind"] == "label_order"
    assert (order["serial_start"], order["serial_end"]) == (
        world.open_order.serial_start,
        world.open_order.serial_start + world.open_order.quantity,
    )
    report = proven(entry_of(world.report, "inspection_report"))
    assert report["file_sha256"] == world.report.sha256
    event = Event.objects.get(
        biz_step="commissioning", pk=world.open_order.commissionings.get().event_id
    )
    recorded = proven(entry_of(event, "trace_event"))
    assert (recorded["eventID"], recorded["sha256"]) == (event.event_id, event.body_sha256)
    opened = proven(entry_of(recall, "recall"))
    assert opened["lots"] == [world.lot.pk] and opened["event"] == recall.event.event_id
    # Never personal data: no names, no people, no texts in clear.
    assert TEXTS["contact"] not in json.dumps(opened, ensure_ascii=False)
    assert world.enterprise.user.username not in json.dumps(order)
