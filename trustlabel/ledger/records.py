"""What goes into the ledger: one small, canonical, versioned record per thing that
matters, never personal data. Each function is called by the action that makes the
thing, in its transaction; the record names the thing by its key and hashes what could
be quietly changed later.

- label_order, when an order is issued: order, enterprise, product, lot, serial range,
  key version, and the hash of all of it;
- trace_event, when an EPCIS event is stored: its event ID, its CBV 2.0 event hash ID and
  the SHA-256 of its stored form;
- inspection_report, when a report is attached: report number, lot, result, and the
  SHA-256 of the PDF;
- recall, when a recall is opened: enterprise, lots, its EPCIS event, and the hash of its
  texts;
- commitment, when an application to a label programme is approved: its version, the one
  it revises, and the SHA-256 of its canonical document (`integrity.commitments`);
- certificate, when one is issued: number, holder, programme, products, validity, the
  commitment's hash and the SHA-256 of the PDF; certificate_revoked, with the hash of the
  reason;
- announcement, when the association publishes one (integrity.actions.announcements):
  the hashes of its texts, of the list of approved enterprises and of its attachments.
"""

import hashlib
import json
from json.encoder import encode_basestring as _json_string  # as json.dumps writes a str

from django.db import connection

from trustlabel.copying import copy_now, copy_text

from .actions import RECORD_VERSION, do_append
from .actions import canonical_sha256 as _sha256
from .models import Entry


def subject_of(instance) -> str:
    """How an entry names the record it is about: "app_label.model:pk"."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def label_order_issued(order) -> Entry:
    fields = {
        "order": order.pk,
        "enterprise": order.organisation_id,
        "gtin": order.product.gtin,
        "lot": order.lot.lot_number,
        "key_version": order.key_version_id,
        "serial_start": order.serial_start,
        "serial_end": order.serial_start + order.quantity,
        "layout": order.layout,
        "activation": order.activation,
        "issued_at": order.created_at.isoformat(),
    }
    return do_append("label_order", subject_of(order), {**fields, "sha256": _sha256(fields)})


def inspection_report_attached(report) -> Entry:
    fields = {
        "report": report.pk,
        "report_number": report.report_number,
        "lot": report.lot_id,
        "gtin": report.lot.product.gtin,
        "result": report.result,
        "inspected_on": report.inspected_on.isoformat(),
        "file_sha256": report.sha256,
    }
    return do_append("inspection_report", subject_of(report), fields)


def recall_opened(recall) -> Entry:
    texts = {
        "reason": recall.reason,
        "hazard": recall.hazard,
        "instructions": recall.instructions,
        "contact": recall.contact,
    }
    fields = {
        "recall": recall.pk,
        "enterprise": recall.organisation_id,
        "lots": sorted(lot.pk for lot in recall.lots.all()),
        "opened_at": recall.opened_at.isoformat(),
        "event": recall.event.event_id if recall.event else None,
        "texts_sha256": _sha256(texts),
    }
    return do_append("recall", subject_of(recall), fields)


TRACE_EVENT_COLUMNS = ["kind", "subject", "data", "created_at"]


def trace_event_entries(events) -> list[tuple]:
    """The entries of stored EPCIS events, one each, as values of TRACE_EVENT_COLUMNS:
    written by capture beside the events (by COPY on PostgreSQL, ten thousand at a time)."""
    return [
        (
            "trace_event",
            f"trace.event:{event.pk}",  # subject_of(event)
            _trace_event_record(event.event_id, event.cbv_hash, event.body_sha256),
            event.record_time,
        )
        for event in events
    ]


def _trace_event_record(event_id: str, hash_id: str, sha256: str) -> bytes:
    """record_bytes("trace_event", {"eventID": event_id, "hashID": hash_id, "sha256":
    sha256}) written out by hand (the test checks they agree): for the 10,000 events of a
    document, the json module's sorting and escaping took longer than the rest of the
    entries. hashID is the event's CBV 2.0 event hash, whatever its ID."""
    return (
        f'{{"eventID":{_json_string(event_id)},"hashID":{_json_string(hash_id)},'
        f'"kind":"trace_event","sha256":"{sha256}","v":{RECORD_VERSION}}}'
    ).encode()


