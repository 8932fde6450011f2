"""What the platform derives from logistics events, and the questions it answers with it.

Captured events stay as they came (models.Event); this module keeps three derived
tables beside them, written when events are stored:
- `Containment`: what is packed in what (AggregationEvent ADD and DELETE);
- `Movement`: identifiers moved from or to an organisation of the platform (the event's
  source and destination lists, or its business location for shipping and receiving);
- `MovedLot`: how many labelled units of each lot a movement carried, through its cases.

From them: the containers an item was in ("where is this bottle" through its case and
pallet), an item's full history, and the organisation an item was last shipped to.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from django.conf import settings
from django.db import connection

from trustlabel.accounts.models import Organisation
from trustlabel.copying import COPY_NULL, IN_TEXTS, by_index, copy_now, copy_text, text_array

from .identifiers import CANONICAL_BASE, IdentifierError, epc_key
from .labels import Label, label_epc, labels_of, lot_class
from .models import (
    Commissioning,
    Containment,
    Event,
    EventEPC,
    EventParty,
    EventQuantity,
    MovedLot,
    Movement,
)
from .vocabulary import short_cbv

# Steps that move goods out of a place (the business location is the source) and into
# one (it is the destination), when the event has no source or destination list.
OUTBOUND = {"shipping", "departing"}
INBOUND = {"receiving", "arriving", "accepting"}
_PARENT, _CHILD = EventEPC.Role.PARENT.value, EventEPC.Role.CHILD.value
# How deep cases go in pallets in containers: a bound against cycles in bad data.
MAX_DEPTH = 6
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_PARTY_PREFIXES = (f"{CANONICAL_BASE}/417/", f"{CANONICAL_BASE}/414/")


def party_iri(organisation: Organisation) -> str:
    """How events name an organisation of the platform: its PGLN when it has a GLN, else
    the platform's own IRI for it."""
    if organisation.gln:
        return f"{CANONICAL_BASE}/417/{organisation.gln}"
    return f"{settings.TRUSTLABEL_BASE_URL}/organisations/{organisation.pk}"


def organisations_named(iris: Iterable[str]) -> dict[str, Organisation]:
    """The organisations of the platform that party or location identifiers name (PGLN,
    SGLN of one of their sites, or the platform's IRI), by identifier."""
    glns, pks, keys = {}, {}, {}
    own = f"{settings.TRUSTLABEL_BASE_URL}/organisations/"
    for iri in iris:
        try:
            key = epc_key(iri)
        except IdentifierError:
            continue
        keys[iri] = key
        if key.startswith(_PARTY_PREFIXES):
            glns[iri] = key[len(_PARTY_PREFIXES[0]) :][:13]
        elif key.startswith(own) and key[len(own) :].isdigit():
            pks[iri] = int(key[len(own) :])
    found = {
        o.gln: o for o in Organisation.objects.filter(gln__in=set(glns.values())).exclude(gln="")
    }
    found_pk = Organisation.objects.in_bulk(set(pks.values()))
    named = {iri: found[gln] for iri, gln in glns.items() if gln in found}
    named |= {iri: found_pk[pk] for iri, pk in pks.items() if pk in found_pk}
    return named


# --------------------------------------------------------------------- indexing


def index_events(events: list[Event], epcs: dict[int, list], packed: bool = False) -> None:
    """Derive containment, movements and moved lots from newly stored events (in their
    event-time order, so that packing comes before the shipping of the case). A few
    queries for a whole document, whatever its size. `epcs`: the (role, key) of the
    identifiers of each event, by pk, as capture worked them out (Outcome.epcs);
    `packed`: capture has derived their containments (Packing) already."""
    if not packed:
        index_aggregations(events, epcs)
    moving = sorted((e for e in events if _moves(e)), key=time_order)
    if not moving:
        return
    iris = {iri for e in moving for iri in _party_iris(e.body)}
    _index_movements(moving, organisations_named(iris))


_CHUNK = 5000  # identifiers per IN (...): within SQLite's limit of bound parameters


