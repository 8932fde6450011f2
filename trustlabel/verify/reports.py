"""The scan log and the suspected copies as reports: their filter forms, queries and
charts, shared by the portal's pages (`portal_views`), the JSON API (`api.scans_router`)
and the association's benchmark tracking, so that a filter means the same thing, and a
number is the same number, everywhere.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db.models import Count, DateField, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from trustlabel.accounts.access import Actor, scoped
from trustlabel.accounts.forms import DateInput, EnterpriseFilterForm
from trustlabel.catalog.models import Product
from trustlabel.codes.keys import code_key
from trustlabel.codes.models import LabelOrder

from .models import Channel, CodeCheckStats, ScanLog, VerdictKind

COPY_REASONS = {
    "count": _("Checked too often"),
    "travel": _("Checked too far apart too quickly"),
}
# The scan log page opens on the last month; older checks are a date filter away.
DEFAULT_DAYS = 30


class OwnerFilterForm(EnterpriseFilterForm):
    """Which enterprise (association only) and which of its products to look at."""

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("All products"),
    )

    def __init__(self, actor: Actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = scoped(actor, Product.objects.all())
        if not actor.is_association:
            del self.fields["enterprise"]


class ScanFilterForm(OwnerFilterForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[("", _("All verdicts")), *VerdictKind.choices],
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )

    field_order = ["date_from", "date_to", "enterprise", "product", "verdict", "channel"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def scans_for(actor: Actor, filters: dict) -> QuerySet:
    """The scan log rows the actor may see, narrowed by a valid ScanFilterForm's data."""
    rows = scoped(
        actor, ScanLog.objects.select_related("organisation", "order__product", "order__lot")
    )
    if filters.get("enterprise"):
        rows = rows.filter(organisation=filters["enterprise"])
    if filters.get("product"):
        rows = rows.filter(order__product=filters["product"])
    if filters.get("date_from"):
        rows = rows.filter(checked_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(checked_at__lt=_day_start(filters["date_to"] + dt.timedelta(days=1)))
    if filters.get("verdict"):
        rows = rows.filter(verdict=filters["verdict"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    return rows


# Every verdict, in the order they are stacked in the charts, each with its colour.
CHART_COLOURS = {
    VerdictKind.GENUINE: "#1e8e3e",
    VerdictKind.GENUINE_CHECKED_BEFORE: "#81c995",
    VerdictKind.EXPIRED: "#f9ab00",
    VerdictKind.MISTYPED: "#9aa0a6",
    VerdictKind.UNKNOWN: "#a50e0e",
    VerdictKind.SUSPECTED_COPY: "#d93025",
    VerdictKind.PIN_REQUIRED: "#5f6368",
    VerdictKind.NOT_ACTIVATED: "#8ab4f8",
    VerdictKind.RECALLED: "#9334e6",
    VerdictKind.OUTSIDE_REGION: "#e37400",
}

# How `checks_per_day` may count: the truncation, and how a period is written.
_PER = {
    "day": (TruncDate, dt.date.isoformat),
    "month": (TruncMonth, lambda month: month.strftime("%Y-%m")),
}


def _periods(first: dt.date, last: dt.date, per: str) -> list[dt.date]:
    """Every day (or first of a month) from `first` to `last`."""
    if per == "day":
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=31)).replace(day=1)
    return months


def checks_per_day(
    rows: QuerySet, first: dt.date | None, last: dt.date | None, per: str = "day"
) -> dict:
    """Counts of checks per local day (or month: `per="month"`) and verdict, every period
    in the range present (under `days`, the key the chart script reads)."""
    truncate, written = _PER[per]
    counts = (
        rows.order_by()
        .annotate(period=truncate("checked_at", output_field=DateField()))
        .values_list("period", "verdict")
        .annotate(n=Count("id"))
    )
    table: dict[tuple[dt.date, str], int] = {(when, verdict): n for when, verdict, n in counts}
    seen = [when for when, _verdict in table]
    first = first or min(seen, default=None)
    periods = []
    if first is not None:
        last = last or max([*seen, timezone.localdate()])
        periods = _periods(first, last, per)
    kinds = [kind for kind in CHART_COLOURS if any(v == kind for _p, v in table)]
    return {
        "days": [written(when) for when in periods],
        "totals": [sum(table.get((when, kind), 0) for kind in kinds) for when in periods],
        "series": [
            {
                "name": str(VerdictKind(kind).label),
                "colour": CHART_COLOURS[kind],
                "data": [table.get((when, kind), 0) for when in periods],
            }
            for kind in kinds
        ],
    }


@dataclass
class SuspectedCopy:
    stats: CodeCheckStats
    order: LabelOrder

    @property
    def label_number(self) -> int:
        """Which label of its order it is, counting from 1, as in the print file."""
        return self.stats.serial - self.order.serial_start + 1

    @property
    def public_serial(self) -> str | None:
        """The serial printed outside a scratch-off label, by which it can be found."""
        if self.order.layout != LabelOrder.Layout.SCRATCH:
            return None
        return code_key(self.order.key_version).public_serial(self.stats.serial)

    @property
    def reason(self) -> str:
        return str(COPY_REASONS.get(self.stats.copy_reason, self.stats.copy_reason))


def suspected_copies_for(actor: Actor, filters: dict) -> QuerySet:
    """Flagged codes the actor may see, newest flag first, each annotated with its label
    order. Check totals have no row per order, so the order is found by serial range."""
    order = LabelOrder.objects.filter(
        key_version_id=OuterRef("key_version"), serial_start__lte=OuterRef("serial")
    ).order_by("-serial_start")
    rows = CodeCheckStats.objects.filter(copy_flagged_at__isnull=False).annotate(
        order_id=Subquery(order.values("pk")[:1]),
        organisation_id=Subquery(order.values("organisation_id")[:1]),
        product_id=Subquery(order.values("product_id")[:1]),
    )
    if not actor.is_association:  # scoped() by hand: the owner is an annotation here
        rows = rows.filter(organisation_id=actor.organisation.pk)
    if filters.get("enterprise"):
        rows = rows.filter(organisation_id=filters["enterprise"].pk)
    if filters.get("product"):
        rows = rows.filter(product_id=filters["product"].pk)
    return rows.order_by("-copy_flagged_at", "-pk")


def with_orders(stats_rows) -> list[SuspectedCopy]:
    """Join a page of flagged codes to their orders in one query."""
    stats_rows = list(stats_rows)
    orders = LabelOrder.objects.select_related(
        "product", "lot", "organisation", "key_version"
    ).in_bulk({row.order_id for row in stats_rows})
    return [SuspectedCopy(row, orders[row.order_id]) for row in stats_rows]