def trace_events_copy(events) -> tuple[str, str]:
    """The COPY of the entries of stored EPCIS events (see copying.copy_text)."""
    rows = trace_event_entries(events)
    return copy_text(Entry, TRACE_EVENT_COLUMNS, rows, _entry_line, backslashes=2 * len(rows))


def _entry_line(row: tuple) -> str:
    """An entry's line of COPY's text: its record as bytea's hex form."""
    kind, subject, data, created_at = row
    return f"{kind}\t{subject}\t\\\\x{data.hex()}\t{created_at}\n"


def trace_events_stored(events) -> None:
    """The entries of stored EPCIS events (see trace_event_entries): by COPY on
    PostgreSQL, as capture writes them, else in bulk."""
    if connection.vendor == "postgresql":
        copy_now([trace_events_copy(events)])
        return
    rows = trace_event_entries(events)
    Entry.objects.bulk_create(
        [Entry(**dict(zip(TRACE_EVENT_COLUMNS, row, strict=True))) for row in rows],
        batch_size=2000,
    )


def entry_of(instance, kind: str) -> Entry | None:
    """The ledger entry of a record, when it has one (integrated or still queued)."""
    return Entry.objects.filter(subject=subject_of(instance), kind=kind).first()


def scan_leaf(scan) -> bytes:
    """One check of the scan log as a digest leaf: what was checked, when, with what
    answer (the requester only as the keyed hash the log already holds)."""
    return json.dumps(
        {
            "id": scan.pk,
            "checked_at": scan.checked_at.isoformat(),
            "channel": scan.channel,
            "verdict": scan.verdict,
            "order": scan.order_id,
            "key_version": scan.key_version,
            "serial": scan.serial,
            "check_number": scan.check_number,
            "lat": str(scan.lat) if scan.lat is not None else None,
            "lon": str(scan.lon) if scan.lon is not None else None,
            "requester": scan.requester,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 root of the leaves (their data, hashed as leaves here)."""
    from .merkle import leaf_hash, node_hash

    level = [leaf_hash(leaf) for leaf in leaves]
    if not level:
        return hashlib.sha256(b"").digest()

    def root(hashes: list[bytes]) -> bytes:
        if len(hashes) == 1:
            return hashes[0]
        split = 1 << ((len(hashes) - 1).bit_length() - 1)
        return node_hash(root(hashes[:split]), root(hashes[split:]))

    return root(level)


def scan_digest(organisation, day, scans: list) -> Entry:
    """A day's checks of one enterprise's codes in one entry: their number and the Merkle
    root over them (leaves in scan log order), so that every scan is covered by the log
    without an entry each; anyone holding the day's scan log can recompute it."""
    fields = {
        "enterprise": organisation.pk,
        "day": day.isoformat(),
        "count": len(scans),
        "root": merkle_root([scan_leaf(s) for s in scans]).hex(),
    }
    return do_append("scan_digest", f"{subject_of(organisation)}/scans/{day.isoformat()}", fields)


def commitment_approved(application) -> Entry:
    fields = {
        "application": application.pk,
        "enterprise": application.organisation_id,
        "programme": application.programme.code,
        "version": application.version,
        "revises": application.revises_id,
        "approved_at": application.approved_at.isoformat(),
        "sha256": application.content_sha256,
    }
    return do_append("commitment", subject_of(application), fields)


def certificate_issued(certificate) -> Entry:
    application = certificate.application
    fields = {
        "certificate": certificate.number,
        "enterprise": certificate.organisation_id,
        "programme": certificate.programme.code,
        "application": application.pk,
        "commitment_sha256": application.content_sha256,
        "gtins": sorted(c.product.gtin for c in application.covered_products.all()),
        "valid_from": certificate.valid_from.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "issued_at": certificate.issued_at.isoformat(),
        "pdf_sha256": certificate.pdf_sha256,
    }
    return do_append("certificate", subject_of(certificate), fields)


def certificate_revoked(certificate) -> Entry:
    fields = {
        "certificate": certificate.number,
        "revoked_at": certificate.revoked_at.isoformat(),
        "reason_sha256": hashlib.sha256(certificate.revocation_reason.encode()).hexdigest(),
    }
    return do_append("certificate_revoked", subject_of(certificate), fields)
