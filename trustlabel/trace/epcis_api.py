"""The EPCIS 2.0 REST bindings (GS1's openapi.yaml) at /epcis/: capture and query.

Clients authenticate as for the JSON API (an API key as `Authorization: Bearer`, or a
signed-in session). An organisation sees the events it captured, those about its own
products and those naming it as source or destination; a distributor also every event
about goods shipped to it; the association and inspectors see every event.
"""

import json
import uuid
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from trustlabel.accounts.access import Actor
from trustlabel.accounts.api_auth import enterprise_auth
from trustlabel.accounts.models import Organisation

from . import documents, query
from .actions import CaptureRefused, EventConflict, do_capture_event, do_start_capture
from .capture import collector_paused
from .models import (
    CaptureJob,
    Containment,
    Event,
    EventEPC,
    EventParty,
    EventType,
    Movement,
    read_json,
)
from .vocabulary import standard_values

epcis = NinjaAPI(
    title="TrustLabel EPCIS 2.0 repository",
    version="2.0.0",
    description="GS1 EPCIS 2.0 capture and query (REST bindings), JSON-LD.",
    urls_namespace="epcis",
    auth=enterprise_auth,
)

JSON_TYPES = ("application/json", "application/ld+json")


def visible_events(actor: Actor):
    """The events this organisation may see: those it captured, those about its own
    products, those that name it as source or destination and, for a distributor, every
    event about a case, pallet or item that was shipped to it."""
    if actor.organisation.kind in (Organisation.Kind.ASSOCIATION, Organisation.Kind.INSPECTOR):
        return Event.objects.all()
    captured = Event.objects.filter(captured_by=actor.organisation).order_by().values("pk")
    parties = EventParty.objects.filter(organisation=actor.organisation).values("event_id")
    seen = Q(pk__in=parties.union(captured))  # each read through its own index
    if actor.is_distributor:
        shipped_here = Movement.objects.filter(destination=actor.organisation).values("epc")
        seen |= Q(pk__in=EventEPC.objects.filter(epc__in=shipped_here).values("event_id"))
        # and those that pack it (logistics.packing_of)
        seen |= Q(pk__in=Containment.objects.filter(child__in=shipped_here).values("event_id"))
    return Event.objects.filter(seen)


def _json(data, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/ld+json" if status < 400 else "application/problem+json",
    )
    response["GS1-EPCIS-Version"] = documents.EPCIS_VERSION
    response["GS1-CBV-Version"] = documents.CBV_VERSION
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _problem(status: int, exception: str, title: str, errors=(), **headers) -> HttpResponse:
    body = {"type": f"epcisException:{exception}", "title": title, "status": status}
    if errors:
        body["errors"] = [documents.problem(e.as_dict(), exception, status) for e in errors]
    return _json(body, status, **headers)


def _limits() -> dict:
    return {
        "GS1_EPCIS_Capture_Limit": str(settings.TRUSTLABEL_EPCIS_CAPTURE_LIMIT),
        "GS1_EPCIS_Capture_File_Size_Limit": str(settings.TRUSTLABEL_EPCIS_CAPTURE_SIZE_LIMIT),
        "GS1_Capture_Error_Behaviour": "all",
    }


