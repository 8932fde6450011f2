"""Enterprise API of the catalogue: products, their lots and inspection reports.

Enterprises read and write their own catalogue; the association reads every one. Another
enterprise's objects answer 404, so their existence does not leak. The small helpers at
the top are shared by the other enterprise routers.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from trustlabel.accounts.access import Actor, require_enterprise
from trustlabel.accounts.api_auth import enterprise_auth

from . import actions
from .views import visible_lots, visible_products, visible_reports

router = Router(tags=["catalog"], auth=enterprise_auth)


def reader(request) -> Actor:
    """Who may read enterprise data: enterprises (their own) and the association."""
    actor = request.actor
    if not (actor.is_enterprise or actor.is_association):
        raise PermissionDenied
    return actor


def writer(request, organisation_id: int | None = None) -> Actor:
    """Who may change an enterprise's data: its own people only (the association reads)."""
    actor = require_enterprise(request.actor)
    if organisation_id is not None and not actor.can_manage(organisation_id):
        raise PermissionDenied
    return actor


def get_visible(queryset, pk: int, not_found: str):
    """The object, if the actor may see it; otherwise 404, whether or not it exists."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, not_found)
    return obj


class ProductIn(Schema):
    gtin: str
    name: str
    name_en: str = ""
    specification: str = ""
    standard_number: str = ""
    standard_name: str = ""


class ProductOut(Schema):
    id: int
    enterprise_id: int
    gtin: str
    name: str
    name_en: str
    specification: str
    standard_number: str
    standard_name: str
    image_url: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_enterprise_id(obj) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_image_url(obj, context) -> str | None:
        return context["request"].build_absolute_uri(obj.image.url) if obj.image else None


class LotIn(Schema):
    lot_number: str
    production_date: dt.date
    expiry_date: dt.date | None = None
    quantity: int
    factory: str


class LotOut(Schema):
    id: int
    product_id: int
    lot_number: str
    production_date: dt.date
    expiry_date: dt.date | None
    quantity: int
    factory: str
    created_at: dt.datetime


class ReportOut(Schema):
    id: int
    lot_id: int
    product_id: int
    report_number: str
    result: str
    inspector_name: str
    inspected_on: dt.date
    sha256: str
    created_at: dt.datetime

    @staticmethod
    def resolve_product_id(obj) -> int:
        return obj.lot.product_id


@router.get("/products", response=list[ProductOut], summary="List products")
@paginate
def list_products(request, enterprise: int | None = None):
    """Your products; the association sees every enterprise's and may pass `enterprise`."""
    actor = reader(request)
    rows = visible_products(actor)
    if enterprise is not None and actor.is_association:
        rows = rows.filter(organisation_id=enterprise)
    return rows


@router.post("/products", response={201: ProductOut}, summary="Register a product")
def create_product(request, payload: ProductIn):
    """`gtin` may have 8, 12, 13 or 14 digits; it is stored as a GTIN-14."""
    actor = writer(request)
    product = actions.do_create_product(actor.organisation, **payload.dict())
    return Status(201, product)


@router.get("/products/{product_id}", response=ProductOut, summary="Get a product")
def get_product(request, product_id: int):
    return get_visible(visible_products(reader(request)), product_id, _("No such product."))


@router.get("/products/{product_id}/lots", response=list[LotOut], summary="List a product's lots")
@paginate
def list_lots(request, product_id: int):
    product = get_visible(visible_products(reader(request)), product_id, _("No such product."))
    return product.lots.all()


@router.post("/products/{product_id}/lots", response={201: LotOut}, summary="Record a lot")
def create_lot(request, product_id: int, payload: LotIn):
    product = get_visible(visible_products(reader(request)), product_id, _("No such product."))
    writer(request, product.organisation_id)
    lot = actions.do_create_lot(
        product,
        payload.lot_number,
        payload.production_date,
        payload.quantity,
        payload.factory,
        payload.expiry_date,
    )
    return Status(201, lot)


@router.get("/reports", response=list[ReportOut], summary="List inspection reports")
@paginate
def list_reports(request, lot: int | None = None, product: int | None = None):
    rows = visible_reports(reader(request))
    if lot is not None:
        rows = rows.filter(lot_id=lot)
    if product is not None:
        rows = rows.filter(lot__product_id=product)
    return rows


@router.post(
    "/lots/{lot_id}/reports",
    response={201: ReportOut},
    summary="Upload an inspection report (multipart)",
)
def upload_report(
    request,
    lot_id: int,
    report_number: Form[str],
    result: Form[str],
    inspector_name: Form[str],
    inspected_on: Form[dt.date],
    file: File[UploadedFile],
):
    """A multipart form: the report's details and `file`, a PDF of at most 20 MB.
    `result` is `pass` or `fail`."""
    lot = get_visible(visible_lots(reader(request)), lot_id, _("No such lot."))
    writer(request, lot.product.organisation_id)
    report = actions.do_attach_report(
        lot, report_number, result, inspector_name, inspected_on, file
    )
    return Status(201, report)
