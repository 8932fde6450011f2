"""Validation against GS1's EPCIS 2.0 JSON schema (data/epcis/EPCIS-JSON-Schema.json).

With jsonschema-rs: the pure-Python `jsonschema` takes about 6 ms for GS1's example event
with every field, jsonschema-rs 46 µs (formats checked too), which capture at thousands of
events a second needs.

A document is checked in two parts, so that every problem names its event and its field:
the envelope (header, body, everything but the events) and then each event on its own
against the schema's definition of an event in a document. A single event sent to
POST /epcis/events is checked against the whole schema, which asks it for its @context.
"""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema_rs

SCHEMA_FILE = Path(__file__).parent / "data" / "epcis" / "EPCIS-JSON-Schema.json"


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: the event's place in the document (None for the document
    itself or a lone event) and the field, as a JSON path inside it ("" for the whole)."""

    event: int | None
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"event": self.event, "field": self.field, "message": self.message}


@functools.cache
def _schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


@functools.cache
def _validator(definition: str | None) -> jsonschema_rs.Draft7Validator:
    """The whole schema, or one of its definitions, ready to validate."""
    schema = _schema()
    if definition is not None:
        schema = {
            "$schema": schema["$schema"],
            "definitions": schema["definitions"],
            "$ref": f"#/definitions/{definition}",
        }
    return jsonschema_rs.Draft7Validator(schema, validate_formats=True)


def document_problems(document) -> list[Problem]:
    """Everything wrong with an EPCIS document, event by event."""
    if not isinstance(document, dict):
        return [Problem(None, "", "An EPCIS document is a JSON object.")]
    events = (
        document.get("epcisBody", {}).get("eventList")
        if isinstance(document.get("epcisBody"), dict)
        else None
    )
    envelope = document
    if isinstance(events, list):
        envelope = {**document, "epcisBody": {**document["epcisBody"], "eventList": []}}
    problems = [Problem(None, field, message) for field, message in _problems(None, envelope)]
    if isinstance(events, list):
        for index, event in enumerate(events):
            problems += [
                Problem(index, field, message)
                for field, message in _problems("EPCIS-Document-Event", event)
            ]
    return problems


def event_problems(event) -> list[Problem]:
    """Everything wrong with one event sent on its own."""
    if not isinstance(event, dict):
        return [Problem(None, "", "An EPCIS event is a JSON object.")]
    if event.get("type") not in EVENT_TYPES:
        return [Problem(None, "type", f"Not an EPCIS event type: {event.get('type')!r}.")]
    return [Problem(None, field, message) for field, message in _problems(None, event)]


def query_document_problems(document) -> list[Problem]:
    """Everything wrong with an EPCISQueryDocument (what the repository answers)."""
    return [Problem(None, field, message) for field, message in _problems(None, document)]


EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)


def _problems(definition: str | None, instance) -> list[tuple[str, str]]:
    """(field, message) for each error."""
    validator = _validator(definition)
    if validator.is_valid(instance):  # the common case, twice as fast as listing no errors
        return []
    found, vague = set(), set()
    for error in validator.iter_errors(instance):
        kind = type(error.kind).__name__
        path = list(error.instance_path)
        if kind == "PropertyNames":
            # A key that is neither a field of the event type nor a prefixed extension.
            name, _ = json.JSONDecoder().raw_decode(error.message)
            found.add((_path([*path, name]), _NOT_A_FIELD))
        elif kind in ("AnyOf", "OneOf") and error.message.startswith(("{", "[")):
            # "<the whole object> is not valid under any of the schemas": says nothing more
            # than the errors beside it, when there are some.
            vague.add((_path(path), "This does not fit the schema of its type."))
        else:
            found.add((_path(path), error.message))
    return sorted(found or vague)


_NOT_A_FIELD = (
    "Not a field of this event type; an extension field needs a namespace prefix (prefix:name)."
)


def _path(parts) -> str:
    """A field's place as people write it: epcList[1], sensorElementList[0].sensorReport."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).removeprefix(".")
