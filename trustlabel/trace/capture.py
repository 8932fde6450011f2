"""Capturing EPCIS events: validate, identify, store once, index.

Every way an event enters the repository (POST /epcis/events, POST /epcis/capture, and
later the platform's own commissioning, shipping and recall actions) ends in `store()`.
An event is kept as captured, with the @context it came with, its event ID (the CBV 2.0
event hash when it had none) and the record time; an event met again (the same event ID,
the same content) is stored once.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Product

from .hashing import event_hash_id
from .identifiers import epc_key
from .models import Event, EventEPC, EventParty, EventQuantity
from .schema import Problem
from .vocabulary import short_cbv

# Where the event types name instance-level and class-level identifiers.
_EPC_FIELDS = (
    ("epcList", EventEPC.Role.EPC),
    ("childEPCs", EventEPC.Role.CHILD),
    ("inputEPCList", EventEPC.Role.INPUT),
    ("outputEPCList", EventEPC.Role.OUTPUT),
)
_QUANTITY_FIELDS = (
    ("quantityList", EventQuantity.Role.QUANTITY),
    ("childQuantityList", EventQuantity.Role.CHILD),
    ("inputQuantityList", EventQuantity.Role.INPUT),
    ("outputQuantityList", EventQuantity.Role.OUTPUT),
)
_GTIN_PREFIX = "https://id.gs1.org/01/"


@dataclass
class Prepared:
    """An event ready to store: its body as it will be kept, and its CBV hash."""

    body: dict
    cbv_hash: str

    @property
    def key(self) -> tuple[str, bool]:
        return self.body["eventID"], "errorDeclaration" in self.body


@dataclass
class Outcome:
    """What a capture did: events stored now, events stored before, and conflicts (an
    event ID already stored with other content)."""

    stored: list[Event] = field(default_factory=list)
    already: list[Event] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)


def prepare(event: dict, context=None) -> Prepared:
    """The event as it will be stored: with its own @context (the document's, when it
    came in one and has none, so that its extension fields keep their meaning on their
    own) and an event ID (the CBV hash when it had none)."""
    body = dict(event)
    if context is not None and "@context" not in body:
        body = {"@context": context, **body}
    cbv_hash = event_hash_id(body)
    if not body.get("eventID"):
        body["eventID"] = cbv_hash
    return Prepared(body, cbv_hash)


@transaction.atomic
def store(events: list[Prepared], organisation: Organisation | None, job=None) -> Outcome:
    """Stores the events not stored yet, with their index rows, in one transaction.

    An event whose ID is stored already is not stored again: with the same content (the
    same CBV hash and error declaration) it is a repeat, with other content a conflict.
    The caller decides whether a conflict undoes the capture (raise to roll back)."""
    outcome = Outcome()
    wanted: dict[tuple[str, bool], tuple[int, Prepared]] = {}
    for index, event in enumerate(events):
        first = wanted.setdefault(event.key, (index, event))[1]
        if first is not event and not _same(first, event):
            outcome.conflicts.append(_conflict(index, event))
    ids = {event_id for event_id, _ in wanted}
    existing = {(e.event_id, e.declares_error): e for e in Event.objects.filter(event_id__in=ids)}
    now = timezone.now()
    rows = []
    for key, (index, event) in wanted.items():
        stored = existing.get(key)
        if stored is None:
            rows.append(_row(event, now, organisation, job))
        elif stored.cbv_hash == event.cbv_hash and stored.body.get(
            "errorDeclaration"
        ) == event.body.get("errorDeclaration"):
            outcome.already.append(stored)
        else:
            outcome.conflicts.append(_conflict(index, event))
    Event.objects.bulk_create(rows, batch_size=2000)
    epcs = {event: _epc_rows(event) for event in rows}
    quantities = {event: _quantity_rows(event) for event in rows}
    EventEPC.objects.bulk_create([r for e in rows for r in epcs[e]], batch_size=5000)
    EventQuantity.objects.bulk_create([r for e in rows for r in quantities[e]], batch_size=5000)
    EventParty.objects.bulk_create(
        _party_rows(rows, epcs, quantities), batch_size=5000, ignore_conflicts=True
    )
    outcome.stored = rows
    return outcome


def _same(a: Prepared, b: Prepared) -> bool:
    return a.cbv_hash == b.cbv_hash and a.body.get("errorDeclaration") == b.body.get(
        "errorDeclaration"
    )


def _conflict(index: int, event: Prepared) -> Problem:
    return Problem(
        index,
        "eventID",
        f"An event with the ID {event.body['eventID']} and other content is stored already.",
    )


def canonical_json(body: dict) -> str:
    """The stored form as the ledger hashes it: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row(event: Prepared, now: dt.datetime, organisation, job) -> Event:
    body = {**event.body, "recordTime": time_text(now)}
    return Event(
        event_id=body["eventID"],
        declares_error="errorDeclaration" in body,
        cbv_hash=event.cbv_hash,
        event_type=body["type"],
        event_time=parse_time(body["eventTime"]),
        record_time=now,
        action=body.get("action", ""),
        biz_step=short_cbv(body.get("bizStep", "")),
        disposition=short_cbv(body.get("disposition", "")),
        read_point=epc_key(_id_of(body.get("readPoint"))),
        biz_location=epc_key(_id_of(body.get("bizLocation"))),
        body=body,
        body_sha256=hashlib.sha256(canonical_json(body).encode()).hexdigest(),
        captured_by=organisation,
        capture=job,
    )


