"""What the association follows of its benchmark enterprises through a programme's year
(1 January to 31 December of the programme's year, local time): consumers' checks and
the suspected copies among them, recalls, certificates, and its own notes and visits.

The checks and copies come from the same queries as the portal's scan log and
suspected copies pages, so a number here is the number those pages show for the year.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from trustlabel.accounts.access import Actor
from trustlabel.trace.models import Recall
from trustlabel.verify.reports import (
    SuspectedCopy,
    checks_per_day,
    scans_for,
    suspected_copies_for,
    with_orders,
)

from .models import Benchmark, BenchmarkNote, Certificate, Programme

# How many of the year's suspected copies the page lists; the copies page has them all.
LATEST_COPIES = 5


@dataclass(frozen=True)
class Year:
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, programme: Programme) -> "Year":
        return cls(dt.date(programme.year, 1, 1), dt.date(programme.year, 12, 31))

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The first moment after the year."""
        return timezone.make_aware(dt.datetime(self.last.year + 1, 1, 1))


def _checks(actor: Actor, year: Year) -> QuerySet:
    return scans_for(actor, {"date_from": year.first, "date_to": year.last}).order_by()


def _copies(actor: Actor, year: Year) -> QuerySet:
    return suspected_copies_for(actor, {}).filter(
        copy_flagged_at__gte=year.start, copy_flagged_at__lt=year.end
    )


def _recalls(year: Year) -> QuerySet:
    return Recall.objects.filter(opened_at__gte=year.start, opened_at__lt=year.end)


@dataclass
class Tracking:
    """Everything the benchmark's page shows."""

    benchmark: Benchmark
    year: Year
    chart: dict
    copy_count: int
    latest_copies: list[SuspectedCopy]
    recalls: list[Recall]
    certificates: list[Certificate]
    notes: list[BenchmarkNote]

    @property
    def check_count(self) -> int:
        return sum(self.chart["totals"])

    @property
    def month_rows(self) -> list[tuple[str, list[int], int]]:
        """The chart as table rows: month, counts by verdict, total."""
        return [
            (month, [s["data"][i] for s in self.chart["series"]], self.chart["totals"][i])
            for i, month in enumerate(self.chart["days"])
        ]

    @property
    def verdict_totals(self) -> list[tuple[str, int]]:
        return [(s["name"], sum(s["data"])) for s in self.chart["series"]]

    @property
    def open_recalls(self) -> int:
        return sum(1 for recall in self.recalls if recall.is_open)


def tracking(actor: Actor, benchmark: Benchmark) -> Tracking:
    organisation = benchmark.organisation
    year = Year.of(benchmark.programme)
    copies = _copies(actor, year).filter(organisation_id=organisation.pk)
    today = timezone.localdate()
    certificates = Certificate.objects.filter(
        programme_id=benchmark.programme_id, organisation=organisation
    )
    return Tracking(
        benchmark=benchmark,
        year=year,
        # Checks per local month and verdict, in the shape the scan log's chart draws.
        chart=checks_per_day(
            _checks(actor, year).filter(organisation=organisation),
            year.first,
            year.last,
            per="month",
        ),
        copy_count=copies.count(),
        latest_copies=with_orders(copies[:LATEST_COPIES]),
        recalls=list(
            _recalls(year).filter(organisation=organisation).prefetch_related("lots__product")
        ),
        certificates=[c.with_state(today) for c in certificates],
        notes=list(benchmark.notes.select_related("author")),
    )


@dataclass
class OverviewRow:
    benchmark: Benchmark
    checks: int
    copies: int
    recalls: int
    open_recalls: int
    certificate: Certificate | None  # the latest issued in the programme
    last_visit: dt.date | None


def _by_organisation(rows: QuerySet, field: str, **totals) -> dict[int, dict]:
    return {row[field]: row for row in rows.order_by().values(field).annotate(**totals)}


def overview(actor: Actor, programme: Programme) -> list[OverviewRow]:
    """One row per benchmark of the programme with its year's totals, in five queries
    however many benchmarks there are."""
    year = Year.of(programme)
    benchmarks = list(
        Benchmark.objects.filter(programme=programme)
        .select_related("organisation")
        .annotate(
            last_visit=Max("notes__on", filter=Q(notes__kind=BenchmarkNote.Kind.VISIT)),
        )
    )
    ids = [b.organisation_id for b in benchmarks]
    if not ids:
        return []
    checks = _by_organisation(
        _checks(actor, year).filter(organisation__in=ids), "organisation", n=Count("pk")
    )
    copies = _by_organisation(
        _copies(actor, year).filter(organisation_id__in=ids), "organisation_id", n=Count("pk")
    )
    recalls = _by_organisation(
        _recalls(year).filter(organisation__in=ids),
        "organisation",
        n=Count("pk"),
        open=Count("pk", filter=Q(closed_at__isnull=True)),
    )
    latest: dict[int, Certificate] = {}
    today = timezone.localdate()
    certificates = Certificate.objects.filter(programme=programme, organisation__in=ids)
    # Newest first, so the first seen of each holder is its latest.
    for certificate in certificates.order_by("-issued_at", "-pk"):
        latest.setdefault(certificate.organisation_id, certificate.with_state(today))
    nothing = {"n": 0, "open": 0}
    return [
        OverviewRow(
            benchmark=b,
            checks=checks.get(b.organisation_id, nothing)["n"],
            copies=copies.get(b.organisation_id, nothing)["n"],
            recalls=recalls.get(b.organisation_id, nothing)["n"],
            open_recalls=recalls.get(b.organisation_id, nothing)["open"],
            certificate=latest.get(b.organisation_id),
            last_visit=b.last_visit,
        )
        for b in benchmarks
    ]
