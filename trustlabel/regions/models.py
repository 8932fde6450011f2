from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation


class Division(models.Model):
    """An administrative division of China by its GB/T 2260 code (民政部 行政区划代码).

    Filled from data/divisions.csv by a migration and by `trustlabel load_divisions`;
    never edited by hand. Municipalities have no prefecture level, and some county-level
    units hang directly under their province (419001 济源市 -> 410000): always follow
    `parent`, never guess a parent from the digits.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        PREFECTURE = 2, _("prefecture")
        COUNTY = 3, _("county")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SalesRegion(models.Model):
    """A division a distributor may sell in; a place inside it (at any depth) is in
    the distributor's sales region."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("distributor"),
        on_delete=models.CASCADE,
        related_name="sales_regions",
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("sales region")
        verbose_name_plural = _("sales regions")
        ordering = ["organisation", "division"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "division"], name="sales_region_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.division}"
