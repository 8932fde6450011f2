"""Capturing EPCIS events: validate, identify, store once, index.

Every way an event enters the repository (POST /epcis/events, POST /epcis/capture, and
later the platform's own commissioning, shipping and recall actions) ends in `store()`.
An event is kept as captured, with the @context it came with, its event ID (the CBV 2.0
event hash when it had none) and the record time; an event met again (the same event ID,
the same content) is stored once.

Capture keeps up with a packing line (docs/benchmarks.md, "EPCIS capture"): a capture
job's document is stored chunk by chunk while a forked copy of the process hashes the
chunks ahead, and on PostgreSQL each chunk's rows (events, index rows, ledger entries,
containments) go by COPY, sent by a thread of their own while the next chunk's are made,
so that Python works on both cores while the database stores.
"""

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import multiprocessing
import os
import queue
import sys
import threading
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Product
from trustlabel.copying import (
    COPY_NULL,
    IN_TEXTS,
    Copier,
    by_index,
    copy_now,
    copy_text,
    plain_line,
    text_array,
)
from trustlabel.ledger import records as ledger
from trustlabel.ledger.actions import canonical_json

from .hashing import event_hash_id
from .identifiers import epc_key
from .logistics import (
    Packing,
    containments_copy,
    index_aggregations,
    open_containments,
    packing_keys,
    packing_of,
    packing_steps,
)
from .models import (
    Containment,
    Event,
    EventEPC,
    EventParty,
    EventQuantity,
)
from .schema import Problem
from .vocabulary import short_cbv

# Where the event types name instance-level and class-level identifiers. Plain strings:
# the keys of a document's events cross a pipe (store_document).
_EPC_FIELDS = (
    ("epcList", EventEPC.Role.EPC.value),
    ("childEPCs", EventEPC.Role.CHILD.value),
    ("inputEPCList", EventEPC.Role.INPUT.value),
    ("outputEPCList", EventEPC.Role.OUTPUT.value),
)
_PARENT = EventEPC.Role.PARENT.value
_CHILD = EventEPC.Role.CHILD.value
_QUANTITY_FIELDS = (
    ("quantityList", EventQuantity.Role.QUANTITY.value),
    ("childQuantityList", EventQuantity.Role.CHILD.value),
    ("inputQuantityList", EventQuantity.Role.INPUT.value),
    ("outputQuantityList", EventQuantity.Role.OUTPUT.value),
)
_GTIN_PREFIX = "https://id.gs1.org/01/"

# A capture job's document is stored in chunks of CHUNK events; from PIPELINE_FROM events
# on, a forked copy of the process hashes the chunks after the first while this one stores
# (forking a process that holds a large document takes some 20 ms).
CHUNK = 2000
PIPELINE_FROM = 2 * CHUNK


@dataclass(slots=True)
class Prepared:
    """An event ready to store: its body as it will be kept, its CBV hash, and the keys of
    the identifiers it names, (role, key) and (role, key, quantity, unit), worked out
    beside the hash, while their canonical forms are in identifiers.canonical's cache."""

    body: dict
    cbv_hash: str
    epcs: list[tuple[str, str]] = field(default_factory=list)
    quantities: list[tuple] = field(default_factory=list)
    # What the event packs or unpacks (logistics.packing_of), and the GTINs of the
    # products it names (whose owners may see it).
    packing: tuple | None = None
    gtins: set[str] = field(default_factory=set)
    # Its stored form as text, with the record time, and the text's SHA-256, when made
    # ahead by the forked copy (store_document).
    stored_form: tuple[str, str] | None = None

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
    # (role, key) of the identifiers each stored event names, by the event's pk: for the
    # logistics tables, without working the keys out again.
    epcs: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    # Whether the stored events' containments are derived already (logistics.Packing).
    packed: bool = False


def prepare(event: dict, context=None) -> Prepared:
    """The event as it will be stored: with its own @context (the document's, when it
    came in one and has none, so that its extension fields keep their meaning on their
    own) and an event ID (the CBV hash when it had none)."""
    body = _with_context(event, context)
    epcs, quantities = identifier_keys(body), _quantity_keys(body)
    packing = packing_of(body.get("type"), body.get("action"), epcs)
    return _identified(
        body, event_hash_id(body), epcs, quantities, packing, _gtins(epcs, quantities)
    )


