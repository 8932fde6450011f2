"""The EPCIS 2.0 repository and what the platform derives from its events.

An event is stored whole, as captured (JSON-LD, with its event ID and record time added),
so that a query gives back exactly what was captured. The columns beside it and the side
tables (EPCs, quantities, parties) exist to find events fast; they are derived from the
stored form at capture and never edited.
"""

import json
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Lot
from trustlabel.codes.models import LabelOrder
from trustlabel.ledger.actions import canonical_json


def read_json(text: str | bytes):
    """JSON as RFC 8259 has it: Python's json module reads NaN and Infinity too, which no
    JSON is, and which canonical_json could not write back. ValueError if not JSON."""
    return json.loads(text, parse_constant=_not_json)


def _not_json(name: str):
    raise ValueError(f"{name} is not JSON")


class StoredJSON(models.TextField):
    """JSON kept as the canonical text it was stored as: a dict in Python, text in the
    database. The platform never queries inside an event's body, and parsing bodies into
    jsonb took PostgreSQL 0.5 s of the 1.2 s it spent writing the rows of 60,000 events
    (without their indexes; docs/benchmarks.md, "EPCIS capture"); text also reads back
    without jsonb's conversion."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else canonical_json(value)

    def value_to_string(self, obj) -> str:
        return self.get_prep_value(self.value_from_object(obj))


class KeyIndex(models.Index):
    """An index for looking up equal values only: a hash index on PostgreSQL, which
    holds a 4-byte hash of each value whatever its length and costs PostgreSQL less to
    fill than a B-tree of the values (300,000 containments: 1.6 to 2.5 s against 3.0 to
    3.7 s; docs/benchmarks.md, "EPCIS capture"); a B-tree elsewhere. It serves `=` and
    `IN`, never ranges, ordering or prefixes. Meant for keys with few rows each: a hash
    index chains the rows of one value."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class EventType(models.TextChoices):
    OBJECT = "ObjectEvent", _("Object event")
    AGGREGATION = "AggregationEvent", _("Aggregation event")
    TRANSACTION = "TransactionEvent", _("Transaction event")
    TRANSFORMATION = "TransformationEvent", _("Transformation event")
    ASSOCIATION = "AssociationEvent", _("Association event")


class CaptureJob(models.Model):
    """One POST /epcis/capture: the document waits here until a worker has stored it."""

    class ErrorBehaviour(models.TextChoices):
        ROLLBACK = "rollback", _("Roll back the whole document")
        PROCEED = "proceed", _("Store the valid events")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    running = models.BooleanField(default=True)
    success = models.BooleanField(null=True)
    error_behaviour = models.CharField(
        max_length=8, choices=ErrorBehaviour.choices, default=ErrorBehaviour.ROLLBACK
    )
    # The document as received, as JSON text, until it has been captured (then emptied).
    # Text rather than jsonb: PostgreSQL stores and gives back a document of 10,000 events
    # (8 MB) in a third of the time when it does not parse it, compressed by LZ4 where the
    # server has it (migration 0005).
    document = models.TextField(blank=True, default="")
    event_count = models.PositiveIntegerField(default=0)
    stored_count = models.PositiveIntegerField(default=0)
    # Problems, each {"event": index or null, "field": JSON pointer or "", "message": ...}.
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class Event(models.Model):
    """One captured event. An error declaration (a correction) carries the event ID of the
    event it corrects, so an ID is unique together with whether the event declares an error.
    """

    event_id = models.CharField(max_length=400)
    declares_error = models.BooleanField(default=False)
    # The CBV 2.0 event hash of its content: the event ID of events captured without one.
    cbv_hash = models.CharField(max_length=100)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    event_time = models.DateTimeField()
    record_time = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=8, blank=True)
    # CBV words are kept as their short form ("shipping"), other vocabularies as given.
    biz_step = models.CharField(max_length=300, blank=True)
    disposition = models.CharField(max_length=300, blank=True)
    read_point = models.CharField(max_length=400, blank=True)
    biz_location = models.CharField(max_length=400, blank=True)
    # The event as stored and as a query gives it back, with the @context it came with
    # (the document's, when it came in one), which gives its extension fields their meaning.
    body = StoredJSON()
    # SHA-256 of the stored form (canonical JSON): what the ledger records.
    body_sha256 = models.CharField(max_length=64)
    # An event and its index rows (EPCs, quantities, parties, containments, derived from
    # it) are written together, in one transaction, by capture._Storing (containments
    # through logistics.Packing or index_events), which names only organisations, capture
    # jobs and events it has in hand; events are never deleted (an error is corrected by
    # an error declaration). So these references have no foreign key in the database:
    # checking the 171,000 references of a 10,000-event document at commit cost about 1 s
    # of the 2.5 s PostgreSQL spent on the document (docs/benchmarks.md, "EPCIS
    # capture"). Django still protects, cascades and empties them on deletion.
    captured_by = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # Without an index either: nothing looks events up by their capture job (jobs are
    # not deleted), and the index cost 0.02 s of PostgreSQL's time for each document of
    # 10,000 events (docs/benchmarks.md, "EPCIS capture").
    capture = models.ForeignKey(
        CaptureJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["record_time", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "declares_error"], name="trace_event_id_once"
            )
        ]
        indexes = [
            models.Index(fields=["event_time"]),
            models.Index(fields=["record_time", "id"]),
            models.Index(fields=["biz_step", "event_time"]),
            models.Index(fields=["disposition"]),
            models.Index(fields=["read_point"]),
            models.Index(fields=["biz_location"]),
        ]

    def __str__(self) -> str:
        return self.event_id


