"""The benchmark enterprises (标杆企业) the association follows through a programme's year."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.models import Organisation

from .programmes import Programme

# The association names at most this many per programme.
MAX_BENCHMARKS = 100


class Benchmark(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="benchmarks"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="benchmarks",
        limit_choices_to={"kind": Organisation.Kind.ENTERPRISE},
    )
    reason = models.TextField(_("why it was named"), blank=True)
    named_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    named_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("benchmark enterprise")
        verbose_name_plural = _("benchmark enterprises")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation"],
                name="benchmark_once_per_programme",
                violation_error_message=_("This enterprise is already a benchmark here."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.programme})"


class BenchmarkNote(models.Model):
    """A note, or a visit by the association's staff, on a benchmark enterprise."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        VISIT = "visit", _("Visit")

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    on = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("text"), max_length=4000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("benchmark note")
        verbose_name_plural = _("benchmark notes")
        ordering = ["-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"
