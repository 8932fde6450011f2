from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation
from trustlabel.regions.models import Division

from ..uscc import validate_uscc


class Industry(models.TextChoices):
    """The sections (门类) of the national economic industry classification, GB/T 4754-2017;
    the Chinese names come from the zh-Hans catalogue."""

    A = "A", _("Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("Mining")
    C = "C", _("Manufacturing")
    D = "D", _("Production and supply of electricity, heat, gas and water")
    E = "E", _("Construction")
    F = "F", _("Wholesale and retail trade")
    G = "G", _("Transport, storage and postal services")
    H = "H", _("Accommodation and catering")
    I = "I", _("Information transmission, software and information technology services")  # noqa: E741
    J = "J", _("Finance")
    K = "K", _("Real estate")
    L = "L", _("Leasing and business services")
    M = "M", _("Scientific research and technical services")
    N = "N", _("Water conservancy, environment and public facilities management")
    O = "O", _("Resident services, repair and other services")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Health and social work")
    R = "R", _("Culture, sports and entertainment")
    S = "S", _("Public administration, social security and social organisations")
    T = "T", _("International organisations")


class Member(models.Model):
    """An enterprise in the association's member register."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        LAPSED = "lapsed", _("Lapsed")

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="member",
        limit_choices_to={"kind": Organisation.Kind.ENTERPRISE},
    )
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
        help_text=_("18 characters, as on the business licence"),
    )
    # Null only for members registered before regions were recorded.
    region = models.ForeignKey(
        Division,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    status = models.CharField(
        _("membership status"), max_length=16, choices=Status.choices, default=Status.APPLICANT
    )
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=~models.Q(uscc=""),
                name="member_uscc_once",
                violation_error_message=_(
                    "Another member already has this unified social credit code."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gt=models.F("joined_on")),
                name="member_expires_after_joining",
                violation_error_message=_("The membership must expire after the day it began."),
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name
