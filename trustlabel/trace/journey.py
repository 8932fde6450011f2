"""The consumer's trace: an item's journey in plain words on the verification page.

Produced (lot, date, factory), inspected (reports), shipped and received (the city, never
the distributor), and any recall. The enterprise decides which steps are public
(PublicTrace); a recall is always shown, with the verdict.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from trustlabel.regions import divisions

from .labels import Label
from .logistics import label_history
from .models import PublicTrace


@dataclass(frozen=True)
class JourneyStep:
    kind: str  # produced, inspected, shipped, received
    when: dt.date
    text: str
    report: object = None  # an InspectionReport, for "inspected"


def public_steps(organisation_id: int) -> PublicTrace:
    return PublicTrace.objects.filter(organisation_id=organisation_id).first() or PublicTrace(
        organisation_id=organisation_id
    )


def city_name(code: str, language: str) -> str:
    """The city of a division: its prefecture, a municipality, or a county-level city
    directly under its province; "" for an unknown code."""
    chain = divisions.chain(code)
    if not chain:
        return ""
    by_level = {entry.level: entry for entry in chain}
    province = by_level.get(1)
    if 2 in by_level:
        entry = by_level[2]
    elif province is not None and province.name.endswith("市"):
        entry = province  # Beijing, Tianjin, Shanghai, Chongqing
    else:
        entry = chain[0]
    return entry.name_en if language == "en" and entry.name_en else entry.name


def journey(label: Label, reports, language: str) -> list[JourneyStep]:
    """The public steps of one labelled item's journey, oldest first."""
    lot = label.order.lot
    shown = public_steps(label.order.organisation_id)
    steps = []
    if shown.production:
        steps.append(
            JourneyStep(
                "produced",
                lot.production_date,
                _("Produced at %(factory)s, lot %(lot)s")
                % {"factory": lot.factory, "lot": lot.lot_number},
            )
        )
    if shown.inspection:
        steps += [
            JourneyStep(
                "inspected",
                report.inspected_on,
                _("Inspected by %(inspector)s: %(result)s")
                % {"inspector": report.inspector_name, "result": report.get_result_display()},
                report,
            )
            for report in reports
        ]
    if shown.shipping:
        steps += _movements(label, language)
    return sorted(steps, key=lambda s: s.when)


def _movements(label: Label, language: str) -> list[JourneyStep]:
    steps = []
    for step in label_history(label):
        event = step.event
        if event.biz_step not in ("shipping", "receiving"):
            continue
        moved = (
            event.movements.filter(destination__isnull=False).select_related("destination").first()
        )
        if moved is None:
            continue
        city = city_name(moved.destination.region, language) if moved.destination.region else ""
        day = timezone.localdate(event.event_time)
        if event.biz_step == "shipping":
            text = _("Shipped to %(city)s") % {"city": city} if city else _("Shipped")
        else:
            text = _("Arrived in %(city)s") % {"city": city} if city else _("Arrived at a seller")
        steps.append(JourneyStep(event.biz_step, day, text))
    return steps
