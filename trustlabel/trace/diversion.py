"""Anti-diversion (防窜货): a check of an item outside the sales region of the distributor it
was shipped to.

A check has a place when the browser shared its location (with consent), an inspector
stated one, or the operator configured an IP geolocation database. The place is turned
into a GB/T 2260 division at the time of the check, from the unrounded point, and
compared with the sales regions of the distributor the item (or its case or pallet) was
last shipped to. Outside them, the enterprise gets an alert with the evidence; an
inspector gets the verdict `outside_region`; a consumer is told nothing about
distributors.

How sure a place is decides how it is compared:
- a device's location: outside only when farther than a margin from every sales region
  (2 km or the reported accuracy, whichever is more; 12 % of town centres lie within
  1 km of a county border, docs/research/regions.md);
- a stated division: by the division tree, exactly;
- an IP address: at province level only, and only when no sales region lies in that
  province (an IP locates a city at best, and sometimes wrongly).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from trustlabel.accounts.access import scoped
from trustlabel.regions import divisions, places

from .labels import label_epc
from .logistics import last_destination
from .models import DiversionAlert

MARGIN_KM = 2.0


@dataclass(frozen=True)
class Where:
    """Where a check happened, as the checker gave it."""

    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    region: str | None = None  # a division code an inspector states
    client_ip: str = ""


def locate(where: Where) -> places.Located | None:
    """The division of the check, from the best source there is."""
    if where.region:
        return places.locate_division(where.region)
    if where.lat is not None and where.lon is not None:
        return places.locate_point(where.lat, where.lon, "gps", where.accuracy_m)
    if where.client_ip:
        return places.locate_ip(where.client_ip)
    return None


def can_locate(where: Where) -> bool:
    """Whether a check could have a place at all (cheap: no lookup)."""
    return bool(
        where.region
        or (where.lat is not None and where.lon is not None)
        or (where.client_ip and settings.TRUSTLABEL_IP_DB)
    )


def outside(regions: list[str], located: places.Located, where: Where) -> float | None:
    """How far outside the regions the place is, in km (0 when only known to be outside),
    or None when it is inside or too close to tell."""
    if not regions:
        return None
    if located.source == "ip":
        province = located.code[:2]
        if any(code[:2] == province for code in regions):
            return None
        return 0.0
    if places.covers(regions, located.code):
        return None
    if located.source == "gps":
        km = places.km_outside(regions, where.lat, where.lon)
        margin = max(MARGIN_KM, (where.accuracy_m or 0) / 1000)
        if km is not None and km <= margin:
            return None  # near a border: not evidence enough
        return km
    return 0.0


@transaction.atomic
def observe(
    order, serial: int, where: Where, at: dt.datetime, by_inspector: bool = False
) -> DiversionAlert | None:
    """Compare one check of a label with where its goods were shipped; raise (or add to)
    the enterprise's alert when it is outside. Returns the open alert, or None."""
    located = locate(where)
    if located is None:
        return None
    epc = label_epc(order, serial)
    move = last_destination(epc, before=at)
    if move is None:
        return None
    regions = places.sales_regions(move.destination_id)
    km = outside(regions, located, where)
    if km is None:
        return None
    alert = (
        DiversionAlert.objects.select_for_update()
        .filter(epc=epc, distributor=move.destination, state=DiversionAlert.State.OPEN)
        .first()
    )
    if alert is not None:
        changes = {"check_count": F("check_count") + 1, "last_checked_at": at}
        if by_inspector or located.level > _level(alert.observed_region):
            # An inspector's word, or a finer place, is the better evidence.
            changes |= {
                "observed_region": located.code,
                "observed_source": located.source,
                "km_outside": km or None,
                "by_inspector": alert.by_inspector or by_inspector,
            }
        DiversionAlert.objects.filter(pk=alert.pk).update(**changes)
        alert.refresh_from_db()
        return alert
    return DiversionAlert.objects.create(
        organisation_id=order.organisation_id,
        epc=epc,
        order=order,
        serial=serial,
        lot_id=order.lot_id,
        distributor=move.destination,
        shipment=move.event,
        expected_regions=sorted(regions),
        observed_region=located.code,
        observed_source=located.source,
        km_outside=km or None,
        by_inspector=by_inspector,
        checked_at=at,
        last_checked_at=at,
    )


def _level(code: str) -> int:
    entry = divisions.get(code)
    return entry.level if entry else 0


def visible_alerts(actor):
    """The alerts this organisation may see: an enterprise its own, the association all."""
    return scoped(actor, DiversionAlert.objects.all()).select_related(
        "distributor", "lot__product", "organisation", "shipment"
    )