@dataclass(slots=True)
class _Packed:
    """A containment while a document is indexed (model instances cost more than the
    packing itself: a packing line sends tens of thousands)."""

    pk: int | None
    parent: str
    child: str
    packed_at: dt.datetime
    unpacked_at: dt.datetime | None = None
    event_id: int | None = None
    written: bool = False


def time_order(event: Event) -> tuple:
    """Events in event-time order, then as stored. By time since the epoch: datetimes of
    other offsets compare slowly. By id rather than pk, a property that costs more than
    the rest, for a document's events."""
    return event.event_time - _EPOCH, event.id


def index_aggregations(events: list[Event], epcs: dict[int, list]) -> None:
    """Pack and unpack, in event-time order (see Packing), for the whole of `events` at
    once, from their identifiers' keys in `epcs`."""
    steps = packing_steps((e, packing_of(e.event_type, e.action, epcs[e.pk])) for e in events)
    packing = Packing()
    packing.read(*packing_keys((event.action, parent, kids) for event, parent, kids in steps))
    packing.apply(steps)
    packing.finish()
    _insert_containments(packing.made())


def packing_steps(packings: Iterable[tuple[Event, tuple | None]]) -> list[tuple]:
    """(event, parent's key, children's keys), in event-time order, of the events that
    pack or unpack, from (event, its packing_of) pairs."""
    steps = [
        (event, parent, children)
        for event, packing in packings
        if packing is not None
        for _, parent, children in [packing]
    ]
    steps.sort(key=lambda step: time_order(step[0]))
    return steps


def packing_of(
    event_type: str | None, action: str | None, keys: list[tuple[str, str]]
) -> tuple | None:
    """(action, parent's key, children's keys) of an AggregationEvent ADD or DELETE that
    names its parent, from its (role, key) identifiers: a step of Packing; else None.

    The children an ADD packs each get a Containment of the event, and that is where
    queries find the event by them: they have no EventEPC rows (some 30,000 of a packing
    line's 80,000 index rows a document; docs/benchmarks.md, "EPCIS capture")."""
    if event_type != "AggregationEvent" or action not in ("ADD", "DELETE"):
        return None
    parents = [key for role, key in keys if role == _PARENT]
    if not parents:
        return None
    return action, parents[0], [key for role, key in keys if role == _CHILD]


def packing_keys(steps: Iterable[tuple]) -> tuple[set[str], set[str]]:
    """The children packed and the parents emptied by steps (action, parent, children),
    whose open containments packing them needs."""
    children, parents = set(), set()
    for action, parent, packed in steps:
        if action == "ADD":
            children.update(packed)
        else:
            parents.add(parent)
    return children, parents