def _with_context(event: dict, context) -> dict:
    if context is not None and "@context" not in event:
        return {"@context": context, **event}
    return dict(event)


def _identified(body: dict, cbv_hash: str, *keys_and_form) -> Prepared:
    if not body.get("eventID"):
        body["eventID"] = cbv_hash
    return Prepared(body, cbv_hash, *keys_and_form)


def prepare_all(events: list, context, places: list) -> tuple[list[Prepared], list[Problem]]:
    """The events ready to store, and the problems of those whose event hash could not be
    computed (named by `places`, their places in the document)."""
    prepared, _, problems = _sorted_out(events, context, places, _identities(events, context))
    return prepared, problems


def _identities(events: list, context, now: dt.datetime | None = None) -> list[tuple | str]:
    """(CBV hash, EPC keys, quantity keys, packing, GTINs, stored form) of each event (see
    Prepared), or why it has no hash: what crosses the pipe from the forked copy (which
    has the events already). The stored form with the record time, `now`."""
    identities = []
    for event in events:
        try:
            prepared = prepare(event, context)
        except ValueError as e:
            identities.append(str(e))
        else:
            form = _stored_form(prepared.body, now) if now else None
            identities.append(
                (
                    prepared.cbv_hash,
                    prepared.epcs,
                    prepared.quantities,
                    prepared.packing,
                    prepared.gtins,
                    form,
                )
            )
    return identities


def _sorted_out(events: list, context, places: list, identities: list) -> tuple:
    """The prepared events, their places, and the problems of the others."""
    prepared, at, problems = [], [], []
    for event, place, identity in zip(events, places, identities, strict=True):
        if isinstance(identity, str):
            problems.append(Problem(place, "", identity))
        else:
            prepared.append(_identified(_with_context(event, context), *identity))
            at.append(place)
    return prepared, at, problems


# The key of the lock one_capture_at_a_time() takes: any number, the same everywhere.
CAPTURE_LOCK = 0x7472616365  # "trace" in ASCII


def one_capture_at_a_time() -> None:
    """Wait for, and hold to the end of the caller's transaction, the lock that lets one
    transaction at a time store events (on PostgreSQL; SQLite has one writer anyway).
    What capture derives reads what the events before it left: containments (what is
    in a case when it is unpacked, shipped or recalled) and the event IDs stored. Two
    captures at once would each miss the other's: a case packed by one document and
    shipped by another would ship empty. A capture job of 10,000 events holds it for
    about 2 s; a worker stores one job at a time anyway."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CAPTURE_LOCK])


@transaction.atomic
def store(events: list[Prepared], organisation: Organisation | None, job=None) -> Outcome:
    """Stores the events not stored yet, with their index rows, in one transaction.

    An event whose ID is stored already is not stored again: with the same content (the
    same CBV hash and error declaration) it is a repeat, with other content a conflict.
    The caller decides whether a conflict undoes the capture (raise to roll back)."""
    one_capture_at_a_time()
    with collector_paused():
        storing = _Storing(organisation, job)
        storing.add(events, range(len(events)))
        return storing.outcome


def store_document(
    events: list, context, places: list, organisation: Organisation, job, rollback: bool
) -> tuple[Outcome, list[Problem]]:
    """prepare_all() and store() for a capture job's events, in the caller's transaction,
    and the problems named by place: events without a hash, then conflicts. In `rollback`
    mode, once an event has no hash nothing more is stored and only those problems count
    (the caller undoes the transaction), as if all had been hashed before storing.

    The events are stored chunk after chunk; a large document's chunks are hashed and
    made into rows ahead by a forked copy of this process while this one stores, so that
    most of the Python work runs beside the database's."""
    one_capture_at_a_time()
    storing, problems = _Storing(organisation, job), []
    ahead = _identities_ahead(events, context, storing.now)
    with (
        collector_paused(),
        contextlib.closing(ahead),  # closing stops the forked copy
        storing.copying_aside(),
    ):
        for start, identities in ahead:
            chunk = slice(start, start + len(identities))
            prepared, at, refused = _sorted_out(events[chunk], context, places[chunk], identities)
            problems += refused
            if not (rollback and problems):
                storing.add(prepared, at)
    if rollback and problems:
        return Outcome(), problems
    return storing.outcome, problems + storing.outcome.conflicts


