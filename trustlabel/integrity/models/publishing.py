"""Announcements the association publishes, and what consumers tell it about promises."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.catalog.models import Product
from trustlabel.storage import private_storage

from .programmes import Application, Programme


class Announcement(models.Model):
    """A public notice: free text and attachments, and for a programme the list of the
    enterprises approved in it, as it stood when the notice was published."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="announcements",
    )
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    lists_approved = models.BooleanField(
        _("list the approved enterprises"),
        default=False,
        help_text=_("Publish the programme's approved enterprises with the announcement"),
    )
    # Frozen at publication: [{"enterprise", "uscc", "region", "products", "certificate"}].
    approved = models.JSONField(default=list, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["-published_at"], name="announcement_published")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def display_title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title

    def display_body(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body


class Attachment(models.Model):
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments"
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"),
        upload_to="announcements/",
        storage=private_storage,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg", "xlsx", "csv"])],
    )
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class PromiseReport(models.Model):
    """A consumer saying "this product does not keep its promise", from the page of a
    check. Kept for the complaint workflow of a later capability."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="promise_reports"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    # The label checked, when the report came from a check's page.
    order = models.ForeignKey(
        "codes.LabelOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    serial = models.BigIntegerField(null=True, blank=True)
    text = models.TextField(_("what is wrong"), max_length=2000)
    contact = models.CharField(
        _("how to reach you (optional)"),
        max_length=100,
        blank=True,
        help_text=_("Only the association sees it"),
    )
    requester_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("broken promise report")
        verbose_name_plural = _("broken promise reports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.product} {self.created_at:%Y-%m-%d}"
