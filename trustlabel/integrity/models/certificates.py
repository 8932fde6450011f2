"""Certificates: the written proof an approved application earns, and batches of them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trustlabel.accounts.models import Organisation
from trustlabel.storage import private_storage

from .programmes import Application, Programme


class Certificate(models.Model):
    """Issued once per approved application; revoked, replaced by a revision's
    certificate, or running out at the end of its validity."""

    class State(models.TextChoices):
        VALID = "valid", pgettext_lazy("certificate", "Valid")
        NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
        EXPIRED = "expired", pgettext_lazy("certificate", "Expired")
        REVOKED = "revoked", pgettext_lazy("certificate", "Revoked")
        SUPERSEDED = "superseded", _("Replaced by a newer certificate")

    number = models.CharField(_("certificate number"), max_length=40, unique=True)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    # Copied from the application, for the directory's queries.
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    # The Chinese PDF as issued; its SHA-256 is in the ledger.
    # Served by the check page's view (rate limited), not as a guessable media file.
    pdf = models.FileField(
        upload_to="certificates/", storage=private_storage, blank=True, editable=False
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="certificate_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def in_state(cls, state: str, today, prefix: str = "") -> models.Q:
        """The certificates in `state` on `today`, as state() decides it, as a filter
        (`prefix` leads from the queried model to the certificate)."""
        live = {f"{prefix}revoked_at__isnull": True, f"{prefix}superseded_by__isnull": True}
        conditions = {
            cls.State.REVOKED: {f"{prefix}revoked_at__isnull": False},
            cls.State.SUPERSEDED: {
                f"{prefix}revoked_at__isnull": True,
                f"{prefix}superseded_by__isnull": False,
            },
            cls.State.NOT_YET_VALID: {**live, f"{prefix}valid_from__gt": today},
            cls.State.EXPIRED: {**live, f"{prefix}valid_until__lt": today},
            cls.State.VALID: {
                **live,
                f"{prefix}valid_from__lte": today,
                f"{prefix}valid_until__gte": today,
            },
        }
        return models.Q(**conditions[state])

    def state(self, today=None) -> str:
        today = today or timezone.localdate()
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.superseded_by_id is not None:
            return self.State.SUPERSEDED
        if today < self.valid_from:
            return self.State.NOT_YET_VALID
        if today > self.valid_until:
            return self.State.EXPIRED
        return self.State.VALID

    def with_state(self, today=None) -> "Certificate":
        """This certificate with its state today and its label, for pages to show."""
        self.current_state = self.state(today)
        self.state_label = self.State(self.current_state).label
        return self

    def is_valid(self, today=None) -> bool:
        return self.state(today) == self.State.VALID


class CertificateBatch(models.Model):
    """Issuing the certificates of every approved application of a programme that has
    none yet, as one background task whose progress the association watches."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being issued")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("batch status", "Failed")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="certificate_batches"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moves with every certificate issued: a batch that stops moving lost its worker.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("certificate batch")
        verbose_name_plural = _("certificate batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.programme} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