def _identities_ahead(events: list, context, now: dt.datetime | None = None):
    """(start, identities) for each chunk of the events, in turn (see _identities). From
    PIPELINE_FROM events on, a forked copy of this process works out the chunks after the
    first and sends them as it goes, while the caller stores; without fork, or if the copy
    dies or stalls, they are worked out here. The first chunk is small, so that storing
    starts soon.

    The copy inherits the events (nothing is pickled on the way in) and leaves by
    os._exit, so it never touches this process's database connections."""
    process = receiver = None
    if len(events) >= PIPELINE_FROM and _can_fork():
        fork = multiprocessing.get_context("fork")
        receiver, sender = fork.Pipe(duplex=False)
        process = fork.Process(target=_send_identities, args=(sender, events, context, now))
        process.daemon = True
        try:
            process.start()
        except OSError:  # no memory or no process left for a copy
            process = None
        sender.close()
    helped, done = process is not None, False
    inbox, reading = _reading(receiver) if helped else (None, None)
    try:
        for start, end in _chunks(len(events)):
            identities = None
            if helped and start > 0:
                identities = _received(inbox)
                helped = identities is not None
            if identities is None:
                identities = _identities(events[start:end], context, now)
            yield start, identities
        done = True
    finally:
        if process is not None:
            process.join(timeout=1 if done else 0)
            if process.is_alive():
                process.kill()  # given up on, or stalled: what it works on is not wanted
                process.join()
        if reading is not None:
            reading.join()  # to the end of what the copy sent: it has left
        if receiver is not None:
            receiver.close()


# How long the forked copy may take over a chunk (some 0.1 s) before this process does it.
_PATIENCE = 60


def _reading(receiver) -> tuple[queue.SimpleQueue, threading.Thread]:
    """What the forked copy sends, read by a thread of its own as soon as it comes, so
    that the copy never waits for this process to take a chunk; None at the end (the copy
    has left). The queue, and the thread."""
    inbox = queue.SimpleQueue()

    def read() -> None:
        try:
            while True:
                inbox.put(receiver.recv())
        except (EOFError, OSError):
            inbox.put(None)

    thread = threading.Thread(target=read, name="identities", daemon=True)
    thread.start()
    return inbox, thread


def _received(inbox: queue.SimpleQueue) -> list | None:
    """The next chunk's identities from the forked copy, None if it died or stalls."""
    try:
        return inbox.get(timeout=_PATIENCE)
    except queue.Empty:
        return None


def _send_identities(sender, events: list, context, now: dt.datetime | None) -> None:
    """In the forked copy: the identities of each chunk but the first, in turn."""
    for start, end in _chunks(len(events))[1:]:
        sender.send(_identities(events[start:end], context, now))
    sender.close()


