import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel, ConfigDict, PlainSerializer

from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.catalog.api import reader

from .clients import client_ip
from .core import CheckContext, InvalidInput, RateLimited, Verdict, verify
from .models import Channel
from .reports import (
    OwnerFilterForm,
    ScanFilterForm,
    scans_for,
    suspected_copies_for,
    with_orders,
)
from .wording import EXPLANATIONS, HEADLINES, TOO_MANY_ATTEMPTS

router = Router(tags=["verify"])
scans_router = Router(tags=["scans"])


class VerifyIn(BaseModel):
    """A plain pydantic model (django-ninja takes those too): no Django-aware getter to
    run, and the fast path parses it straight from the body's JSON."""

    code: str = Field(..., max_length=300, description="Printed digits or the QR content")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


# The answers are plain pydantic models: pydantic-core validates them from the verdict's
# dicts and model instances by itself, several times faster than ninja's Schema, whose
# Django-aware getter the verification answer does not need (it is the hot path).
class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# In JSON as the API's renderer writes datetimes (DjangoJSONEncoder: milliseconds, "Z"),
# also where pydantic writes the JSON itself (the fast path).
DateTime = Annotated[
    dt.datetime, PlainSerializer(DjangoJSONEncoder().default, return_type=str, when_used="json")
]


class ProductOut(_Out):
    gtin: str
    name: str
    name_en: str
    specification: str
    image_url: str | None
    standard_number: str
    standard_name: str


class LotOut(_Out):
    lot_number: str
    production_date: dt.date
    expiry_date: dt.date | None
    factory: str


class ReportOut(_Out):
    report_number: str
    result: str
    inspector_name: str
    inspected_on: dt.date


class PlaceOut(_Out):
    lat: float
    lon: float


class RecallOut(_Out):
    reason: str
    hazard: str
    instructions: str = Field(description="What the consumer should do")
    contact: str
    opened_at: DateTime


class VerifyOut(_Out):
    verdict: str
    headline: str
    message: str
    check_count: int
    first_checked_at: DateTime | None
    first_place: PlaceOut | None
    product: ProductOut | None
    lot: LotOut | None
    enterprise: str | None
    inspection_reports: list[ReportOut]
    recall: RecallOut | None = Field(description="For `recalled`: the lot's open recall")


class ErrorOut(_Out):
    detail: str
    code: str


def verdict_payload(request, verdict: Verdict) -> dict:
    language = get_language()
    product = verdict.product
    return {
        "verdict": verdict.kind,
        "headline": str(HEADLINES[verdict.kind]),
        "message": str(EXPLANATIONS[verdict.kind]),
        "check_count": verdict.check_count,
        "first_checked_at": verdict.first_checked_at,
        "first_place": {"lat": verdict.first_place.lat, "lon": verdict.first_place.lon}
        if verdict.first_place
        else None,
        "product": {
            "gtin": product.gtin,
            "name": product.display_name(language),
            "name_en": product.name_en,
            "specification": product.specification,
            "image_url": request.build_absolute_uri(product.image.url) if product.image else None,
            "standard_number": product.standard_number,
            "standard_name": product.standard_name,
        }
        if product
        else None,
        "lot": verdict.lot,
        "enterprise": verdict.enterprise.display_name(language) if verdict.enterprise else None,
        "inspection_reports": verdict.reports,
        "recall": verdict.recall,
    }


@router.post(
    "/verify",
    response={200: VerifyOut, 422: ErrorOut, 429: ErrorOut},
    summary="Check a label code",
    auth=None,
)
def verify_code(request, payload: VerifyIn, response: HttpResponse):
    """Answers whether a code is genuine and how often it was checked. `code` may be the
    20 printed digits (spaces, dashes and full-width digits are fine) or the QR content."""
    status, body, headers = check_and_answer(request, payload)
    for name, value in headers.items():
        response[name] = value
    return Status(status, body)


