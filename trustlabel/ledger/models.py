"""The log's storage: entries (queued, then integrated with their index), the tree's stored
hashes (Go tlog's layout: tiles are cut from them), signed checkpoints, and the head.

Integration is one transaction: the batch's indexes, its stored hashes, the new head and
the checkpoint signed over it are committed together or not at all. So the log never
serves a checkpoint it cannot back with hashes, and after a crash it continues from its
last committed (and only ever published) state.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Entry(models.Model):
    """One record in the log: small, canonical, versioned JSON (never personal data),
    queued in the transaction that makes the record, and given its index when the writer
    integrates it."""

    kind = models.CharField(max_length=40)
    # What the record is about, as "app.model:pk", so the platform can show its proof.
    subject = models.CharField(max_length=200)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    index = models.BigIntegerField(null=True, blank=True)
    integrated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            # Only integrated entries have an index: queued ones (every record at first,
            # 10,000 at once from an EPCIS document) stay out of this index until then,
            # rather than each adding a NULL to it that integration makes dead (0.035 s
            # of a document's 0.18 s of ledger COPY, measured: docs/benchmarks.md).
            models.UniqueConstraint(
                fields=["index"], condition=Q(index__isnull=False), name="ledger_entry_index"
            )
        ]
        indexes = [
            models.Index(fields=["subject", "kind"], name="ledger_entry_subject"),
            models.Index(fields=["id"], condition=Q(index__isnull=True), name="ledger_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} @ {self.index}"


class StoredHash(models.Model):
    """A hash of the tree at its stored hash index (level and position interleaved)."""

    index = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField()

    def __str__(self) -> str:
        return str(self.index)


class Checkpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint in a signed note), with the witnesses'
    cosignatures added as they come."""

    size = models.BigIntegerField(primary_key=True)
    root = models.BinaryField()
    note = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        get_latest_by = "size"

    def __str__(self) -> str:
        return str(self.size)


class Head(models.Model):
    """The one row that says how big the log is; the writer locks it to integrate."""

    size = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.size)


class WitnessState(models.Model):
    """The size of the last checkpoint a witness cosigned for us: the next add-checkpoint
    request sends a consistency proof from there (C2SP tlog-witness `old`)."""

    url = models.URLField(max_length=500, unique=True)
    size = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.url} @ {self.size}"
