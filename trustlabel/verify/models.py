from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation
from trustlabel.codes.models import LabelOrder


class Channel(models.TextChoices):
    WEB = "web", _("Web page")
    QR = "qr", _("QR scan")
    API = "api", _("API")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    PHONE = "phone", _("Telephone")


class VerdictKind(models.TextChoices):
    GENUINE = "genuine", _("Genuine")
    GENUINE_CHECKED_BEFORE = "genuine_checked_before", _("Genuine, checked before")
    SUSPECTED_COPY = "suspected_copy", _("Suspected copy")
    MISTYPED = "mistyped", _("Mistyped")
    UNKNOWN = "unknown", _("Unknown code")
    EXPIRED = "expired", _("Expired")
    PIN_REQUIRED = "pin_required", _("Hidden code needed")
    NOT_ACTIVATED = "not_activated", _("Not activated")
    RECALLED = "recalled", _("Recalled")
    # Inspectors only: genuine, but checked outside the sales region of the distributor
    # it was shipped to.
    OUTSIDE_REGION = "outside_region", _("Outside its sales region")


class ScanLog(models.Model):
    """One consumer check, appended and never changed. Holds no personal data: the place is
    rounded to about a kilometre and the requester is a keyed hash of the client address."""

    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    verdict = models.CharField(max_length=24, choices=VerdictKind.choices)
    # The enterprise whose code was checked; empty for codes that matched no order.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        LabelOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key_version = models.PositiveIntegerField(null=True, blank=True)
    serial = models.BigIntegerField(null=True, blank=True)
    check_number = models.PositiveIntegerField(null=True, blank=True)
    lat = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    lon = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    requester = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scan log")
        ordering = ["-checked_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-checked_at"], name="scan_org_time"),
            models.Index(fields=["key_version", "serial"], name="scan_code"),
        ]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {self.verdict}"


class CodeCheckStats(models.Model):
    """Running totals of the checks of one code, kept so a check needs one upsert instead
    of counting the scan log. Rows exist only for codes that have been checked."""

    key_version = models.PositiveIntegerField()
    serial = models.BigIntegerField()
    check_count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    first_lat = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    first_lon = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    last_at = models.DateTimeField()
    # The last check that had a place, and the one with a place before it: enough to
    # tell an impossible journey between two consecutive placed checks.
    place_at = models.DateTimeField(null=True)
    place_lat = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    place_lon = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    prev_place_at = models.DateTimeField(null=True)
    prev_place_lat = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    prev_place_lon = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    copy_flagged_at = models.DateTimeField(null=True, blank=True)
    copy_reason = models.CharField(max_length=8, blank=True, db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_version", "serial"], name="stats_one_per_code")
        ]

    def __str__(self) -> str:
        return f"v{self.key_version}/{self.serial}: {self.check_count}"


class RateBucket(models.Model):
    """Hits of one rate-limited key in one time window; counted with an atomic upsert so
    every web worker on every host shares the same limit."""

    bucket = models.CharField(max_length=40)
    period = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bucket", "period"], name="rate_bucket_period")
        ]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.period}: {self.hits}"