def _chunks(count: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of `count` events: a quarter CHUNK first (hashed by this
    process), half a CHUNK next (the forked copy has it ready by the time the first is
    stored), then CHUNKs."""
    quarter, half = max(CHUNK // 4, 1), max(CHUNK // 2, 1)
    starts = [
        start for start in (0, quarter, *range(quarter + half, count, CHUNK)) if start < count
    ]
    return list(zip(starts, [*starts[1:], count], strict=True))


def _can_fork() -> bool:
    """Whether this process may fork a helper: where fork is safe (not macOS, whose system
    libraries may not survive it; not Windows, which has none), and not a daemonic process
    of multiprocessing (which may have no children)."""
    return (
        os.name == "posix"
        and sys.platform != "darwin"
        and not multiprocessing.current_process().daemon
    )


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector paused while a document is read and its events are made
    into rows: that makes many objects and no cycles, and each collection would walk the
    whole document held in memory again (a fifth of the time, measured, and as much again
    for the logistics tables)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Storing:
    """Events stored chunk after chunk in one transaction, each once (see store()), with
    one record time."""

    def __init__(self, organisation: Organisation | None, job):
        # The columns every event of the capture shares.
        self.organisation_id = organisation.pk if organisation else None
        self.job_id = job.pk if job else None
        self.now = timezone.now()
        self.outcome = Outcome()
        self.met: dict[tuple[str, bool], Prepared] = {}  # the first event of each key
        self.owners: dict[str, int] = {}  # products' organisations by GTIN, as looked up
        self.looked_up: set[str] = set()
        self.copier: Copier | None = None  # see copying_aside()
        self.packing: Packing | None = None
        self.unsent: list[tuple[str, str]] = []  # the COPYs of the chunk before

    @contextlib.contextmanager
    def copying_aside(self):
        """On PostgreSQL, COPYs sent by a thread of their own, a chunk behind: while
        PostgreSQL stores a chunk's rows, this thread makes the next chunk's."""
        if connection.vendor != "postgresql":
            yield
            return
        self.packing = Packing()
        _event_sequence()  # looked up (once) while the connection is this thread's
        with Copier() as self.copier:
            yield
            self.copier.send(self.unsent)
            self.copier.wait()
        self.copier, self.unsent = None, []
        self._packed()

    def _packed(self) -> None:
        """The containments of the document, derived chunk by chunk (see Packing), written
        back; or derived again at once, where chunk by chunk did not give the same."""
        if self.packing.redo:
            pks = [event.pk for event in self.outcome.stored]
            # By child, which is indexed (the event is not), then by event.
            children = {key for pk in pks for role, key in self.outcome.epcs[pk] if role == "child"}
            with connection.cursor() as cursor, by_index():
                cursor.execute(
                    f"DELETE FROM {Containment._meta.db_table} "  # noqa: S608
                    f"WHERE child {IN_TEXTS} AND event_id = ANY(%s)",
                    [text_array(children), pks],
                )
            index_aggregations(self.outcome.stored, self.outcome.epcs)
        else:
            self.packing.finish()
        self.packing, self.outcome.packed = None, True

    def add(self, events: list[Prepared], indexes) -> None:
        """Stores the events not stored yet; `indexes` name them in conflicts.

        On PostgreSQL, what the chunk needs from the database (events stored before,
        product owners, open containments, ids) is asked in one go, and the COPYs of the
        chunk before are sent right behind the question: PostgreSQL answers as soon as
        the COPYs before are done and goes on to the next at once, while this thread
        makes the chunk's rows. Nothing asked depends on the chunk before's rows: its
        repeats are found here (_first) and its containments are in self.packing."""
        first = self._first(events, indexes)
        if connection.vendor != "postgresql":
            new = self._not_stored(first, _stored_already(_event_ids(first)))
            self.outcome.stored += self._created(new)
            return
        gtins = {event.key: event.gtins for _, event in first}
        unknown = self._unknown(gtins.values())
        packed = (set(), set())
        if self.packing is not None:
            packed = self.packing.unread(
                *packing_keys(e.packing for _, e in first if e.packing is not None)
            )
        question = functools.partial(
            _look_up,
            event_ids=text_array(_event_ids(first)),
            products=_owners_query(unknown),
            packed=packed,
            count=len(first),
            sequence=_event_sequence(),
        )
        if self.copier is None:
            connection.ensure_connection()
            found = question(connection.connection)
        else:
            answer = self.copier.ask(question)
            self.copier.send(self.unsent)
            self.unsent = []
            found = answer.result()
        self.owners.update(found.owners)
        if found.stored and self.copier is not None:
            self.copier.wait()  # the connection is this thread's again
        new = self._not_stored(first, _events_by_key(found.stored))
        parties = self._parties([gtins[event.key] for event in new])
        if self.packing is not None:
            self.packing.take(found.containments)  # those of events stored already too: no harm
        copies = self._copies(new, found.pks[: len(new)], parties)
        if self.copier is None:
            copy_now(copies)
        else:
            self.unsent = copies

    def _first(self, events: list[Prepared], indexes) -> list[tuple[int, Prepared]]:
        """(index, event) of the events met first in this capture, each once. Repeats of
        an event met before with other content go in the outcome as conflicts."""
        first: dict[tuple[str, bool], tuple[int, Prepared]] = {}
        for index, event in zip(indexes, events, strict=True):
            met = self.met.setdefault(event.key, event)
            if met is event:
                first[event.key] = (index, event)
            elif not _same(met, event):
                self.outcome.conflicts.append(_conflict(index, event))
        return list(first.values())

    def _not_stored(self, first: list[tuple[int, Prepared]], existing: dict) -> list[Prepared]:
        """The events (see _first) not stored before (`existing`: those stored before, by
        key). Those stored before go in the outcome: as stored already with the same
        content, else as conflicts."""
        rows = []
        for index, event in first:
            stored = existing.get(event.key)
            if stored is None:
                rows.append(event)
            elif stored.cbv_hash == event.cbv_hash and stored.body.get(
                "errorDeclaration"
            ) == event.body.get("errorDeclaration"):
                self.outcome.already.append(stored)
            else:
                self.outcome.conflicts.append(_conflict(index, event))
        return rows

    def _created(self, events: list[Prepared]) -> list[Event]:
        """The events, their index rows and ledger entries, created in bulk (not on
        PostgreSQL)."""
        if not events:
            return []
        gtins = [event.gtins for event in events]
        if unknown := self._unknown(gtins):
            products = Product.objects.filter(gtin__in=unknown)
            self.owners.update(products.values_list("gtin", "organisation_id"))
        parties = self._parties(gtins)
        stored = [Event(**self._values(event)[0]) for event in events]
        Event.objects.bulk_create(stored, batch_size=2000)
        rows = [
            EventEPC(event=e, position=i, epc=k, role=r)
            for e, p in zip(stored, events, strict=True)
            for i, r, k in _indexed_epcs(p)
        ]
        EventEPC.objects.bulk_create(rows, batch_size=5000)
        rows = [
            EventQuantity(event=e, epc_class=k, role=r, quantity=q, uom=u)
            for e, p in zip(stored, events, strict=True)
            for r, k, q, u in p.quantities
        ]
        EventQuantity.objects.bulk_create(rows, batch_size=5000)
        rows = [EventParty(event=stored[i], organisation_id=o, reason=r) for i, o, r in parties]
        EventParty.objects.bulk_create(rows, batch_size=5000)
        ledger.trace_events_stored(stored)
        self.outcome.epcs.update((e.pk, p.epcs) for e, p in zip(stored, events, strict=True))
        return stored

    def _copies(self, events: list[Prepared], pks: list[int], parties) -> list[tuple[str, str]]:
        """The COPYs of the events (with these ids), their index rows and their ledger
        entries, as (statement, text); the events go in the outcome. Python only: no
        query."""
        rows, stored, alias = [], [], connection.alias
        for pk, event in zip(pks, events, strict=True):
            values, text = self._values(event)
            values["id"] = pk
            stored.append(_loaded(values, alias))
            self.outcome.epcs[pk] = event.epcs
            rows.append((*map(values.__getitem__, _EVENT_COLUMNS[:-1]), text))
        self.outcome.stored += stored
        nulls = 0 if self.organisation_id is not None else len(rows)
        nulls += 0 if self.job_id is not None else len(rows)
        copies = [copy_text(Event, _EVENT_COLUMNS, rows, _event_line, backslashes=nulls)]
        copies += [
            copy_text(
                EventEPC,
                ["event_id", "position", "epc", "role"],
                [
                    (pk, position, key, role)
                    for pk, e in zip(pks, events, strict=True)
                    for position, role, key in _indexed_epcs(e)
                ],
                _epc_line,
            ),
            copy_text(
                EventQuantity,
                ["event_id", "epc_class", "role", "quantity", "uom"],
                [
                    (pk, key, role, quantity, unit)
                    for pk, e in zip(pks, events, strict=True)
                    for role, key, quantity, unit in e.quantities
                ],
            ),
            copy_text(
                EventParty,
                ["event_id", "organisation_id", "reason"],
                [
                    (pks[index], organisation_id, reason)
                    for index, organisation_id, reason in parties
                ],
                plain_line,
            ),
            ledger.trace_events_copy(stored),
        ]
        if self.packing is not None:
            steps = packing_steps(zip(stored, (e.packing for e in events), strict=True))
            self.packing.apply(steps)
            copies.append(containments_copy(self.packing.made()))
        return [(sql, text) for sql, text in copies if text]

    def _values(self, event: Prepared) -> tuple[dict, str]:
        """The event's row by attribute name, without its id, and its stored form."""
        body = {**event.body, "recordTime": _record_time(self.now)}
        text, sha256 = event.stored_form or _stored_form(event.body, self.now)
        values = {
            "event_id": body["eventID"],
            "declares_error": "errorDeclaration" in body,
            "cbv_hash": event.cbv_hash,
            "event_type": body["type"],
            "event_time": parse_time(body["eventTime"]),
            "record_time": self.now,
            "action": body.get("action", ""),
            "biz_step": _short_cbv(body.get("bizStep", "")),
            "disposition": _short_cbv(body.get("disposition", "")),
            "read_point": _place_key(_id_of(body.get("readPoint"))),
            "biz_location": _place_key(_id_of(body.get("bizLocation"))),
            "body": body,
            "body_sha256": sha256,
            "captured_by_id": self.organisation_id,
            "capture_id": self.job_id,
        }
        return values, text

    def _unknown(self, gtins) -> set[str]:
        """The GTINs among these sets whose products' owners are not looked up yet, taken
        as looked up from now on (the caller looks them up)."""
        unknown = set().union(*gtins) - self.looked_up
        self.looked_up |= unknown
        return unknown

    def _parties(self, gtins: list[set[str]]) -> list[tuple]:
        """(event's position, organisation id, reason): who may see each event besides
        whoever captured it (Event.captured_by): the owners of the products it names
        (`gtins`, by event; their owners looked up already)."""
        owners, owner = self.owners, EventParty.Reason.OWNER.value
        rows = []
        for index, named in enumerate(gtins):
            for organisation_id in sorted({owners[g] for g in named if g in owners}):
                rows.append((index, organisation_id, owner))
        return rows


@dataclass(slots=True)
class _Found:
    """What storing a chunk looks up in the database (see _look_up)."""

    stored: list[int]  # the ids of events stored before under the chunk's event IDs
    owners: list[tuple[str, int]]  # (GTIN, organisation id) of the products asked for
    containments: list  # the open containments asked for (logistics.Packing.unread)
    # Ids from the events' sequence, one for each event of the chunk: those found stored
    # before leave theirs unused (a sequence has gaps anyway).
    pks: list[int]


def _look_up(
    psycopg_connection,
    event_ids: str,
    products: tuple | None,
    packed: tuple,
    count: int,
    sequence: str,
) -> _Found:
    """What a chunk needs from the database (PostgreSQL), on a connection of psycopg in
    the capture's transaction (by the Copier's thread, or this one's): the events
    stored under these event IDs (text_array), the owners of products (a query and its
    parameters, or None), the open containments of (children, parents), and `count` new
    ids from the events' `sequence`. Keys go as one array parameter: Django takes longer
    to build an IN list of thousands of parameters than PostgreSQL takes to answer."""
    with psycopg_connection.cursor() as cursor:
        with by_index(cursor):
            cursor.execute(
                f"SELECT id FROM {Event._meta.db_table} WHERE event_id {IN_TEXTS}",  # noqa: S608
                [event_ids],
            )
            stored = [pk for (pk,) in cursor.fetchall()]
            containments = open_containments(*packed, cursor=cursor) if any(packed) else []
        owners = []
        if products is not None:
            cursor.execute(*products)
            owners = cursor.fetchall()
        pks = []
        if count:
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            pks = [pk for (pk,) in cursor.fetchall()]
    return _Found(stored, owners, containments, pks)


def _owners_query(gtins: set[str]) -> tuple | None:
    """The query (statement, parameters) of the owners of the products with these GTINs,
    as (GTIN, organisation id); None without GTINs."""
    if not gtins:
        return None
    products = Product.objects.filter(gtin__in=sorted(gtins)).values_list("gtin", "organisation_id")
    return products.query.sql_with_params()


def _event_ids(first: list[tuple[int, Prepared]]) -> set[str]:
    return {event.body["eventID"] for _, event in first}


def _gtins(epcs: list[tuple], quantities: list[tuple]) -> set[str]:
    """The GTINs of the products an event names (by its identifiers' keys)."""
    names = [key for _, key in epcs] + [q[1] for q in quantities]
    return {k[len(_GTIN_PREFIX) :][:14] for k in names if k.startswith(_GTIN_PREFIX)}


def _indexed_epcs(event: Prepared) -> list[tuple[int, str, str]]:
    """(position, role, key) of the identifiers an event names that EventEPC holds: all
    but the children an AggregationEvent packs, which Containment holds (see
    logistics.packing_of)."""
    if event.packing is not None and event.packing[0] == "ADD":
        return [(i, role, key) for i, (role, key) in enumerate(event.epcs) if role != _CHILD]
    return [(i, role, key) for i, (role, key) in enumerate(event.epcs)]


def _loaded(values: dict, alias: str) -> Event:
    """The Event of a row just stored in the database `alias`, from its values by
    attribute name, as Django makes one from a query's row but without Model.__init__,
    whose checks of each field cost more, for a document's 10,000 events, than
    PostgreSQL takes to store them."""
    event = Event.__new__(Event)
    event.__dict__.update(values)
    event._state = ModelState()
    event._state.adding, event._state.db = False, alias
    return event


def _stored_already(event_ids: set[str]) -> dict[tuple[str, bool], Event]:
    """The events stored under these IDs, by (event ID, declares an error)."""
    return _by_key(Event.objects.filter(event_id__in=event_ids))


def _events_by_key(pks: list[int]) -> dict[tuple[str, bool], Event]:
    """The events with these ids (nearly always none), by (event ID, declares an error)."""
    return _by_key(Event.objects.filter(pk__in=pks)) if pks else {}


def _by_key(events) -> dict[tuple[str, bool], Event]:
    return {(e.event_id, e.declares_error): e for e in events}


# An event's row, as _event_line writes it: its stored form (the body as text) last.
_EVENT_COLUMNS = [
    "id",
    "event_id",
    "declares_error",
    "cbv_hash",
    "event_type",
    "event_time",
    "record_time",
    "action",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "body_sha256",
    "captured_by_id",
    "capture_id",
    "body",
]


@functools.lru_cache(maxsize=8)
def _same_text(value) -> str:
    """str() of a value the events of a capture share (record time, capture job)."""
    return str(value)


def _event_line(row: tuple) -> str:
    """An event's line of COPY's text (see copy_text)."""
    (pk, event_id, error, cbv_hash, kind, at, recorded, action, step, disposition, point,
     location, sha256, organisation, job, body) = row  # fmt: skip
    error = "t" if error else "f"
    organisation = COPY_NULL if organisation is None else organisation
    job = COPY_NULL if job is None else _same_text(job)
    recorded = _same_text(recorded)
    return (
        f"{pk}\t{event_id}\t{error}\t{cbv_hash}\t{kind}\t{at}\t{recorded}\t{action}\t{step}\t"
        f"{disposition}\t{point}\t{location}\t{sha256}\t{organisation}\t{job}\t{body}\n"
    )


def _epc_line(row: tuple) -> str:
    """An EventEPC's line of COPY's text (see copy_text)."""
    return f"{row[0]}\t{row[1]}\t{row[2]}\t{row[3]}\n"


@functools.cache
def _event_sequence() -> str:
    """The name of the events' id sequence, looked up once: given by name, nextval's
    argument is a constant, whereas pg_get_serial_sequence() in the statement would be
    called again for each row (28 ms against 4 ms for 10,000 ids, measured)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Event._meta.db_table])
        return cursor.fetchone()[0]


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


def _stored_form(body: dict, now: dt.datetime) -> tuple[str, str]:
    """The event as stored, with its record time, as text (canonical JSON: what the ledger
    hashes), and the text's SHA-256."""
    text = canonical_json({**body, "recordTime": _record_time(now)})
    return text, hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=16)
def _record_time(now: dt.datetime) -> str:
    return time_text(now)  # the same for every event a capture stores


@functools.lru_cache(maxsize=4096)
def _place_key(value: str) -> str:
    """epc_key of a read point or business location: few, met again and again, and not
    always GS1 keys (which canonical() cannot cache)."""
    return epc_key(value)


def _short_cbv(value: str) -> str:
    return short_cbv(value) if ":" in value else value  # a bare word already, usually


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


def identifier_keys(body: dict) -> list[tuple[str, str]]:
    """(role, key) of each instance-level identifier the event names."""
    keys = [
        (role, epc_key(epc))
        for name, role in _EPC_FIELDS
        for epc in body.get(name) or ()
        if isinstance(epc, str)
    ]
    if isinstance(body.get("parentID"), str):
        keys.append((_PARENT, epc_key(body["parentID"])))
    return keys


def _quantity_keys(body: dict) -> list[tuple]:
    """(role, key, quantity, unit) of each class-level identifier the event names."""
    return [
        (role, epc_key(item["epcClass"]), item.get("quantity"), item.get("uom", ""))
        for name, role in _QUANTITY_FIELDS
        for item in body.get(name) or ()
        if isinstance(item, dict) and isinstance(item.get("epcClass"), str)
    ]