class Packing:
    """Containments, packed and unpacked in event-time order: ADD puts the children in
    the parent (taking each out of the parent it was in: one parent at a time), DELETE
    takes out the children named, or everything in the parent when none are.

    The open containments concerned are read (read()) before the steps that need them
    are applied (apply()), changed in memory, and written back at the end (finish());
    the new ones are written as they are made (made()). Capture applies a document chunk
    by chunk, so that PostgreSQL stores a chunk's containments beside its events: that
    is the same as applying the whole document at once while each chunk's steps come
    after those of the chunk before; otherwise `redo` says so and capture derives the
    document's containments again at once."""

    def __init__(self):
        self.by_child: dict[str, _Packed] = {}
        self.by_parent: dict[str, dict[str, _Packed]] = defaultdict(dict)
        self.children_read: set[str] = set()
        self.parents_read: set[str] = set()
        self.read_pks: set[int] = set()
        self.changed: dict[int, _Packed] = {}  # stored containments unpacked
        self.unpacked_late: list[_Packed] = []  # made, written, then unpacked
        self.new: list[_Packed] = []
        self.last: tuple | None = None
        self.redo = False

    def read(self, children: set[str], parents: set[str]) -> None:
        """Read the open containments of these children and parents, those not read yet."""
        self.take(open_containments(*self.unread(children, parents)))

    def unread(self, children: set[str], parents: set[str]) -> tuple[set[str], set[str]]:
        """Those of these children and parents whose open containments are not read yet,
        taken as read from now on: the caller looks them up (open_containments) and gives
        what it found to take()."""
        children, parents = children - self.children_read, parents - self.parents_read
        self.children_read |= children
        self.parents_read |= parents
        return children, parents

    def take(self, rows: list[_Packed]) -> None:
        """Open containments read (see unread), those not taken before."""
        for row in rows:
            if row.pk not in self.read_pks:
                self.read_pks.add(row.pk)
                self.by_child[row.child] = row
                self.by_parent[row.parent][row.child] = row

    def apply(self, steps: list[tuple]) -> None:
        """Apply (event, parent, children) steps, in event-time order."""
        for event, parent, children in steps:
            at, order, event_id = event.event_time, time_order(event), event.id
            self.redo |= self.last is not None and order < self.last
            self.last = order
            if event.action == "DELETE":
                inside = self.by_parent[parent]
                for row in (
                    [inside[c] for c in children if c in inside]
                    if children
                    else list(inside.values())
                ):
                    if row.packed_at <= at:
                        self._unpack(row, at)
                continue
            for child in children:
                current = self.by_child.get(child)
                if current is not None and current.packed_at <= at:
                    self._unpack(current, at)
                row = _Packed(None, parent, child, at, event_id=event_id)
                self.new.append(row)
                self.by_child[child] = row
                self.by_parent[parent][child] = row

    def _unpack(self, row: _Packed, at) -> None:
        row.unpacked_at = at
        if self.by_child.get(row.child) is row:
            del self.by_child[row.child]
        self.by_parent[row.parent].pop(row.child, None)
        if row.pk is not None:
            self.changed[row.pk] = row
        elif row.written:
            self.unpacked_late.append(row)

    def made(self) -> list[_Packed]:
        """The containments made since the last call, to be written now."""
        rows, self.new = self.new, []
        for row in rows:
            row.written = True
        return rows

    def finish(self) -> None:
        """Write back the stored containments unpacked (those made and written before they
        were unpacked, which have no id here, by their event, parent and child)."""
        Containment.objects.bulk_update(
            [Containment(pk=r.pk, unpacked_at=r.unpacked_at) for r in self.changed.values()],
            ["unpacked_at"],
            batch_size=1000,
        )
        if self.unpacked_late:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {Containment._meta.db_table} SET unpacked_at = %s "  # noqa: S608
                    "WHERE event_id = %s AND parent = %s AND child = %s AND unpacked_at IS NULL",
                    [(r.unpacked_at, r.event_id, r.parent, r.child) for r in self.unpacked_late],
                )


def open_containments(children: set[str], parents: set[str], cursor=None) -> list[_Packed]:
    """The containments not yet unpacked of these children and parents. `cursor`: a
    cursor of psycopg on a connection in a transaction on PostgreSQL, guided by_index()
    by the caller (see Copier.ask); else Django's connection."""
    if cursor is None:
        with connection.cursor() as cursor, by_index():
            return _containments_found(children, parents, cursor, connection.vendor)
    return _containments_found(children, parents, cursor, "postgresql")


def _containments_found(children: set[str], parents: set[str], cursor, vendor: str) -> list:
    table = Containment._meta.db_table
    found = {}
    for column, keys in (("child", sorted(children)), ("parent", sorted(parents))):
        if not keys:
            continue
        if vendor == "postgresql":
            # One array parameter: no statement with tens of thousands of placeholders.
            chunks = [(IN_TEXTS, [text_array(keys)])]
        else:
            chunks = [
                (f"IN ({', '.join(['%s'] * len(part))})", part)
                for part in (keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK))
            ]
        for condition, params in chunks:
            cursor.execute(
                f"SELECT id, parent, child, packed_at FROM {table} "  # noqa: S608
                f"WHERE unpacked_at IS NULL AND {column} {condition}",
                params,
            )
            for pk, parent, child, packed_at in cursor.fetchall():
                found[pk] = _Packed(pk, parent, child, _aware(packed_at))
    return list(found.values())


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time from a raw query (SQLite gives naive UTC) as an aware datetime."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _insert_containments(rows: list[_Packed]) -> None:
    """New containments: by COPY on PostgreSQL (a packing line sends thousands)."""
    if connection.vendor != "postgresql":
        Containment.objects.bulk_create(
            [
                Containment(
                    parent=r.parent,
                    child=r.child,
                    packed_at=r.packed_at,
                    unpacked_at=r.unpacked_at,
                    event_id=r.event_id,
                )
                for r in rows
            ],
            batch_size=2000,
        )
        return
    copy_now([containments_copy(rows)])


