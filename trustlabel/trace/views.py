"""Portal pages of the trace app."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.views import portal_page
from trustlabel.codes.views import visible_orders

from . import actions
from .forms import CommissionForm


@require_POST
@portal_page
def commission(request, pk: int):
    """Commission labels of an order (its page holds the form)."""
    order = get_object_or_404(visible_orders(request.actor), pk=pk)
    if not request.actor.can_manage(order.organisation_id):
        raise PermissionDenied
    form = CommissionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the first and the last label to commission."))
        return redirect("codes:order", pk=order.pk)
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    try:
        actions.do_commission_order(request.actor, order, first, last)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Labels %(first)d to %(last)d are active.") % {"first": first, "last": last},
        )
    return redirect("codes:order", pk=order.pk)
