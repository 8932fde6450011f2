"""The trace app's part of the JSON API (EPCIS itself is at /epcis/, epcis_api.py)."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.catalog.api import get_visible, reader, writer
from trustlabel.catalog.views import visible_lots
from trustlabel.codes.views import visible_orders
from trustlabel.regions import divisions
from trustlabel.verify.api import ErrorOut, VerifyOut, verdict_payload
from trustlabel.verify.clients import client_ip
from trustlabel.verify.core import CheckContext, InvalidInput, RateLimited, verify
from trustlabel.verify.models import Channel
from trustlabel.verify.wording import TOO_MANY_ATTEMPTS

from . import actions
from .capture import identifier_keys
from .diversion import visible_alerts
from .forms import ScanForm
from .labels import label_of
from .logistics import containers, item_history, label_history, last_destination
from .progress import visible_recalls
from .scanned import read_scanned

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


@recalls_router.get("/recalls", response=list[RecallOut], summary="List recalls")
def list_recalls(request):
    """An enterprise's own recalls; for a distributor, the recalls of goods shipped to
    it; the association and inspectors see all."""
    return list(visible_recalls(request.actor))


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


# --- Logistics: what the scanning page records, for machines ------------------------------

logistics_router = Router(tags=["logistics"], auth=enterprise_auth)


class ScanIn(Schema):
    step: str = Field(description="receive, ship, store, pick or pack")
    labels: list[str] = Field(
        description="Case, pallet or item labels as scanned: SSCC digits or element "
        "strings, GS1 Digital Links, EPC URNs, or the digits of our labels",
        max_length=5000,
    )
    destination_id: int | None = Field(None, description="ship: the organisation shipped to")
    parent: str | None = Field(None, description="pack: the case or pallet packed into")


class EventRefOut(Schema):
    event_id: str
    biz_step: str
    event_time: dt.datetime
    epcs: list[str]

    @staticmethod
    def resolve_epcs(obj) -> list[str]:
        return sorted({key for _, key in identifier_keys(obj.body)})


@logistics_router.post("/logistics/scans", response={201: EventRefOut}, summary="Record a scan")
def record_scan(request, payload: ScanIn):
    """Receive, ship, store, pick or pack, as the phone scanning page does: one EPCIS
    event. Every label is read first; an unreadable one refuses the whole scan with its
    line number, and nothing is recorded."""
    actor = request.actor
    form = ScanForm(
        actor,
        {
            "step": payload.step,
            "codes": "\n".join(payload.labels),
            "destination": payload.destination_id,
            "parent": payload.parent or "",
        },
    )
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    data = form.cleaned_data
    if data["step"] == ScanForm.PACK:
        event = actions.do_pack(actor, data["parent"], data["codes"])
    else:
        event = actions.do_move(actor, data["step"], data["codes"], data["destination"])
    return Status(201, event)


class ContainerOut(Schema):
    epc: str
    depth: int = Field(description="1: the case the item is in, 2: its pallet, …")
    since: dt.datetime
    until: dt.datetime | None


class HistoryStepOut(Schema):
    event_id: str
    event_type: str
    event_time: dt.datetime
    biz_step: str
    disposition: str
    via: str = Field(description="item, container or lot: how the event concerns the item")
    via_epc: str | None


class WhereOut(Schema):
    epc: str
    containers: list[ContainerOut]
    last_destination_id: int | None = Field(description="The organisation it was last shipped to")
    history: list[HistoryStepOut]


@logistics_router.get("/items/where", response=WhereOut, summary="Where is this item")
def where_is(request, label: str):
    """An item's cases and pallets, the organisation it was last shipped to, and its whole
    history (events on it, on its containers while it was in them, and on its lot).
    Enterprises see their own products; the association and inspectors, all."""
    actor = request.actor
    epc, label_found = _item(actor, label)
    outer = containers(epc)  # worked out once for the three answers
    history = label_history(label_found, outer) if label_found else item_history(epc, (), outer)
    move = last_destination(epc, outer=outer)
    return {
        "epc": epc,
        "containers": outer,
        "last_destination_id": move.destination_id if move else None,
        "history": [
            {
                "event_id": step.event.event_id,
                "event_type": step.event.event_type,
                "event_time": step.event.event_time,
                "biz_step": step.event.biz_step,
                "disposition": step.event.disposition,
                "via": step.via,
                "via_epc": step.via_epc,
            }
            for step in history
        ],
    }


def _item(actor, text: str):
    """The item a label names, if this organisation may look it up."""
    if not (actor.is_enterprise or actor.is_association or actor.is_inspector):
        raise PermissionDenied
    epc = read_scanned(text)
    found = label_of(epc)
    if actor.is_enterprise and (
        found is None or found.order.organisation_id != actor.organisation.pk
    ):
        raise Http404(_("No such item among your products."))
    return epc, found


# --- Diversion alerts ---------------------------------------------------------------------

alerts_router = Router(tags=["diversion alerts"], auth=enterprise_auth)


class AlertOut(Schema):
    id: int
    enterprise_id: int
    state: str
    epc: str
    order_id: int
    lot_id: int
    distributor_id: int
    shipment_event_id: str
    expected_regions: list[str]
    observed_region: str
    observed_source: str
    km_outside: float | None
    by_inspector: bool
    checked_at: dt.datetime
    last_checked_at: dt.datetime
    check_count: int
    note: str

    @staticmethod
    def resolve_enterprise_id(obj) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_shipment_event_id(obj) -> str:
        return obj.shipment.event_id


class AlertDecisionIn(Schema):
    state: str = Field(description="open, confirmed or dismissed")
    note: str = ""


@alerts_router.get("/diversion-alerts", response=list[AlertOut], summary="List diversion alerts")
@paginate
def list_alerts(request, state: str | None = None):
    """Checks of your products outside the sales region of the distributor they were
    shipped to, newest first. The association sees all."""
    rows = visible_alerts(reader(request))
    return rows.filter(state=state) if state else rows


@alerts_router.post("/diversion-alerts/{alert_id}", response=AlertOut, summary="Decide an alert")
def decide_alert(request, alert_id: int, payload: AlertDecisionIn):
    actor = writer(request)
    alert = get_visible(visible_alerts(actor), alert_id, _("No such alert."))
    return actions.do_decide_alert(actor, alert, payload.state, payload.note)


# --- Inspectors -------------------------------------------------------------------------

inspect_router = Router(tags=["inspection"], auth=enterprise_auth)


class InspectIn(Schema):
    code: str = Field(..., max_length=300)
    region: str | None = Field(None, description="Where the product is: a GB/T 2260 code")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0)


class EvidenceOut(Schema):
    alert_id: int
    distributor: str
    shipped_at: dt.datetime
    expected_regions: list[str]
    observed_region: str
    observed_source: str
    km_outside: float | None


class InspectOut(VerifyOut):
    diversion: EvidenceOut | None


@inspect_router.post(
    "/inspections/check",
    response={200: InspectOut, 422: ErrorOut, 429: ErrorOut},
    summary="Check a code on site (inspectors)",
)
def inspect_code(request, payload: InspectIn, response: HttpResponse):
    """As POST /verify, for an inspector, with where the product is (a division code, or
    the device's location): a genuine product outside the sales region of the distributor
    it was shipped to answers `outside_region`, with the evidence."""
    actor = request.actor
    if not (actor.is_inspector or actor.is_association):
        raise PermissionDenied
    if payload.region and divisions.get(payload.region) is None:
        raise ValidationError(
            _("%(code)s is not a division code (GB/T 2260, six digits).") % {"code": payload.region}
        )
    context = CheckContext(
        channel=Channel.API,
        client_ip=client_ip(request),
        lat=payload.lat,
        lon=payload.lon,
        accuracy_m=payload.accuracy_m,
        region=payload.region,
        inspector=True,
    )
    try:
        verdict = verify(payload.code, context)
    except InvalidInput as e:
        return Status(422, {"detail": str(e.message), "code": e.code})
    except RateLimited as e:
        response["Retry-After"] = str(e.retry_after)
        return Status(429, {"detail": str(TOO_MANY_ATTEMPTS), "code": "rate_limited"})
    body = verdict_payload(request, verdict)
    alert = verdict.diversion
    body["diversion"] = (
        {
            "alert_id": alert.pk,
            "distributor": alert.distributor.name,
            "shipped_at": alert.shipment.event_time,
            "expected_regions": alert.expected_regions,
            "observed_region": alert.observed_region,
            "observed_source": alert.observed_source,
            "km_outside": alert.km_outside,
        }
        if alert
        else None
    )
    return Status(200, body)