def _body(request: HttpRequest, limit: int):
    """The request's JSON and the bytes it came as, or a problem response."""
    if request.content_type not in JSON_TYPES:
        return _problem(
            415, "UnsupportedMediaTypeException", _("Send JSON or JSON-LD."), **_limits()
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data = request.read(limit + 1) if length <= limit else b""
    if length > limit or len(data) > limit:
        return _problem(
            413,
            "CaptureLimitExceededException",
            _("The document is larger than %(limit)d bytes.") % {"limit": limit},
            **_limits(),
        )
    try:
        with collector_paused():
            return read_json(data), data
    except ValueError:
        return _problem(400, "ValidationException", _("The body is not valid JSON."))


@epcis.post("/capture", summary="Capture an EPCIS document (asynchronous)")
def capture(request):
    received = _body(request, settings.TRUSTLABEL_EPCIS_CAPTURE_SIZE_LIMIT)
    if isinstance(received, HttpResponse):
        return received
    document = _as_capture_document(received[0])
    text = _text(received[1]) if document is received[0] else None
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback")
    if behaviour not in CaptureJob.ErrorBehaviour.values:
        return _problem(
            400,
            "ValidationException",
            _("GS1-Capture-Error-Behaviour is rollback or proceed."),
        )
    events = document.get("epcisBody", {}).get("eventList") if isinstance(document, dict) else None
    if isinstance(events, list) and len(events) > settings.TRUSTLABEL_EPCIS_CAPTURE_LIMIT:
        return _problem(
            413,
            "CaptureLimitExceededException",
            _("A document may hold at most %(limit)d events.")
            % {"limit": settings.TRUSTLABEL_EPCIS_CAPTURE_LIMIT},
            **_limits(),
        )
    try:
        job = do_start_capture(request.actor, document, behaviour, text)
    except CaptureRefused as e:
        return _problem(
            400,
            "ValidationException",
            _("The document is not valid; nothing was stored."),
            e.problems,
        )
    # The task may have run already (immediate backend). Not the document, which is
    # large and not shown.
    job.refresh_from_db(fields=_JOB_STATE)
    return _json(documents.capture_job(job), 202, Location=f"/epcis/capture/{job.pk}", **_limits())


# A job's fields but its document (large, and never shown).
_JOB_STATE = [
    f.attname for f in CaptureJob._meta.concrete_fields if f.name not in ("id", "document")
]


def _text(data: bytes) -> str | None:
    """JSON received as text, if it came in UTF-8 (else None)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _as_capture_document(document):
    """An EPCISQueryDocument's events, as the EPCISDocument a capture stores."""
    if not isinstance(document, dict) or document.get("type") != "EPCISQueryDocument":
        return document
    body = document.get("epcisBody")
    results = body.get("queryResults", {}) if isinstance(body, dict) else {}
    events = results.get("resultsBody", {}).get("eventList", [])
    return {
        "@context": document.get("@context"),
        "type": "EPCISDocument",
        "schemaVersion": document.get("schemaVersion", "2.0"),
        "creationDate": document.get("creationDate"),
        "epcisBody": {"eventList": events},
    }


# The top-level resources served here (GS1's TopLevelResources; queries and the
# readPoints and bizLocations collections are not offered).
TOP_LEVEL = ["capture", "events", "eventTypes", "epcs", "bizSteps", "dispositions"]


@epcis.get("/", summary="The top-level resources of this repository")
def top_level(request):
    return _collection(TOP_LEVEL)


@epcis.api_operation(["OPTIONS"], "/", summary="What this repository supports")
def root_options(request):
    return _discovered()


@epcis.get("/epcs", summary="The identifiers named by the events this organisation sees")
def epcs(request):
    fmt = documents.epc_format(request.headers.get("GS1-EPC-Format"))
    try:
        keys, following = query.epcs_page(visible_events(request.actor), request.GET.dict())
    except query.QueryParameterError as e:
        return _problem(400, "QueryParameterException", str(e))
    headers = {"GS1_EPC_Format": fmt}
    if following:
        params = urlencode({**request.GET.dict(), "nextPageToken": following})
        headers["Link"] = f'<{request.path}?{params}>; rel="next"'
    return _json(
        {
            "@context": documents.GS1_CONTEXT,
            "type": "Collection",
            "member": [documents.identifier(key, fmt) for key in keys],
        },
        **headers,
    )


@epcis.get("/eventTypes", summary="The event types")
def event_types(request):
    return _collection([t.value for t in EventType])


@epcis.get("/bizSteps", summary="The business steps (CBV 2.0)")
def biz_steps(request):
    return _collection(list(standard_values("bizStep")))


@epcis.get("/dispositions", summary="The dispositions (CBV 2.0)")
def dispositions(request):
    return _collection(list(standard_values("disposition")))


def _collection(members: list[str]) -> HttpResponse:
    return _json({"@context": documents.GS1_CONTEXT, "type": "Collection", "member": members})


@epcis.api_operation(["OPTIONS"], "/capture", summary="What capture supports")
def capture_options(request):
    """Discovery (GS1's 204CaptureEndpointDiscovery): methods, versions, limits."""
    return _discovered(**_limits())


@epcis.api_operation(["OPTIONS"], "/events", summary="What the events endpoint supports")
def events_options(request):
    return _discovered()


def _discovered(**headers) -> HttpResponse:
    """An empty 204 with the discovery headers of an endpoint."""
    response = _json({}, 204, Allow="OPTIONS, POST, GET", **_discovery(), **headers)
    response.content = b""
    return response


def _discovery() -> dict:
    return {
        "GS1_EPCIS_Min": documents.EPCIS_VERSION,
        "GS1_EPCIS_Max": documents.EPCIS_VERSION,
        "GS1_CBV_Min": documents.CBV_VERSION,
        "GS1_CBV_Max": documents.CBV_VERSION,
        "GS1_EPC_Format": "No_Preference",  # both forms accepted; answers as asked
    }


@epcis.get("/capture", summary="The capture jobs of this organisation")
def capture_jobs(request):
    jobs = CaptureJob.objects.filter(organisation=request.actor.organisation)[:100]
    return _json([documents.capture_job(job) for job in jobs])


@epcis.get("/capture/{capture_id}", summary="One capture job")
def capture_job(request, capture_id: str):
    job_id = _uuid(capture_id)
    job = CaptureJob.objects.filter(pk=job_id).first() if job_id else None
    if job is None or not (
        request.actor.is_association or job.organisation_id == request.actor.organisation.pk
    ):
        return _problem(404, "NoSuchNameException", _("No such capture job."))
    return _json(documents.capture_job(job))


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@epcis.post("/events", summary="Capture one event (synchronous)")
def capture_event(request):
    received = _body(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(received, HttpResponse):
        return received
    try:
        stored, created = do_capture_event(request.actor, received[0])
    except EventConflict as e:
        return _problem(
            409,
            "ResourceAlreadyExistsException",
            _("An event with this ID and other content is stored already."),
            e.problems,
        )
    except CaptureRefused as e:
        return _problem(
            400, "ValidationException", _("The event is not valid; it was not stored."), e.problems
        )
    return _json(
        stored.body,
        201 if created else 200,
        Location=f"/epcis/events/{quote(stored.event_id, safe='')}",
    )


def _answer(request, events, extra: dict | None = None):
    params = {**request.GET.dict(), **(extra or {})}
    fmt = documents.epc_format(request.headers.get("GS1-EPC-Format"))
    try:
        page = query.run(events, params)
    except query.QueryParameterError as e:
        return _problem(400, "QueryParameterException", str(e))
    headers = {"GS1_EPC_Format": fmt}
    if page.next_token:
        following = {**request.GET.dict(), "nextPageToken": page.next_token}
        headers["Link"] = f'<{request.path}?{urlencode(following)}>; rel="next"'
    return _json(documents.query_document(page.events, fmt), **headers)


@epcis.get("/events", summary="Query events")
def events(request):
    return _answer(request, visible_events(request.actor))


@epcis.get("/events/{path:event_id}", summary="One event, with its error declarations")
def event(request, event_id: str):
    found = list(visible_events(request.actor).filter(event_id=event_id).order_by("pk"))
    if not found:
        return _problem(404, "NoSuchNameException", _("No such event."))
    fmt = documents.epc_format(request.headers.get("GS1-EPC-Format"))
    return _json(documents.query_document(found, fmt), GS1_EPC_Format=fmt)


@epcis.get("/epcs/{path:epc}/events", summary="Events about one identifier")
def epc_events(request, epc: str):
    return _answer(request, visible_events(request.actor), {"MATCH_anyEPC": epc})


@epcis.get("/eventTypes/{event_type}/events", summary="Events of one type")
def event_type_events(request, event_type: str):
    return _answer(request, visible_events(request.actor), {"eventType": event_type})


@epcis.get("/bizSteps/{biz_step}/events", summary="Events of one business step")
def biz_step_events(request, biz_step: str):
    return _answer(request, visible_events(request.actor), {"EQ_bizStep": biz_step})


@epcis.get("/dispositions/{disposition}/events", summary="Events of one disposition")
def disposition_events(request, disposition: str):
    return _answer(request, visible_events(request.actor), {"EQ_disposition": disposition})
