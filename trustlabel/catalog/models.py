from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trustlabel.accounts.models import Organisation

from .gtin import validate_gtin14


class Product(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="products",
        limit_choices_to={"kind": Organisation.Kind.ENTERPRISE},
    )
    gtin = models.CharField(_("GTIN-14"), max_length=14, unique=True, validators=[validate_gtin14])
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    standard_number = models.CharField(_("standard number"), max_length=60, blank=True)
    standard_name = models.CharField(_("standard name"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.gtin})"

    def display_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Lot(models.Model):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="lots"
    )
    lot_number = models.CharField(_("lot number"), max_length=20)
    production_date = models.DateField(_("production date"))
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(2_000_000_000)]
    )
    factory = models.CharField(_("factory"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("production lot")
        verbose_name_plural = _("production lots")
        ordering = ["-production_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="lot_unique_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} / {self.lot_number}"

    def clean(self) -> None:
        if self.expiry_date and self.expiry_date < self.production_date:
            raise ValidationError(
                {"expiry_date": _("The expiry date cannot be before the production date.")}
            )

    @property
    def organisation_id(self) -> int:
        return self.product.organisation_id

    def is_expired(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expiry_date is not None and self.expiry_date < today


class InspectionReport(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", pgettext_lazy("inspection result", "Passed")
        FAIL = "fail", pgettext_lazy("inspection result", "Failed")

    lot = models.ForeignKey(
        Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="reports"
    )
    report_number = models.CharField(_("report number"), max_length=60)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    inspector_name = models.CharField(_("inspecting organisation"), max_length=200)
    inspected_on = models.DateField(_("inspection date"))
    file = models.FileField(
        _("report (PDF)"),
        upload_to="reports/",
        validators=[FileExtensionValidator(["pdf"])],
    )
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("inspection report")
        verbose_name_plural = _("inspection reports")
        ordering = ["-inspected_on"]

    def __str__(self) -> str:
        return f"{self.report_number} ({self.get_result_display()})"
