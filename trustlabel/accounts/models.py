import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import ean


def validate_gln(value: str) -> None:
    if not (len(value) == 13 and value.isdigit() and ean.is_valid(value)):
        raise ValidationError(_("A GLN is 13 digits with a valid check digit."), code="gln")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("Association")
        ENTERPRISE = "enterprise", _("Enterprise")
        DISTRIBUTOR = "distributor", _("Distributor")
        INSPECTOR = "inspector", _("Inspector")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name (Chinese)"), max_length=200, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # Its GS1 Global Location Number, when it has one: how EPCIS events from other
    # systems name it (as a party, urn:epc:id:pgln / 417, or a site, sgln / 414).
    gln = models.CharField(
        _("GLN"),
        max_length=13,
        blank=True,
        validators=[validate_gln],
        help_text=_("GS1 Global Location Number, 13 digits"),
    )
    # Where it is seated: a GB/T 2260 division code (regions.Division). A consumer's trace
    # says goods were shipped to its city.
    region = models.CharField(_("seat (division code)"), max_length=6, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["gln"], condition=~models.Q(gln=""), name="organisation_gln_once"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_association(self) -> bool:
        return self.kind == self.Kind.ASSOCIATION

    @property
    def is_enterprise(self) -> bool:
        return self.kind == self.Kind.ENTERPRISE

    @property
    def is_distributor(self) -> bool:
        return self.kind == self.Kind.DISTRIBUTOR

    def display_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.STAFF)

    @property
    def is_org_admin(self) -> bool:
        return self.organisation_id is not None and self.role == self.Role.ADMIN


class ApiKey(models.Model):
    """A machine's credential, scoped to one organisation.

    The key is shown once when it is made; only its SHA-256 is kept. Keys carry 256 bits
    of randomness, so a fast hash is enough: there is nothing to brute-force.
    """

    PREFIX = "tl_"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(
        _("role"), max_length=8, choices=User.Role.choices, default=User.Role.STAFF
    )
    # The first characters of the key, shown in lists so people can tell keys apart.
    hint = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
