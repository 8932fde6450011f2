"""The trace app's part of the JSON API (EPCIS itself is at /epcis/, epcis_api.py)."""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from trustlabel.accounts.access import scoped
from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.catalog.api import get_visible, reader, writer
from trustlabel.catalog.views import visible_lots
from trustlabel.codes.views import visible_orders

from . import actions
from .models import Recall

router = Router(tags=["label orders"], auth=enterprise_auth)
recalls_router = Router(tags=["recalls"], auth=enterprise_auth)


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


class RecallIn(Schema):
    lot_ids: list[int]
    reason: str
    hazard: str
    instructions: str = Field(description="What the consumer should do")
    contact: str


class RecallOut(Schema):
    id: int
    enterprise_id: int
    lot_ids: list[int]
    reason: str
    hazard: str
    instructions: str
    contact: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    event_id: str | None

    @staticmethod
    def resolve_enterprise_id(obj) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_lot_ids(obj) -> list[int]:
        return sorted(lot.pk for lot in obj.lots.all())

    @staticmethod
    def resolve_event_id(obj) -> str | None:
        return obj.event.event_id if obj.event else None


def visible_recalls(actor):
    return scoped(actor, Recall.objects.select_related("event").prefetch_related("lots"))


@recalls_router.get("/recalls", response=list[RecallOut], summary="List recalls")
def list_recalls(request):
    return list(visible_recalls(reader(request)))


@recalls_router.post("/recalls", response={201: RecallOut}, summary="Open a recall")
def open_recall(request, payload: RecallIn):
    """From now on every check of a label of these lots answers `recalled`, with
    `instructions`, on every channel; recorded as an EPCIS event (disposition recalled)."""
    actor = writer(request)
    lots = [get_visible(visible_lots(actor), pk, _("No such lot.")) for pk in payload.lot_ids]
    recall = actions.do_open_recall(
        actor, lots, payload.reason, payload.hazard, payload.instructions, payload.contact
    )
    return Status(201, recall)


@recalls_router.post("/recalls/{recall_id}/close", response=RecallOut, summary="Close a recall")
def close_recall(request, recall_id: int):
    actor = writer(request)
    recall = get_visible(visible_recalls(actor), recall_id, _("No such recall."))
    return actions.do_close_recall(actor, recall)
