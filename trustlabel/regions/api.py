"""The regions part of the JSON API: the public division list, and distributors' sales
regions (read by the distributor and the association, set by the association)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.accounts.models import Organisation
from trustlabel.verify.clients import client_ip
from trustlabel.verify.ratelimit import Limit, check_limits

from . import actions, divisions
from .places import place_name
from .views import region_entries

router = Router(tags=["regions"])

# A picker asks up to three times for each region chosen; a client that asks far more
# often is copying the list, which is published in full with the source code anyway.
DIVISIONS_PER_CLIENT = Limit("divisions-ip", 120, 60)


class DivisionOut(Schema):
    code: str
    name: str = Field(description="Chinese name, as the MCA publishes it")
    name_en: str
    level: int = Field(description="1 province, 2 prefecture, 3 county")
    parent: str | None
    full_name: str = Field(description="With its ancestors, in the request's language")


class ErrorOut(Schema):
    detail: str


class SalesRegionsIn(Schema):
    codes: list[str] = Field(max_length=1000, description="GB/T 2260 division codes")


class SalesRegionsOut(Schema):
    organisation_id: int
    regions: list[DivisionOut]


def division_out(entry: divisions.Entry) -> dict:
    return {
        "code": entry.code,
        "name": entry.name,
        "name_en": entry.name_en,
        "level": entry.level,
        "parent": entry.parent,
        "full_name": place_name(entry.code, get_language()),
    }


def _throttled(request, response: HttpResponse) -> Status | None:
    wait = check_limits([(DIVISIONS_PER_CLIENT, client_ip(request))], timezone.now())
    if wait is None:
        return None
    response["Retry-After"] = str(wait)
    detail = _("Too many requests. Please try again in %(seconds)d seconds.") % {"seconds": wait}
    return Status(429, {"detail": detail})


@router.get(
    "/divisions",
    response={200: list[DivisionOut], 404: ErrorOut, 429: ErrorOut},
    summary="List administrative divisions",
    auth=None,
)
def list_divisions(request, response: HttpResponse, parent: str | None = None):
    """The divisions directly under `parent` (a GB/T 2260 code), or the provinces
    without it. Some county-level units sit directly under their province."""
    if refusal := _throttled(request, response):
        return refusal
    if parent is not None and divisions.get(parent) is None:
        return Status(404, {"detail": _("No such division.")})
    return [division_out(entry) for entry in divisions.children(parent)]


@router.get(
    "/divisions/{code}",
    response={200: DivisionOut, 404: ErrorOut, 429: ErrorOut},
    summary="Get an administrative division",
    auth=None,
)
def get_division(request, response: HttpResponse, code: str):
    if refusal := _throttled(request, response):
        return refusal
    entry = divisions.get(code)
    if entry is None:
        return Status(404, {"detail": _("No such division.")})
    return division_out(entry)


def _distributor(request, organisation_id: int) -> Organisation:
    """The distributor, if the actor may see its regions: itself, or the association.
    Anyone else is told it does not exist."""
    organisation = Organisation.objects.filter(
        pk=organisation_id, kind=Organisation.Kind.DISTRIBUTOR
    ).first()
    if organisation is None or not request.actor.can_see(organisation.pk):
        raise HttpError(404, _("No such distributor."))
    return organisation


def _regions_out(organisation: Organisation) -> dict:
    return {
        "organisation_id": organisation.pk,
        "regions": [division_out(entry) for entry in region_entries(organisation)],
    }


@router.get(
    "/organisations/{organisation_id}/sales-regions",
    response=SalesRegionsOut,
    auth=enterprise_auth,
    summary="A distributor's sales regions",
)
def get_sales_regions(request, organisation_id: int):
    """For the distributor itself and the association."""
    return _regions_out(_distributor(request, organisation_id))


@router.put(
    "/organisations/{organisation_id}/sales-regions",
    response=SalesRegionsOut,
    auth=enterprise_auth,
    summary="Set a distributor's sales regions",
)
def put_sales_regions(request, organisation_id: int, payload: SalesRegionsIn):
    """Replaces the distributor's sales regions with `codes` (any level; a province
    covers everything in it). The association only."""
    organisation = _distributor(request, organisation_id)
    if not request.actor.is_association:
        raise PermissionDenied
    actions.do_set_sales_regions(organisation, payload.codes)
    return _regions_out(organisation)
