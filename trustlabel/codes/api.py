"""Enterprise API of label orders and their print files (exports).

An export is made in the background: request it, poll its status until it is `ready`,
then download it once (POST, because taking the file deletes it). Only an administrator
of the enterprise, or an administrator's API key, may request or download one.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.catalog.api import get_visible, reader, writer
from trustlabel.catalog.views import visible_lots, visible_products
from trustlabel.integrity.models import Programme

from . import actions
from .models import LabelOrder
from .views import visible_exports, visible_orders

router = Router(tags=["label orders"], auth=enterprise_auth)


class LabelOrderIn(Schema):
    product_id: int
    lot_id: int
    quantity: int
    layout: str
    activation: str = Field(
        LabelOrder.Activation.COMMISSIONING,
        description="`commissioning` (codes answer not_activated until a commissioning event "
        "covers them) or `issue` (active from the start)",
    )
    programme_id: int | None = Field(
        None,
        description="A label programme the product is approved in: the labels carry its "
        "mark and count against the enterprise's quota in it",
    )


class LabelOrderOut(Schema):
    id: int
    enterprise_id: int
    product_id: int
    lot_id: int
    quantity: int
    layout: str
    activation: str
    programme_id: int | None
    key_version: int
    created_at: dt.datetime

    @staticmethod
    def resolve_enterprise_id(obj) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_key_version(obj) -> int:
        return obj.key_version_id


class ExportIn(Schema):
    format: str


class ExportOut(Schema):
    id: int
    order_id: int
    format: str
    status: str
    status_label: str
    progress_percent: int
    done: int
    size: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime
    downloaded_at: dt.datetime | None
    error: str = Field(description="Why a failed export failed")
    download_url: str | None

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_download_url(obj, context) -> str | None:
        if not obj.is_ready:
            return None
        path = reverse("api:download_export", kwargs={"export_id": obj.pk})
        return context["request"].build_absolute_uri(path)


@router.get("/label-orders", response=list[LabelOrderOut], summary="List label orders")
@paginate
def list_orders(
    request, product: int | None = None, lot: int | None = None, enterprise: int | None = None
):
    actor = reader(request)
    rows = visible_orders(actor)
    if product is not None:
        rows = rows.filter(product_id=product)
    if lot is not None:
        rows = rows.filter(lot_id=lot)
    if enterprise is not None and actor.is_association:
        rows = rows.filter(organisation_id=enterprise)
    return rows


@router.post("/label-orders", response={201: LabelOrderOut}, summary="Order labels")
def create_order(request, payload: LabelOrderIn):
    """Reserves `quantity` codes for a lot of one of your products. `layout` is `open` or
    `scratch` (scratch-off). With `programme_id`, the labels are ordered under a label
    programme the product is approved in, within the enterprise's quota there."""
    actor = writer(request)
    product = get_visible(visible_products(actor), payload.product_id, _("No such product."))
    lot = get_visible(visible_lots(actor), payload.lot_id, _("No such lot."))
    programme = None
    if payload.programme_id is not None:
        programme = get_visible(
            Programme.objects.all(), payload.programme_id, _("No such label programme.")
        )
    order = actions.do_create_label_order(
        actor,
        product,
        lot,
        payload.quantity,
        payload.layout,
        payload.activation,
        programme=programme,
    )
    return Status(201, order)


@router.get("/label-orders/{order_id}", response=LabelOrderOut, summary="Get a label order")
def get_order(request, order_id: int):
    return get_visible(visible_orders(reader(request)), order_id, _("No such label order."))


@router.get(
    "/label-orders/{order_id}/exports",
    response=list[ExportOut],
    summary="List a label order's exports",
)
def list_exports(request, order_id: int):
    order = get_visible(visible_orders(reader(request)), order_id, _("No such label order."))
    return order.exports.all()


@router.post(
    "/label-orders/{order_id}/exports",
    response={202: ExportOut},
    summary="Request a print file (administrators only)",
)
def request_export(request, order_id: int, payload: ExportIn):
    """`format` is `csv` (zipped, for printing houses) or `pdf` (an A4 label sheet)."""
    actor = reader(request)
    order = get_visible(visible_orders(actor), order_id, _("No such label order."))
    if not actor.can_export(order.organisation_id):
        raise PermissionDenied
    export = actions.do_request_export(actor, order, payload.format)
    export.refresh_from_db()  # it may be made already, when the task ran at once
    return Status(202, export)


@router.get("/exports/{export_id}", response=ExportOut, summary="Get an export's progress")
def get_export(request, export_id: int):
    return get_visible(visible_exports(reader(request)), export_id, _("No such export."))


@router.post(
    "/exports/{export_id}/download",
    url_name="download_export",
    summary="Download a ready print file, once (administrators only)",
    response={200: None},
    openapi_extra={
        "responses": {200: {"description": "The file", "content": {"application/zip": {}}}}
    },
)
def download_export(request, export_id: int):
    """The file is deleted as it is handed over: a second download answers 422."""
    actor = reader(request)
    export = get_visible(visible_exports(actor), export_id, _("No such export."))
    if not actor.can_export(export.order.organisation_id):
        raise PermissionDenied
    handle, filename = actions.do_take_download(actor, export)
    return FileResponse(handle, as_attachment=True, filename=filename)