def containments_copy(rows: list[_Packed]) -> tuple[str, str]:
    """The COPY of new containments (see copying.copy_text). The children of a parent
    share its packing time, written out once."""
    texts = {}
    for r in rows:
        if r.packed_at not in texts:
            texts[r.packed_at] = str(r.packed_at)
    return copy_text(
        Containment,
        ["parent", "child", "packed_at", "unpacked_at", "event_id"],
        [(r.parent, r.child, texts[r.packed_at], r.unpacked_at, r.event_id) for r in rows],
        _containment_line,
        backslashes=sum(r.unpacked_at is None for r in rows),
    )


def _containment_line(row: tuple) -> str:
    parent, child, packed_at, unpacked_at, event_id = row
    return f"{parent}\t{child}\t{packed_at}\t{unpacked_at or COPY_NULL}\t{event_id}\n"


def _moves(event: Event) -> bool:
    body = event.body
    return bool(
        body.get("sourceList")
        or body.get("destinationList")
        or event.biz_step in OUTBOUND | INBOUND
    )


def _party_iris(body: dict) -> list[str]:
    iris = [s.get("source") for s in body.get("sourceList") or () if isinstance(s, dict)]
    iris += [d.get("destination") for d in body.get("destinationList") or () if isinstance(d, dict)]
    location = body.get("bizLocation")
    if isinstance(location, dict):
        iris.append(location.get("id"))
    return [iri for iri in iris if isinstance(iri, str)]


def _ends(event: Event, named: dict) -> tuple[Organisation | None, Organisation | None]:
    """The organisations an event moves goods from and to. In a list, the owning party
    counts before the possessing party before a location."""
    order = {"owning_party": 0, "possessing_party": 1, "location": 2}

    def first(entries, field) -> Organisation | None:
        found = [
            (order.get(short_cbv(e.get("type", "")), 3), named[e[field]])
            for e in entries or ()
            if isinstance(e, dict) and e.get(field) in named
        ]
        return min(found, key=lambda f: f[0])[1] if found else None

    source = first(event.body.get("sourceList"), "source")
    destination = first(event.body.get("destinationList"), "destination")
    location = event.body.get("bizLocation")
    here = named.get(location.get("id")) if isinstance(location, dict) else None
    if source is None and event.biz_step in OUTBOUND:
        source = here
    if destination is None and event.biz_step in INBOUND:
        destination = here
    return source, destination


def _index_movements(events: list[Event], named: dict) -> None:
    """Movements, the units of each lot they carried (through their cases and pallets:
    what was inside at the time) and the parties who may see them, for the events that
    move goods from or to an organisation of the platform."""
    ends = {event.pk: _ends(event, named) for event in events}
    events = [event for event in events if any(ends[event.pk])]
    if not events:
        return
    named_epcs = {event.pk: _named_epcs(event) for event in events}
    tree = _containment_tree({epc for epcs in named_epcs.values() for epc in epcs})
    inside = {event.pk: _inside(tree, named_epcs[event.pk], event.event_time) for event in events}
    labels = labels_of({item for items in inside.values() for item in items})
    by_class = _lots_by_class(events)
    movements, moved_lots, parties = [], [], []
    for event in events:
        source, destination = ends[event.pk]
        moved = {
            "event": event,
            "biz_step": event.biz_step,
            "event_time": event.event_time,
            "source": source,
            "destination": destination,
        }
        movements += [Movement(epc=epc, **moved) for epc in named_epcs[event.pk]]
        lots = Counter(labels[item].order.lot_id for item in inside[event.pk] if item in labels)
        for epc_class, quantity in _class_quantities(event):
            if epc_class in by_class:
                lots[by_class[epc_class]] += quantity
        moved_lots += [MovedLot(lot_id=lot, units=units, **moved) for lot, units in lots.items()]
        parties += [
            EventParty(event=event, organisation=organisation, reason=reason)
            for organisation, reason in (
                (source, EventParty.Reason.SOURCE),
                (destination, EventParty.Reason.DESTINATION),
            )
            if organisation is not None
        ]
    Movement.objects.bulk_create(movements, batch_size=2000)
    MovedLot.objects.bulk_create(moved_lots, batch_size=2000)
    EventParty.objects.bulk_create(parties, batch_size=2000, ignore_conflicts=True)


