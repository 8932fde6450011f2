import datetime as dt

from django.utils.translation import get_language
from ninja import Field, Router, Schema

from .clients import client_ip
from .core import CheckContext, InvalidInput, RateLimited, Verdict, verify
from .models import Channel
from .wording import EXPLANATIONS, HEADLINES, TOO_MANY_ATTEMPTS

router = Router(tags=["verify"])
scans_router = Router(tags=["scans"])


class VerifyIn(Schema):
    code: str = Field(..., max_length=300, description="Printed digits or the QR content")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class ProductOut(Schema):
    gtin: str
    name: str
    name_en: str
    specification: str
    image_url: str | None
    standard_number: str
    standard_name: str


class LotOut(Schema):
    lot_number: str
    production_date: dt.date
    expiry_date: dt.date | None
    factory: str


class ReportOut(Schema):
    report_number: str
    result: str
    inspector_name: str
    inspected_on: dt.date


class PlaceOut(Schema):
    lat: float
    lon: float


class VerifyOut(Schema):
    verdict: str
    headline: str
    message: str
    check_count: int
    first_checked_at: dt.datetime | None
    first_place: PlaceOut | None
    product: ProductOut | None
    lot: LotOut | None
    enterprise: str | None
    inspection_reports: list[ReportOut]


class ErrorOut(Schema):
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
    }


@router.post(
    "/verify",
    response={200: VerifyOut, 422: ErrorOut, 429: ErrorOut},
    summary="Check a label code",
    auth=None,
)
def verify_code(request, payload: VerifyIn):
    """Answers whether a code is genuine and how often it was checked. `code` may be the
    20 printed digits (spaces, dashes and full-width digits are fine) or the QR content."""
    context = CheckContext(
        channel=Channel.API, client_ip=client_ip(request), lat=payload.lat, lon=payload.lon
    )
    try:
        verdict = verify(payload.code, context)
    except InvalidInput as e:
        return 422, {"detail": str(e.message), "code": e.code}
    except RateLimited as e:
        response = router.api.create_response(
            request, {"detail": str(TOO_MANY_ATTEMPTS), "code": "rate_limited"}, status=429
        )
        response["Retry-After"] = str(e.retry_after)
        return response
    return 200, verdict_payload(request, verdict)
