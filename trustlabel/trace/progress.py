"""Where recalled goods are: a recall's progress for the enterprise and the association,
and the recalled stock a distributor holds."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from trustlabel.accounts.models import Organisation
from trustlabel.codes.models import LabelOrder
from trustlabel.regions import places
from trustlabel.verify.models import ScanLog

from .models import Commissioning, MovedLot, Recall


@dataclass(frozen=True)
class Destination:
    """A distributor recalled goods went to: how many units were shipped to it and how
    many it confirmed receiving, and where it sells."""

    organisation: Organisation
    shipped: int
    received: int
    regions: list[str]


@dataclass(frozen=True)
class Progress:
    made: int  # units produced in the recalled lots
    labelled: int  # labels ordered for them
    commissioned: int  # labels put on products (activated)
    destinations: list[Destination]
    checks_since: int  # consumer checks of recalled items since the recall
    checkers_since: int  # by how many different requesters

    @property
    def shipped(self) -> int:
        return sum(d.shipped for d in self.destinations)


def recall_progress(recall: Recall, language: str) -> Progress:
    lots = list(recall.lots.all())
    orders = LabelOrder.objects.filter(lot__in=lots)
    units = (
        MovedLot.objects.filter(lot__in=lots, destination__isnull=False)
        .values("destination")
        .annotate(
            shipped=Sum("units", filter=Q(biz_step="shipping")),
            received=Sum("units", filter=Q(biz_step="receiving")),
        )
        .order_by("destination")
    )
    organisations = Organisation.objects.in_bulk([row["destination"] for row in units])
    destinations = [
        Destination(
            organisations[row["destination"]],
            row["shipped"] or 0,
            row["received"] or 0,
            [
                places.place_name(code, language)
                for code in places.sales_regions(row["destination"])
            ],
        )
        for row in units
        if organisations[row["destination"]].kind != Organisation.Kind.ENTERPRISE
    ]
    checks = ScanLog.objects.filter(order__lot__in=lots, checked_at__gte=recall.opened_at)
    if recall.closed_at:
        checks = checks.filter(checked_at__lte=recall.closed_at)
    totals = checks.aggregate(n=Count("pk"), who=Count("requester", distinct=True))
    commissioned = sum(
        run.serial_end - run.serial_start for run in Commissioning.objects.filter(order__in=orders)
    )
    return Progress(
        made=sum(lot.quantity for lot in lots),
        labelled=sum(order.quantity for order in orders),
        commissioned=commissioned,
        destinations=sorted(destinations, key=lambda d: -d.shipped),
        checks_since=totals["n"],
        checkers_since=totals["who"],
    )


@dataclass(frozen=True)
class HeldRecall:
    recall: Recall
    units: int  # units of the recalled lots shipped to the distributor, less those it sent on


def recalls_held_by(organisation: Organisation) -> list[HeldRecall]:
    """The recalls whose goods were shipped to this distributor: what it must take off
    the shelves. Open recalls first."""
    moved = MovedLot.objects.filter(Q(destination=organisation) | Q(source=organisation))
    lot_ids = set(moved.values_list("lot_id", flat=True))
    if not lot_ids:
        return []
    recalls = (
        Recall.objects.filter(lots__in=lot_ids)
        .distinct()
        .select_related("organisation")
        .prefetch_related("lots__product")
    )
    held = []
    for recall in recalls:
        of_recall = moved.filter(lot__in=recall.lots.all())
        came = of_recall.filter(destination=organisation, biz_step="shipping").aggregate(
            n=Sum("units")
        )["n"]
        came = came or (
            of_recall.filter(destination=organisation, biz_step="receiving").aggregate(
                n=Sum("units")
            )["n"]
            or 0
        )
        went = (
            of_recall.filter(source=organisation, biz_step="shipping").aggregate(n=Sum("units"))[
                "n"
            ]
            or 0
        )
        held.append(HeldRecall(recall, max(0, came - went)))
    return sorted(held, key=lambda h: (not h.recall.is_open, -h.recall.opened_at.timestamp()))


def visible_recalls(actor):
    """The recalls this organisation may see: its own; for a distributor, those of goods
    shipped to it; the association and inspectors, all."""
    rows = Recall.objects.select_related("organisation", "event").prefetch_related("lots__product")
    if actor.is_association or actor.is_inspector:
        return rows
    if actor.is_distributor:
        return rows.filter(pk__in=[h.recall.pk for h in recalls_held_by(actor.organisation)])
    return rows.filter(organisation=actor.organisation)
