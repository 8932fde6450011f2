"""What the repository answers with: EPCIS query documents, identifiers in the client's
chosen form (GS1-EPC-Format), capture jobs, problems (RFC 7807)."""

import copy

from django.utils import timezone

from .capture import time_text
from .identifiers import IdentifierError, for_output
from .models import CaptureJob, Event

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates")
DEFAULT_EPC_FORMAT = "Always_GS1_Digital_Link"  # when the header is absent (REST bindings)

_ID_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def epc_format(header: str | None) -> str:
    return header if header in EPC_FORMATS else DEFAULT_EPC_FORMAT


def query_document(events: list[Event], fmt: str) -> dict:
    """An EPCISQueryDocument holding the events, each with the @context it came with."""
    return {
        "@context": GS1_CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": time_text(timezone.now()),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": [rendered(e.body, fmt) for e in events]},
            }
        },
    }


def rendered(body: dict, fmt: str) -> dict:
    """The stored event with its GS1 keys written as the client asked."""
    if fmt == "Never_Translates":
        return body
    out = copy.deepcopy(body)
    for name in _ID_LISTS:
        if isinstance(out.get(name), list):
            out[name] = [identifier(v, fmt) for v in out[name]]
    if isinstance(out.get("parentID"), str):
        out["parentID"] = identifier(out["parentID"], fmt)
    for name in _QUANTITY_LISTS:
        for item in out.get(name) or ():
            if isinstance(item, dict) and isinstance(item.get("epcClass"), str):
                item["epcClass"] = identifier(item["epcClass"], fmt)
    for name in ("readPoint", "bizLocation"):
        if isinstance(out.get(name), dict) and isinstance(out[name].get("id"), str):
            out[name]["id"] = identifier(out[name]["id"], fmt)
    for name, key in (("sourceList", "source"), ("destinationList", "destination")):
        for item in out.get(name) or ():
            if isinstance(item, dict) and isinstance(item.get(key), str):
                item[key] = identifier(item[key], fmt)
    return out


def identifier(value, fmt: str):
    """An identifier in the form the client asked for (GS1-EPC-Format); anything that is
    not a GS1 key as it was captured."""
    if not isinstance(value, str):
        return value
    try:
        return for_output(value, fmt)
    except IdentifierError:
        return value  # not a GS1 key: as captured


def capture_job(job: CaptureJob) -> dict:
    """A capture job as the REST bindings describe it (CaptureJob)."""
    return {
        "captureID": str(job.pk),
        "createdAt": time_text(job.created_at),
        **({"finishedAt": time_text(job.finished_at)} if job.finished_at else {}),
        "running": job.running,
        # Still running in rollback mode with no error yet: true, as the bindings say.
        "success": job.success if job.success is not None else not job.errors,
        "captureErrorBehaviour": job.error_behaviour,
        "errors": [problem(e, "ValidationException", 400) for e in job.errors],
    }


def problem(error: dict, exception: str, status: int) -> dict:
    """An RFC 7807 problem; `event` and `field` name what it is about."""
    where = []
    if error.get("event") is not None:
        where.append(f"event {error['event']}")
    if error.get("field"):
        where.append(f"field {error['field']}")
    detail = (", ".join(where) + ": " if where else "") + error["message"]
    return {
        "type": f"epcisException:{exception}",
        "title": error["message"],
        "status": status,
        "detail": detail,
        "event": error.get("event"),
        "field": error.get("field", ""),
    }