def _named_epcs(event: Event) -> list[str]:
    body = event.body
    names = [body.get("parentID"), *(body.get("epcList") or ()), *(body.get("childEPCs") or ())]
    return list(dict.fromkeys(epc_key(n) for n in names if isinstance(n, str)))


def _class_quantities(event: Event) -> list[tuple[str, int]]:
    """(EPC class key, units) of what an event names by class with a count."""
    found = []
    for item in event.body.get("quantityList") or ():
        if isinstance(item, dict) and isinstance(item.get("epcClass"), str):
            quantity = item.get("quantity")
            if isinstance(quantity, int | float) and quantity > 0:
                found.append((epc_key(item["epcClass"]), int(quantity)))
    return found


def _lots_by_class(events: list[Event]) -> dict[str, int]:
    """Lot ids by their EPC class key (LGTIN), for the classes the events name."""
    from trustlabel.catalog.models import Lot

    wanted = {}
    for event in events:
        for key, _ in _class_quantities(event):
            gtin, _, lot_number = key.removeprefix(f"{CANONICAL_BASE}/01/").partition("/10/")
            if lot_number:
                wanted[key] = (gtin, unquote(lot_number))
    if not wanted:
        return {}
    lots = {
        (lot.product.gtin, lot.lot_number): lot.pk
        for lot in Lot.objects.select_related("product").filter(
            lot_number__in={n for _, n in wanted.values()},
            product__gtin__in={g for g, _ in wanted.values()},
        )
    }
    return {key: lots[found] for key, found in wanted.items() if found in lots}


# --------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Container:
    """A container an identifier was in, and when (the interval of all the levels between:
    a bottle was in the pallet while its case was)."""

    epc: str
    since: dt.datetime
    until: dt.datetime | None
    depth: int

    def holds_at(self, moment: dt.datetime) -> bool:
        return self.since <= moment and (self.until is None or moment <= self.until)


def containers(epc: str) -> list[Container]:
    """Every case and pallet `epc` was packed in, level by level (one query a level)."""
    found: list[Container] = []
    level = [Container(epc, dt.datetime.min.replace(tzinfo=dt.UTC), None, 0)]
    for depth in range(1, MAX_DEPTH + 1):
        by_child = defaultdict(list)
        for c in level:
            by_child[c.epc].append(c)
        rows = Containment.objects.filter(child__in=list(by_child)).values_list(
            "child", "parent", "packed_at", "unpacked_at"
        )
        level = []
        for child, parent, packed, unpacked in rows:
            for inner in by_child[child]:
                since = max(inner.since, packed)
                ends = [t for t in (inner.until, unpacked) if t is not None]
                until = min(ends) if ends else None
                if until is None or since <= until:
                    level.append(Container(parent, since, until, depth))
        if not level:
            break
        found += level
    return found


def contents(epcs: list[str], at: dt.datetime) -> list[str]:
    """The innermost identifiers inside `epcs` at `at` (an item is its own content)."""
    return _inside(_containment_tree(set(epcs)), epcs, at)


def _containment_tree(roots: set[str]) -> dict[str, list[tuple]]:
    """Everything ever packed in `roots`, level by level (a query a level and chunk):
    (child, packed_at, unpacked_at) by parent."""
    tree, level, seen = defaultdict(list), sorted(roots), set(roots)
    for _ in range(MAX_DEPTH + 1):
        children = []
        for start in range(0, len(level), _CHUNK):
            rows = Containment.objects.filter(parent__in=level[start : start + _CHUNK])
            with by_index():
                rows = list(rows.values_list("parent", "child", "packed_at", "unpacked_at"))
            for parent, child, packed, unpacked in rows:
                tree[parent].append((child, packed, unpacked))
                if child not in seen:
                    seen.add(child)
                    children.append(child)
        if not children:
            break
        level = sorted(children)
    return tree