def parse_time(text: str) -> dt.datetime:
    """An EPCIS timestamp (RFC 3339, with an offset or Z) as an aware datetime."""
    moment = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text}: a time needs its offset")
    return moment


def time_text(moment: dt.datetime) -> str:
    """An instant as EPCIS writes it: UTC, milliseconds, Z."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _id_of(value) -> str:
    return value.get("id", "") if isinstance(value, dict) else ""


def _epc_rows(event: Event) -> list[EventEPC]:
    body = event.body
    rows = [
        EventEPC(event=event, epc=epc_key(epc), role=role)
        for name, role in _EPC_FIELDS
        for epc in body.get(name) or ()
        if isinstance(epc, str)
    ]
    if isinstance(body.get("parentID"), str):
        rows.append(EventEPC(event=event, epc=epc_key(body["parentID"]), role="parent"))
    return rows


def _quantity_rows(event: Event) -> list[EventQuantity]:
    return [
        EventQuantity(
            event=event,
            epc_class=epc_key(item["epcClass"]),
            role=role,
            quantity=item.get("quantity"),
            uom=item.get("uom", ""),
        )
        for name, role in _QUANTITY_FIELDS
        for item in event.body.get(name) or ()
        if isinstance(item, dict) and isinstance(item.get("epcClass"), str)
    ]


def _party_rows(events: list[Event], epcs: dict, quantities: dict) -> list[EventParty]:
    """Who may see each event: whoever captured it, and the owners of the products it
    names (by GTIN, from its index rows)."""
    gtins_of = {}
    for event in events:
        keys = [row.epc for row in epcs[event]] + [row.epc_class for row in quantities[event]]
        gtins_of[event] = {
            key[len(_GTIN_PREFIX) :][:14] for key in keys if key.startswith(_GTIN_PREFIX)
        }
    all_gtins = set().union(*gtins_of.values()) if gtins_of else set()
    owners = dict(Product.objects.filter(gtin__in=all_gtins).values_list("gtin", "organisation_id"))
    rows = []
    for event, gtins in gtins_of.items():
        if event.captured_by_id:
            rows.append(
                EventParty(event=event, organisation_id=event.captured_by_id, reason="captured")
            )
        for organisation_id in {owners[g] for g in gtins if g in owners}:
            rows.append(EventParty(event=event, organisation_id=organisation_id, reason="owner"))
    return rows
