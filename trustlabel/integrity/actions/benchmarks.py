"""Naming benchmark enterprises and keeping their notes and visits: the association's
work, at most MAX_BENCHMARKS per programme."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation

from ..models import MAX_BENCHMARKS, Application, Benchmark, BenchmarkNote, Programme

NOTE_LENGTH = BenchmarkNote._meta.get_field("text").max_length


def _require_association(actor: Actor) -> None:
    if not actor.is_association:
        raise PermissionDenied


def participants(programme: Programme):
    """The enterprises taking part in the programme: those with an approved application
    (a replaced version counts too; it was approved)."""
    return Organisation.objects.filter(
        kind=Organisation.Kind.ENTERPRISE,
        applications__programme=programme,
        applications__status=Application.Status.APPROVED,
    ).distinct()


def do_name_benchmark(
    actor: Actor, programme: Programme, organisation: Organisation, reason: str = ""
) -> Benchmark:
    """Name a participant of the programme a benchmark enterprise, for the association to
    follow through the year."""
    _require_association(actor)
    if organisation.kind != Organisation.Kind.ENTERPRISE:
        raise ValidationError(_("Only an enterprise can be a benchmark."))
    with transaction.atomic():
        # The programme's row is the lock every naming takes, so two people naming at
        # once cannot both take the last place.
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if not participants(programme).filter(pk=organisation.pk).exists():
            raise ValidationError(
                _(
                    "%(enterprise)s takes no part in %(programme)s: only an enterprise with "
                    "an approved application can be a benchmark."
                )
                % {"enterprise": organisation.name, "programme": programme.name}
            )
        named = Benchmark.objects.filter(programme=programme)
        if named.filter(organisation=organisation).exists():
            raise ValidationError(_("This enterprise is already a benchmark here."))
        if named.count() >= MAX_BENCHMARKS:
            raise ValidationError(
                _("A programme has at most %(limit)s benchmark enterprises.")
                % {"limit": MAX_BENCHMARKS}
            )
        try:
            with transaction.atomic():
                return Benchmark.objects.create(
                    programme=programme,
                    organisation=organisation,
                    reason=reason.strip(),
                    named_by=actor.user,
                )
        except IntegrityError:  # named by someone else a moment ago
            raise ValidationError(_("This enterprise is already a benchmark here.")) from None


def do_remove_benchmark(actor: Actor, benchmark: Benchmark) -> None:
    """Stop following an enterprise; its notes and visits go with it."""
    _require_association(actor)
    benchmark.delete()


def do_add_benchmark_note(
    actor: Actor, benchmark: Benchmark, kind: str, on: dt.date, text: str
) -> BenchmarkNote:
    """Record a note on a benchmark enterprise, or a visit the association's staff made."""
    _require_association(actor)
    if kind not in BenchmarkNote.Kind.values:
        raise ValidationError({"kind": _("Choose a note or a visit.")})
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write what happened.")})
    if len(text) > NOTE_LENGTH:
        raise ValidationError(
            {"text": _("Keep it under %(limit)s characters.") % {"limit": NOTE_LENGTH}}
        )
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    return BenchmarkNote.objects.create(
        benchmark=benchmark, kind=kind, on=on, text=text, author=actor.user
    )
