"""Enterprise portal pages of label orders and their print files."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.access import Actor, require_enterprise, scoped
from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import list_page, portal_page, posted
from trustlabel.ledger import records as ledger

from . import actions
from .forms import ExportForm, LabelOrderForm
from .models import Export, LabelOrder

# While any export of an order is in one of these, its page reloads itself.
_IN_PROGRESS = {Export.Status.QUEUED, Export.Status.RUNNING}
REFRESH_SECONDS = 2


def visible_orders(actor: Actor):
    return scoped(actor, LabelOrder.objects.select_related("product", "lot", "organisation"))


def visible_exports(actor: Actor):
    return scoped(actor, Export.objects.select_related("order"), "order__organisation")


@portal_page
def orders(request):
    return list_page(request, "codes/orders.html", visible_orders(request.actor))


@portal_page
def order_create(request):
    actor = require_enterprise(request.actor)
    # A product's, lot's or programme's page links here with it chosen already.
    linked = ("product", "lot", "programme")
    initial = {name: request.GET[name] for name in linked if name in request.GET}
    form = LabelOrderForm(actor.organisation, posted(request)[0], initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data
        try:
            order = actions.do_create_label_order(
                actor,
                chosen["product"],
                chosen["lot"],
                chosen["quantity"],
                chosen["layout"],
                chosen["activation"],
                programme=chosen.get("programme"),
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(request, _("The label order is made."))
            return redirect("codes:order", pk=order.pk)
    return render(request, "codes/order_form.html", {"form": form})


@portal_page
def order_detail(request, pk: int):
    order = get_object_or_404(visible_orders(request.actor).select_related("key_version"), pk=pk)
    exports = list(order.exports.select_related("requested_by"))
    return render(
        request,
        "codes/order_detail.html",
        {
            "order": order,
            "exports": exports,
            "may_export": request.actor.can_export(order.organisation_id),
            "may_commission": request.actor.can_manage(order.organisation_id),
            "commissionings": order.commissionings.select_related("event", "order"),
            "export_form": ExportForm(),
            "ledger_entry": ledger.entry_of(order, "label_order"),
            "refresh": REFRESH_SECONDS if any(e.status in _IN_PROGRESS for e in exports) else 0,
        },
    )


@require_POST
@portal_page
def export_request(request, pk: int):
    order = get_object_or_404(visible_orders(request.actor), pk=pk)
    if not request.actor.can_export(order.organisation_id):
        raise PermissionDenied
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose CSV or PDF."))
    else:
        try:
            actions.do_request_export(request.actor, order, form.cleaned_data["format"])
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(
                request,
                _("The print file is requested; it can be downloaded here once it is ready."),
            )
    return redirect("codes:order", pk=order.pk)


@require_POST
@portal_page
def export_download(request, pk: int):
    """Hand over the print file once; it is deleted as it is taken (hence POST)."""
    export = get_object_or_404(visible_exports(request.actor), pk=pk)
    if not request.actor.can_export(export.order.organisation_id):
        raise PermissionDenied
    try:
        handle, filename = actions.do_take_download(request.actor, export)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("codes:order", pk=export.order_id)
    return FileResponse(handle, as_attachment=True, filename=filename)
