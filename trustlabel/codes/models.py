from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Lot, Product


class KeyVersion(models.Model):
    """One version of the code keys. Its secret is stored only wrapped by the master key."""

    version = models.PositiveIntegerField(primary_key=True)
    wrapped_secret = models.BinaryField(editable=False)
    master_fingerprint = models.CharField(max_length=16, editable=False)
    # The next internal serial to allocate in this version's serial space.
    next_serial = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("key version")
        verbose_name_plural = _("key versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_key"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def digit(self) -> int:
        return self.version % 10


class LabelOrder(models.Model):
    """A print run of labels: one row for any number of codes, never a row per code."""

    class Layout(models.TextChoices):
        OPEN = "open", _("Open (the QR code carries everything)")
        SCRATCH = "scratch", _("Scratch-off (hidden code under a coating)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="label_orders"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="label_orders"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="label_orders"
    )
    quantity = models.PositiveBigIntegerField(
        _("quantity"),
        validators=[
            MinValueValidator(1),
            MaxValueValidator(settings.TRUSTLABEL_MAX_ORDER_QUANTITY),
        ],
    )

    class Activation(models.TextChoices):
        COMMISSIONING = "commissioning", _("When commissioned (a commissioning event)")
        ISSUE = "issue", _("When issued")

    layout = models.CharField(_("layout"), max_length=8, choices=Layout.choices)
    # Whether codes answer "genuine" from the start or only once commissioned: stolen or
    # unused labels show up as "not activated" until a commissioning event covers them.
    activation = models.CharField(
        _("activation"),
        max_length=16,
        choices=Activation.choices,
        default=Activation.COMMISSIONING,
    )
    # Labels ordered under a label programme carry its mark and count against its quota.
    programme = models.ForeignKey(
        "integrity.Programme",
        verbose_name=_("label programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="label_orders",
    )
    key_version = models.ForeignKey(KeyVersion, on_delete=models.PROTECT, editable=False)
    serial_start = models.BigIntegerField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("label order")
        verbose_name_plural = _("label orders")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["key_version", "serial_start"], name="order_serial_range")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product.name} × {self.quantity}"

    @property
    def serial_end(self) -> int:
        """One past the last internal serial of the order."""
        return self.serial_start + self.quantity

    def contains(self, serial: int) -> bool:
        return self.serial_start <= serial < self.serial_end


class Export(models.Model):
    """A print file being made or ready to download. It holds every secret code of its
    order, so it lives outside the media root and is deleted once downloaded or expired."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV for printing houses (zipped)")
        PDF = "pdf", _("PDF label sheet (A4)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        READY = "ready", _("Ready to download")
        FAILED = "failed", pgettext_lazy("export status", "Failed")
        DOWNLOADED = "downloaded", _("Downloaded and deleted")
        EXPIRED = "expired", _("Expired and deleted")

    order = models.ForeignKey(LabelOrder, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        return min(100, self.done * 100 // max(self.order.quantity, 1))

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
