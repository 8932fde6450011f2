"""What the platform records in the ledger, and that each record's proof checks out."""

import datetime as dt
import json

from django.test import Client

from trustlabel.ledger.actions import do_integrate, record_bytes
from trustlabel.ledger.models import Entry
from trustlabel.ledger.records import entry_of, scan_leaf, subject_of, trace_event_entries
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
    assert (recorded["eventID"], recorded["hashID"], recorded["sha256"]) == (
        event.event_id,
        event.cbv_hash,
        event.body_sha256,
    )
    opened = proven(entry_of(recall, "recall"))
    assert opened["lots"] == [world.lot.pk] and opened["event"] == recall.event.event_id
    # Never personal data: no names, no people, no texts in clear.
    assert TEXTS["contact"] not in json.dumps(opened, ensure_ascii=False)
    assert world.enterprise.user.username not in json.dumps(order)


def test_a_days_scans_are_recorded_as_one_digest_per_enterprise(world, settings):
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from trustlabel.ledger import merkle
    from trustlabel.verify.core import CheckContext, verify
    from trustlabel.verify.models import ScanLog

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), tzinfo=timezone.get_default_timezone())
    for i in range(5):
        verify(world.code(index=i), CheckContext(now=noon + dt.timedelta(minutes=i)))
    verify(world.code(index=9))  # today: not in yesterday's digest
    call_command("ledger_scan_digests")
    call_command("ledger_scan_digests")  # a second run adds nothing
    [entry] = Entry.objects.filter(kind="scan_digest")
    do_integrate()
    digest = proven(entry)
    scans = ScanLog.objects.filter(checked_at__date__lt=timezone.localdate()).order_by("pk")
    assert (digest["enterprise"], digest["day"], digest["count"]) == (
        world.enterprise.organisation.pk,
        yesterday.isoformat(),
        5,
    )
    # Recomputed independently from the scan log: the RFC 6962 root of its leaves.
    leaves = [merkle.leaf_hash(scan_leaf(s)) for s in scans]
    assert digest["root"] == reference_root(leaves).hex()


def reference_root(hashes: list[bytes]) -> bytes:
    """MTH of RFC 9162 §2.1.1, written out again here."""
    import hashlib

    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(
        b"\x01" + reference_root(hashes[:k]) + reference_root(hashes[k:])
    ).digest()


def test_pages_say_where_a_record_is_in_the_ledger(world):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/verify", {"code": world.code(index=1)})
    assert "Being recorded in the public ledger" in page.content.decode()
    do_integrate()
    entry = entry_of(world.open_order, "label_order")
    entry.refresh_from_db()
    shown = f"Recorded in the public ledger at index {entry.index}"
    page = Client(HTTP_ACCEPT_LANGUAGE="en").post("/verify", {"code": world.code(index=2)})
    assert shown in page.content.decode()
    assert f'href="/ledger/entries/{entry.index}/proof"' in page.content.decode()
    portal = world.enterprise.client().get(
        f"/portal/codes/orders/{world.open_order.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert shown in portal.content.decode()


def test_trace_event_entries_are_the_records_record_bytes_writes():
    """The entries capture writes by hand are byte for byte what record_bytes writes,
    for event IDs with characters JSON escapes and characters it does not."""
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    events = [
        Event(pk=pk, event_id=event_id, cbv_hash=f"ni:///sha-256;{pk:064x}?ver=CBV2.0",
              body_sha256=f"{pk:064x}", record_time=now)
        for pk, event_id in enumerate(
            ["urn:uuid:1", 'quote " backslash \\ tab \t line\n', "事件 \u2028 \x7f \x01", ""], 1
        )
    ]  # fmt: skip
    for event, entry in zip(events, trace_event_entries(events), strict=True):
        fields = {"eventID": event.event_id, "hashID": event.cbv_hash, "sha256": event.body_sha256}
        assert entry == ("trace_event", subject_of(event), record_bytes("trace_event", fields), now)
        assert json.loads(entry[2])["eventID"] == event.event_id
