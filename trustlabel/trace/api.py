"""The trace app's part of the JSON API (EPCIS itself is at /epcis/, epcis_api.py)."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.catalog.api import get_visible, writer
from trustlabel.codes.views import visible_orders

from . import actions

router = Router(tags=["label orders"], auth=enterprise_auth)


class CommissionIn(Schema):
    first: int = 1
    last: int | None = None


class CommissioningOut(Schema):
    order_id: int
    first: int
    last: int
    event_id: str
    commissioned_at: dt.datetime

    @staticmethod
    def resolve_first(obj) -> int:
        return obj.first_label

    @staticmethod
    def resolve_last(obj) -> int:
        return obj.last_label

    @staticmethod
    def resolve_event_id(obj) -> str:
        return obj.event.event_id


@router.post(
    "/label-orders/{order_id}/commission",
    response={201: CommissioningOut},
    summary="Commission labels",
)
def commission(request, order_id: int, payload: CommissionIn):
    """Labels `first` to `last` of the order (places from 1; all by default) go onto
    products: one EPCIS commissioning event, and their checks answer genuine from now on
    instead of not_activated."""
    actor = writer(request)
    order = get_visible(visible_orders(actor), order_id, _("No such label order."))
    run = actions.do_commission_order(actor, order, payload.first, payload.last)
    return Status(201, run)
