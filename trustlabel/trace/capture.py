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

from django.db import connection, transaction
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


def prepare_all(events: list, context, places: list) -> tuple[list[Prepared], list[Problem]]:
    """The events ready to store, and the problems of those whose event hash could not be
    computed (named by `places`, their places in the document)."""
    prepared, problems = [], []
    for event, place in zip(events, places, strict=True):
        try:
            prepared.append(prepare(event, context))
        except ValueError as e:
            problems.append(Problem(place, "", str(e)))
    return prepared, problems


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
    _insert(rows)
    outcome.stored = rows
    return outcome


def _insert(events: list[Event]) -> None:
    """The events and their index rows: by COPY on PostgreSQL (the event IDs taken from
    the table's sequence first, so that the index rows can name them), else in bulk."""
    # Unsaved events cannot be dictionary keys: their index rows go by position.
    epcs = [_epc_keys(event) for event in events]
    quantities = [_quantity_keys(event) for event in events]
    parties = _parties(events, epcs, quantities)
    if connection.vendor != "postgresql":
        Event.objects.bulk_create(events, batch_size=2000)
        rows = [
            EventEPC(event=e, epc=k, role=r)
            for e, keys in zip(events, epcs, strict=True)
            for r, k in keys
        ]
        EventEPC.objects.bulk_create(rows, batch_size=5000)
        rows = [
            EventQuantity(event=e, epc_class=k, role=r, quantity=q, uom=u)
            for e, keys in zip(events, quantities, strict=True)
            for r, k, q, u in keys
        ]
        EventQuantity.objects.bulk_create(rows, batch_size=5000)
        rows = [EventParty(event=events[i], organisation_id=o, reason=r) for i, o, r in parties]
        EventParty.objects.bulk_create(rows, batch_size=5000)
        return
    if not events:
        return
    fields = Event._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Event._meta.db_table, len(events)],
        )
        for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
            event.pk = pk
            event._state.adding, event._state.db = False, connection.alias
        _copy(
            cursor,
            Event,
            [f.column for f in fields],
            (
                [e.body_text if f.name == "body" else getattr(e, f.attname) for f in fields]
                for e in events
            ),
        )
        _copy(
            cursor,
            EventEPC,
            ["event_id", "epc", "role"],
            ((e.pk, k, r) for e, keys in zip(events, epcs, strict=True) for r, k in keys),
        )
        _copy(
            cursor,
            EventQuantity,
            ["event_id", "epc_class", "role", "quantity", "uom"],
            (
                (e.pk, k, r, q, u)
                for e, keys in zip(events, quantities, strict=True)
                for r, k, q, u in keys
            ),
        )
        _copy(
            cursor,
            EventParty,
            ["event_id", "organisation_id", "reason"],
            ((events[i].pk, o, r) for i, o, r in parties),
        )


def _copy(cursor, model, columns: list[str], rows) -> None:
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


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
    text = canonical_json(body)
    event = Event(
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
        body_sha256=hashlib.sha256(text.encode()).hexdigest(),
        captured_by=organisation,
        capture=job,
    )
    event.body_text = text  # written as it is by COPY
    return event


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


def _epc_keys(event: Event) -> list[tuple[str, str]]:
    """(role, key) of each instance-level identifier the event names."""
    body = event.body
    keys = [
        (role, epc_key(epc))
        for name, role in _EPC_FIELDS
        for epc in body.get(name) or ()
        if isinstance(epc, str)
    ]
    if isinstance(body.get("parentID"), str):
        keys.append((EventEPC.Role.PARENT, epc_key(body["parentID"])))
    return keys


def _quantity_keys(event: Event) -> list[tuple]:
    """(role, key, quantity, unit) of each class-level identifier the event names."""
    return [
        (role, epc_key(item["epcClass"]), item.get("quantity"), item.get("uom", ""))
        for name, role in _QUANTITY_FIELDS
        for item in event.body.get(name) or ()
        if isinstance(item, dict) and isinstance(item.get("epcClass"), str)
    ]


def _parties(events: list[Event], epcs: list, quantities: list) -> list[tuple]:
    """(event's position, organisation id, reason): who may see each event. Whoever
    captured it, and the owners of the products it names (by GTIN)."""
    gtins_of = []
    for keys, classes in zip(epcs, quantities, strict=True):
        names = [key for _, key in keys] + [q[1] for q in classes]
        gtins_of.append({k[len(_GTIN_PREFIX) :][:14] for k in names if k.startswith(_GTIN_PREFIX)})
    all_gtins = set().union(*gtins_of) if gtins_of else set()
    owners = dict(Product.objects.filter(gtin__in=all_gtins).values_list("gtin", "organisation_id"))
    rows = []
    for index, (event, gtins) in enumerate(zip(events, gtins_of, strict=True)):
        if event.captured_by_id:
            rows.append((index, event.captured_by_id, EventParty.Reason.CAPTURED))
        for organisation_id in sorted({owners[g] for g in gtins if g in owners}):
            rows.append((index, organisation_id, EventParty.Reason.OWNER))
    return rows
