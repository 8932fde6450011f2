"""The EPCIS 2.0 repository and what the platform derives from its events.

An event is stored whole, as captured (JSON-LD, with its event ID and record time added),
so that a query gives back exactly what was captured. The columns beside it and the side
tables (EPCs, quantities, parties) exist to find events fast; they are derived from the
stored form at capture and never edited.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Lot
from trustlabel.codes.models import LabelOrder


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
    # The document as received, until it has been captured (then emptied).
    document = models.JSONField(null=True, blank=True)
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
    body = models.JSONField()
    # SHA-256 of the stored form (canonical JSON): what the ledger records.
    body_sha256 = models.CharField(max_length=64)
    captured_by = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    capture = models.ForeignKey(
        CaptureJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
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
    """An instance-level identifier an event names, by its canonical key (identifiers.py)."""

    class Role(models.TextChoices):
        EPC = "epc", _("object")  # epcList
        PARENT = "parent", _("parent")  # parentID
        CHILD = "child", _("child")  # childEPCs
        INPUT = "input", _("input")  # inputEPCList
        OUTPUT = "output", _("output")  # outputEPCList

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="epcs")
    epc = models.CharField(max_length=400)
    role = models.CharField(max_length=8, choices=Role.choices)

    class Meta:
        indexes = [models.Index(fields=["epc", "role"])]

    def __str__(self) -> str:
        return f"{self.role} {self.epc}"


class EventQuantity(models.Model):
    """A class-level identifier an event names (quantityList and its kin), by its key."""

    class Role(models.TextChoices):
        QUANTITY = "quantity", _("quantity")  # quantityList
        CHILD = "child", _("child")  # childQuantityList
        INPUT = "input", _("input")  # inputQuantityList
        OUTPUT = "output", _("output")  # outputQuantityList

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="quantities")
    epc_class = models.CharField(max_length=400)
    role = models.CharField(max_length=8, choices=Role.choices)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    uom = models.CharField(max_length=8, blank=True)

    class Meta:
        indexes = [models.Index(fields=["epc_class", "role"])]

    def __str__(self) -> str:
        return f"{self.role} {self.epc_class}"


class EventParty(models.Model):
    """An organisation that may see an event, and why."""

    class Reason(models.TextChoices):
        CAPTURED = "captured", _("captured it")
        OWNER = "owner", _("owns a product it names")
        SOURCE = "source", _("is its source")
        DESTINATION = "destination", _("is its destination")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
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
