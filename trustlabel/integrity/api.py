"""The integrity part of the JSON API: anyone may check a certificate by its number and
get what its public check page says. Rate limited per client address, with the page."""

import datetime as dt

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import check_limits

from .certificate_pdf import check_url
from .views.certificates import CHECKS_PER_CLIENT, facts, find

router = Router(tags=["certificates"])


class HolderOut(Schema):
    name: str
    name_en: str
    uscc: str = Field(description="Unified social credit code; empty if not on record")


class ProgrammeOut(Schema):
    code: str
    name: str
    name_en: str
    year: int


class ProductOut(Schema):
    gtin: str
    name: str
    name_en: str


class CertificateOut(Schema):
    number: str
    genuine: bool = Field(description="Always true: an unknown number answers 404")
    state: str = Field(description="valid, not_yet_valid, expired, revoked or superseded")
    state_label: str = Field(description="The state in the request's language")
    holder: HolderOut
    programme: ProgrammeOut
    products: list[ProductOut]
    commitment_version: int
    commitment_sha256: str
    issued_at: dt.datetime
    valid_from: dt.date
    valid_until: dt.date
    revoked_at: dt.datetime | None
    revocation_reason: str
    superseded_by: str | None = Field(description="Number of the certificate replacing it")
    pdf_sha256: str = Field(description="SHA-256 of the Chinese PDF as issued")
    pdf_url: str | None
    check_url: str
    ledger_index: int | None = Field(
        description="Index of the issue's entry in the public ledger; null while queued"
    )
    revocation_ledger_index: int | None


class ErrorOut(Schema):
    detail: str
    code: str


@router.get(
    "/certificates/{number}",
    response={200: CertificateOut, 404: ErrorOut, 429: ErrorOut},
    summary="Check a certificate",
    auth=None,
)
def check_certificate(request, number: str, response: HttpResponse):
    """Whether a certificate number is one the association issued, and its state today
    (valid, not yet valid, expired, revoked with the reason, or replaced by a newer one)."""
    wait = check_limits([(CHECKS_PER_CLIENT, client_ip(request))], timezone.now())
    if wait is not None:
        response["Retry-After"] = str(wait)
        detail = _(
            "Too many certificate checks from your address. Please try again in "
            "%(seconds)s seconds."
        ) % {"seconds": wait}
        return Status(429, {"detail": detail, "code": "rate_limited"})
    certificate = find(number)
    if certificate is None:
        detail = _("No certificate with the number %(number)s was ever issued here.") % {
            "number": number[:60]
        }
        return Status(404, {"detail": detail, "code": "not_found"})
    seen = facts(certificate)
    holder, programme = certificate.organisation, certificate.programme
    pdf_path = reverse("directory:certificate-pdf", kwargs={"number": certificate.number})
    return {
        "number": certificate.number,
        "genuine": True,
        "state": seen["state"],
        "state_label": str(seen["state_label"]),
        "holder": {"name": holder.name, "name_en": holder.name_en, "uscc": seen["uscc"]},
        "programme": {
            "code": programme.code,
            "name": programme.name,
            "name_en": programme.name_en,
            "year": programme.year,
        },
        "products": [
            {"gtin": p.gtin, "name": p.name, "name_en": p.name_en} for p in seen["products"]
        ],
        "commitment_version": seen["version"],
        "commitment_sha256": seen["commitment_sha256"],
        "issued_at": certificate.issued_at,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "revoked_at": certificate.revoked_at,
        "revocation_reason": certificate.revocation_reason,
        "superseded_by": (
            certificate.superseded_by.number if certificate.superseded_by_id else None
        ),
        "pdf_sha256": certificate.pdf_sha256,
        "pdf_url": f"{settings.TRUSTLABEL_BASE_URL}{pdf_path}" if certificate.pdf else None,
        "check_url": check_url(certificate.number),
        "ledger_index": seen["issued_entry"].index if seen["issued_entry"] else None,
        "revocation_ledger_index": (seen["revoked_entry"].index if seen["revoked_entry"] else None),
    }