def _inside(tree: dict[str, list[tuple]], epcs: list[str], at: dt.datetime) -> list[str]:
    """`contents` from a containment tree: what was in `epcs` at `at`, innermost."""
    found, level, seen = [], list(epcs), set(epcs)
    for _ in range(MAX_DEPTH + 1):
        following = []
        for epc in level:
            held = [
                child
                for child, packed, unpacked in tree.get(epc, ())
                if packed <= at and (unpacked is None or unpacked > at) and child not in seen
            ]
            if not held:
                found.append(epc)
            seen.update(held)
            following += held
        if not following:
            break
        level = following
    return found


def contents_known(epc: str) -> bool:
    """Whether anything was ever packed in `epc`."""
    return Containment.objects.filter(parent=epc).exists()


@dataclass(frozen=True)
class HistoryStep:
    """One event of an item's history, and through what it concerns the item: the item
    itself, a container it was in ("case", "pallet" by depth), or its lot."""

    event: Event
    via: str
    via_epc: str | None = None


def item_history(
    epc: str, classes: Iterable[str] = (), outer: list[Container] | None = None
) -> list[HistoryStep]:
    """Everything that happened to the item `epc`: the events naming it, those naming a
    case or pallet it was in while it was in there, and those naming its lot (`classes`,
    EPC class keys) by quantity. In event time order."""
    epc = epc_key(epc)
    outer = containers(epc) if outer is None else outer
    wanted = {epc, *(c.epc for c in outer)}
    by_event = defaultdict(set)
    for event_id, named in [
        *EventEPC.objects.filter(epc__in=wanted).values_list("event_id", "epc"),
        # the events that packed them (see packing_of)
        *Containment.objects.filter(child__in=wanted).values_list("event_id", "child"),
    ]:
        by_event[event_id].add(named)
    for event_id in EventQuantity.objects.filter(epc_class__in=list(classes)).values_list(
        "event_id", flat=True
    ):
        by_event[event_id].add(None)
    events = Event.objects.in_bulk(list(by_event))
    steps = []
    for event_id, names in by_event.items():
        event = events[event_id]
        if epc in names:
            steps.append(HistoryStep(event, "item"))
            continue
        holding = [c for c in outer if c.epc in names and c.holds_at(event.event_time)]
        if holding:
            inner = min(holding, key=lambda c: c.depth)
            steps.append(HistoryStep(event, "container", inner.epc))
        elif None in names:
            steps.append(HistoryStep(event, "lot"))
    steps.sort(key=lambda s: (s.event.event_time, s.event.pk))
    return steps


def last_destination(
    epc: str, before: dt.datetime | None = None, outer: list[Container] | None = None
) -> Movement | None:
    """The latest movement that brought the item `epc` (or a case or pallet it was in at
    the time) to an organisation, up to `before`."""
    outer = containers(epc) if outer is None else outer
    names = {epc, *(c.epc for c in outer)}
    moves = Movement.objects.filter(epc__in=names, destination__isnull=False)
    if before is not None:
        moves = moves.filter(event_time__lte=before)
    for move in moves.select_related("destination", "event").order_by("-event_time", "-pk"):
        if move.epc == epc or any(c.epc == move.epc and c.holds_at(move.event_time) for c in outer):
            return move
    return None


def label_history(label: Label, outer: list[Container] | None = None) -> list[HistoryStep]:
    """The history of one of our labelled items: its own events and its lot's, of the
    lot's commissioning events only the one that activated this label."""
    mine = set(
        Commissioning.objects.filter(
            order=label.order, serial_start__lte=label.serial, serial_end__gt=label.serial
        ).values_list("event_id", flat=True)
    )
    steps = item_history(
        label_epc(label.order, label.serial), [epc_key(lot_class(label.order.lot))], outer
    )
    return [
        s
        for s in steps
        if not (s.via == "lot" and s.event.biz_step == "commissioning" and s.event.pk not in mine)
    ]
