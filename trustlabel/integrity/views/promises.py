"""Broken-promise reports: the consumer's form (public, from a check's page) and the
portal's list of them (the association sees all, an enterprise those about its products)."""

from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trustlabel.accounts.access import scoped
from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import filter_by_enterprise, page_of, portal_page
from trustlabel.catalog.models import Product
from trustlabel.codes.models import LabelOrder
from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from ..actions.promises import do_report_broken_promise
from ..forms.promises import PromiseReportForm
from ..models import Application, PromiseReport
from ..promises import read_report_token

# Reports take someone's time at the association: a handful an hour from one address.
REPORTS_PER_CLIENT = Limit("promise-ip", 10, 3600)


def _page(request, context: dict, status: int):
    return render(request, "integrity/promises/report.html", context, status=status)


@require_POST
def report(request, application: int):
    """Store a report made from a check's page, whose signed note names the product and
    the label checked; then say thank you and what happens next."""
    wait = check_limits([(REPORTS_PER_CLIENT, client_ip(request))], timezone.now())
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        error = _("Too many reports from your connection. Please try again in %(minutes)s minutes.")
        response = _page(request, {"error": error % {"minutes": minutes}}, 429)
        response["Retry-After"] = str(wait)
        return response
    try:
        note = read_report_token(request.POST.get("token", ""))
    except signing.SignatureExpired:
        error = _(
            "This page is too old to send a report: check the label again and report from its page."
        )
        return _page(request, {"error": error}, 400)
    except signing.BadSignature:
        error = _(
            "A report can be made only from the page of a label's check: check the label "
            "and report from there."
        )
        return _page(request, {"error": error}, 400)
    subject = (
        Application.objects.select_related("programme")
        .filter(pk=application, status=Application.Status.APPROVED)
        .first()
    )
    product = Product.objects.filter(pk=note["product"]).first()
    if subject is None or product is None:
        error = _("This product made no promise under this programme.")
        return _page(request, {"error": error}, 400)
    order = None
    if note.get("order") is not None:
        order = LabelOrder.objects.filter(pk=note["order"], product=product).first()
    form = PromiseReportForm(request.POST)
    if form.is_valid():
        try:
            do_report_broken_promise(
                subject,
                product,
                form.cleaned_data["text"],
                form.cleaned_data["contact"],
                client_ip(request),
                order=order,
                serial=note.get("serial"),
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            return redirect("directory:promise-thanks")
    return _page(request, {"form": form, "application": subject, "product": product}, 400)


@require_GET
def thanks(request):
    return render(request, "integrity/promises/thanks.html")


@portal_page
def reports(request):
    """The reports, newest first. The consumer's contact is for the association only: an
    enterprise reads what is wrong with its product, never who said so."""
    rows = PromiseReport.objects.select_related(
        "application__programme", "product__organisation", "order"
    )
    rows = scoped(request.actor, rows, "product__organisation")
    rows, enterprise_form = filter_by_enterprise(request, rows, "product__organisation")
    page, query = page_of(request, rows)
    for row in page:
        # The label's number within its order, as printed on the sheet.
        row.label_number = (
            row.serial - row.order.serial_start + 1
            if row.order is not None and row.serial is not None
            else None
        )
    return render(
        request,
        "integrity/promises/reports.html",
        {
            "page": page,
            "query": query,
            "enterprise_form": enterprise_form,
            "show_contact": request.actor.is_association,
        },
    )