class EventEPC(models.Model):
    """An instance-level identifier an event names, by its canonical key (identifiers.py),
    but for the children an AggregationEvent ADD packs in its parent: those are its
    containments (Containment, logistics.packing_of), looked up there.

    With a hash index on the key (KeyIndex) and no id of its own: a document of 10,000
    events names some 80,000 identifiers, and PostgreSQL stores them in less than half
    the time when its index holds 4-byte hashes instead of 60-character links and when
    there is no id to index as well (docs/benchmarks.md, "EPCIS capture")."""

    class Role(models.TextChoices):
        EPC = "epc", _("object")  # epcList
        PARENT = "parent", _("parent")  # parentID
        CHILD = "child", _("child")  # childEPCs
        INPUT = "input", _("input")  # inputEPCList
        OUTPUT = "output", _("output")  # outputEPCList

    pk = models.CompositePrimaryKey("event", "position")
    event = models.ForeignKey(  # without a database constraint: see Event.captured_by
        Event,
        on_delete=models.CASCADE,
        related_name="epcs",
        db_constraint=False,
        db_index=False,  # the primary key starts with it
    )
    position = models.IntegerField()  # among the identifiers the event names, from 0
    epc = models.CharField(max_length=400)
    role = models.CharField(max_length=8, choices=Role.choices)

    class Meta:
        indexes = [KeyIndex(fields=["epc"], name="trace_eventepc_epc")]

    def __str__(self) -> str:
        return f"{self.role} {self.epc}"


class EventQuantity(models.Model):
    """A class-level identifier an event names (quantityList and its kin), by its key."""

    class Role(models.TextChoices):
        QUANTITY = "quantity", _("quantity")  # quantityList
        CHILD = "child", _("child")  # childQuantityList
        INPUT = "input", _("input")  # inputQuantityList
        OUTPUT = "output", _("output")  # outputQuantityList

    event = models.ForeignKey(  # without a database constraint: see Event.captured_by
        Event, on_delete=models.CASCADE, related_name="quantities", db_constraint=False
    )
    epc_class = models.CharField(max_length=400)
    role = models.CharField(max_length=8, choices=Role.choices)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    uom = models.CharField(max_length=8, blank=True)

    class Meta:
        indexes = [models.Index(fields=["epc_class", "role"])]

    def __str__(self) -> str:
        return f"{self.role} {self.epc_class}"


