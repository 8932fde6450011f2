"""Enterprise portal pages of the scan log and the suspected copies (see reports.py)."""

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from trustlabel.accounts.views import page_of, portal_page

from .reports import (
    DEFAULT_DAYS,
    OwnerFilterForm,
    ScanFilterForm,
    checks_per_day,
    scans_for,
    suspected_copies_for,
    with_orders,
)


@portal_page
def scan_log(request):
    actor = request.actor
    data = request.GET
    if "date_from" not in data:
        data = data.copy()
        data["date_from"] = (timezone.localdate() - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    form = ScanFilterForm(actor, data)
    form.is_valid()  # an invalid filter is shown with its error; the valid ones still apply
    filters = form.cleaned_data
    rows = scans_for(actor, filters)
    page, query = page_of(request, rows)
    chart = checks_per_day(rows, filters.get("date_from"), filters.get("date_to"))
    # The same numbers as a table, for reading without JavaScript.
    chart_rows = [
        (day, [s["data"][i] for s in chart["series"]], chart["totals"][i])
        for i, day in enumerate(chart["days"])
    ]
    return render(
        request,
        "portal/scan_log.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "chart": chart,
            "chart_rows": chart_rows,
            "actor": actor,
        },
    )


@portal_page
def suspected_copies(request):
    actor = request.actor
    form = OwnerFilterForm(actor, request.GET)
    form.is_valid()
    filters = form.cleaned_data
    page, query = page_of(request, suspected_copies_for(actor, filters))
    return render(
        request,
        "portal/suspected_copies.html",
        {
            "form": form,
            "page": page,
            "copies": with_orders(page.object_list),
            "query": query,
            "actor": actor,
        },
    )