def check_and_answer(request, payload: VerifyIn) -> tuple[int, dict, dict]:
    """The check behind POST /api/v1/verify: status, body and extra headers. Shared by
    the handler above and the WSGI fast path (verify/fastpath.py)."""
    context = CheckContext(
        channel=Channel.API, client_ip=client_ip(request), lat=payload.lat, lon=payload.lon
    )
    try:
        verdict = verify(payload.code, context)
    except InvalidInput as e:
        return 422, {"detail": str(e.message), "code": e.code}, {}
    except RateLimited as e:
        too_many = {"detail": str(TOO_MANY_ATTEMPTS), "code": "rate_limited"}
        return 429, too_many, {"Retry-After": str(e.retry_after)}
    return 200, verdict_payload(request, verdict), {}


# --- The enterprise's scan log and suspected copies (portal filters, same meaning) ---


class ScanFilterIn(Schema):
    date_from: str | None = Field(None, description="First day, YYYY-MM-DD (local time)")
    date_to: str | None = Field(None, description="Last day, YYYY-MM-DD (local time)")
    product: str | None = Field(None, description="A product id")
    verdict: str | None = Field(None, description="genuine, suspected_copy, unknown, …")
    channel: str | None = Field(None, description="web, qr, api, sms, wechat or phone")
    enterprise: str | None = Field(None, description="An enterprise id (association only)")


class ScanOut(Schema):
    id: int
    checked_at: dt.datetime
    channel: str
    verdict: str
    enterprise_id: int | None
    order_id: int | None
    product_id: int | None
    lot_id: int | None
    check_number: int | None
    lat: float | None
    lon: float | None

    @staticmethod
    def resolve_enterprise_id(obj) -> int | None:
        return obj.organisation_id

    @staticmethod
    def resolve_product_id(obj) -> int | None:
        return obj.order.product_id if obj.order else None

    @staticmethod
    def resolve_lot_id(obj) -> int | None:
        return obj.order.lot_id if obj.order else None


class CopyFilterIn(Schema):
    product: str | None = Field(None, description="A product id")
    enterprise: str | None = Field(None, description="An enterprise id (association only)")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class CopyOut(Schema):
    enterprise_id: int
    order_id: int
    product_id: int
    lot_id: int
    label_number: int = Field(description="The label's place in its order, from 1")
    public_serial: str | None = Field(description="Printed outside a scratch-off label")
    check_count: int
    first_checked_at: dt.datetime
    last_checked_at: dt.datetime
    flagged_at: dt.datetime
    reason: str = Field(description="count (checked too often) or travel (too far, too fast)")
    reason_label: str


class CopyPage(Schema):
    items: list[CopyOut]
    count: int


def _valid_filters(form) -> dict:
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


@scans_router.get(
    "/scans", response=list[ScanOut], auth=enterprise_auth, summary="List the scan log"
)
@paginate
def list_scans(request, filters: Query[ScanFilterIn]):
    """Consumer checks of your codes, newest first. The association sees all checks."""
    actor = reader(request)
    form = ScanFilterForm(actor, filters.dict(exclude_none=True))
    return scans_for(actor, _valid_filters(form))


@scans_router.get(
    "/suspected-copies",
    response=CopyPage,
    auth=enterprise_auth,
    summary="List codes suspected of being copied",
)
def list_suspected_copies(request, filters: Query[CopyFilterIn]):
    actor = reader(request)
    form = OwnerFilterForm(actor, filters.dict(exclude_none=True, exclude={"limit", "offset"}))
    rows = suspected_copies_for(actor, _valid_filters(form))
    page = with_orders(rows[filters.offset : filters.offset + filters.limit])
    return {
        "count": rows.count(),
        "items": [
            {
                "enterprise_id": copy.order.organisation_id,
                "order_id": copy.order.pk,
                "product_id": copy.order.product_id,
                "lot_id": copy.order.lot_id,
                "label_number": copy.label_number,
                "public_serial": copy.public_serial,
                "check_count": copy.stats.check_count,
                "first_checked_at": copy.stats.first_at,
                "last_checked_at": copy.stats.last_at,
                "flagged_at": copy.stats.copy_flagged_at,
                "reason": copy.stats.copy_reason,
                "reason_label": copy.reason,
            }
            for copy in page
        ],
    }