class EventParty(models.Model):
    """An organisation that may see an event, and why, besides the one that captured it
    (Event.captured_by): a row for that one too would double a packing line's party rows
    (10,000 of them with their three indexes cost PostgreSQL 0.04 s a document of 10,000
    events; bench/index_cost.py)."""

    class Reason(models.TextChoices):
        OWNER = "owner", _("owns a product it names")
        SOURCE = "source", _("is its source")
        DESTINATION = "destination", _("is its destination")

    # Without a database constraint (see Event.captured_by), nor an index of its own: the
    # unique constraint's index starts with it.
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="parties",
        db_constraint=False,
        db_index=False,
    )
    organisation = models.ForeignKey(  # indexed by ("organisation", "event") below
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,  # see Event.captured_by
        db_index=False,
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "organisation", "reason"], name="trace_party_once"
            )
        ]
        indexes = [models.Index(fields=["organisation", "event"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.reason}"


class Commissioning(models.Model):
    """A run of a label order's codes made active by a commissioning event: internal
    serials [serial_start, serial_end) of one key version. A code no run covers answers
    "not activated" (when its order waits for commissioning)."""

    order = models.ForeignKey(LabelOrder, on_delete=models.PROTECT, related_name="commissionings")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    key_version = models.PositiveIntegerField()
    serial_start = models.BigIntegerField()
    serial_end = models.BigIntegerField()
    commissioned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key_version", "serial_start"], name="commissioned_range")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(serial_end__gt=models.F("serial_start")),
                name="commissioning_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.first_label}-{self.last_label}"

    @property
    def first_label(self) -> int:
        """The run's first label, by its place in the order (from 1)."""
        return self.serial_start - self.order.serial_start + 1

    @property
    def last_label(self) -> int:
        return self.serial_end - self.order.serial_start


class Recall(models.Model):
    """An enterprise's recall of one or more lots. While it is open, every check of a
    label of those lots answers "recalled", with what the consumer should do."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    lots = models.ManyToManyField(Lot, related_name="recalls", verbose_name=_("lots"))
    reason = models.TextField(_("reason"))
    hazard = models.TextField(_("hazard"))
    instructions = models.TextField(_("what the consumer should do"))
    contact = models.CharField(_("contact"), max_length=200)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The EPCIS event that records it (disposition "recalled").
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pk}: {self.reason[:40]}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Containment(models.Model):
    """A child (an item, a case) packed in a parent (a case, a pallet) by an AggregationEvent
    ADD, until a DELETE unpacks it or it is packed elsewhere. An event on the parent in
    that time applies to the child: "where is this bottle" goes through its case and
    pallet."""

    parent = models.CharField(max_length=400)
    child = models.CharField(max_length=400)
    packed_at = models.DateTimeField()
    unpacked_at = models.DateTimeField(null=True, blank=True)
    # The event that packed the child: the children an AggregationEvent ADD packs have
    # no EventEPC rows, so what an event names is found here too (logistics.packing_of).
    # Without a database constraint (see Event.captured_by), nor an index: an index of
    # events cost 0.085 s of PostgreSQL's time for the 30,000 containments of a packing
    # line's document of 10,000 events (bench/index_cost.py), and an event's children
    # are found through its parent (query.epcs_page).
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        indexes = [
            # Looked up by equal keys only: an item's cases, a case's items and pallet.
            KeyIndex(fields=["child"], name="containment_child"),
            KeyIndex(fields=["parent"], name="containment_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.child} in {self.parent}"

    def holds_at(self, moment) -> bool:
        return self.packed_at <= moment and (self.unpacked_at is None or moment <= self.unpacked_at)


class _Moved(models.Model):
    """What a movement is: a step at a time, from an organisation, to one (either may be
    unknown to the platform)."""

    biz_step = models.CharField(max_length=300, blank=True)
    event_time = models.DateTimeField()
    source = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class Movement(_Moved):
    """An identifier (item, case or pallet) that an event moves from or to an organisation
    of the platform: shipping, receiving, warehouse in and out. Derived from the event's
    source and destination lists (or, for receiving and shipping, its business
    location)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="movements")
    epc = models.CharField(max_length=400)

    class Meta:
        indexes = [models.Index(fields=["epc", "event_time"], name="movement_epc")]

    def __str__(self) -> str:
        return f"{self.biz_step} {self.epc}"


class MovedLot(_Moved):
    """How many labelled units of a lot a movement carried (counted through the cases and
    pallets it names): what a recall's progress and a distributor's stock are made of."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="+")
    units = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["lot", "event_time"], name="movedlot_lot"),
            models.Index(fields=["destination", "lot"], name="movedlot_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.units} of {self.lot_id}"


class PublicTrace(models.Model):
    """Which steps of its products' journey an enterprise shows consumers on the
    verification page. A recall is always shown."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="public_trace"
    )
    production = models.BooleanField(_("production (lot, date, factory)"), default=True)
    inspection = models.BooleanField(_("inspection reports"), default=True)
    shipping = models.BooleanField(_("shipping (the city only)"), default=True)

    def __str__(self) -> str:
        return str(self.organisation_id)


class DiversionAlert(models.Model):
    """A check of an item outside the sales region of the distributor it was shipped to,
    with the evidence, for the enterprise to work through."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    class Source(models.TextChoices):
        GPS = "gps", _("the device's location")
        STATED = "stated", _("stated by the inspector")
        IP = "ip", _("network address (approximate)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="diversion_alerts"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    # The item: its EPC, its label and lot.
    epc = models.CharField(max_length=400)
    order = models.ForeignKey(LabelOrder, on_delete=models.PROTECT, related_name="+")
    serial = models.BigIntegerField()
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    # Where it should be: the distributor it was shipped to, by which event, and that
    # distributor's sales regions then (GB/T 2260 codes).
    distributor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    expected_regions = models.JSONField(default=list)
    # Where it was checked: the division, how it was known, how far outside, when.
    observed_region = models.CharField(max_length=6)
    observed_source = models.CharField(max_length=8, choices=Source.choices)
    km_outside = models.FloatField(null=True, blank=True)
    by_inspector = models.BooleanField(default=False)
    checked_at = models.DateTimeField()
    last_checked_at = models.DateTimeField()
    check_count = models.PositiveIntegerField(default=1)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("diversion alert")
        verbose_name_plural = _("diversion alerts")
        ordering = ["-last_checked_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "state", "-last_checked_at"], name="alert_list"),
            models.Index(fields=["epc", "state"], name="alert_item"),
        ]

    def __str__(self) -> str:
        return f"{self.epc} @ {self.observed_region}"
