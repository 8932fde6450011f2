"""The EPCIS 2.0 REST bindings: capture and query, as a GS1 client uses them."""

import copy
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trustlabel.accounts.tests.roles import ROLES, headers_for
from trustlabel.trace.identifiers import check_digit
from trustlabel.trace.models import CaptureJob, Event
from trustlabel.trace.schema import query_document_problems

EXAMPLES = Path(__file__).parent / "epcis_examples"
DOCUMENTS = sorted(
    path
    for path in EXAMPLES.glob("*.jsonld")
    if json.loads(path.read_text())["type"] in ("EPCISDocument", "EPCISQueryDocument")
)
RAW = {"HTTP_GS1_EPC_FORMAT": "Never_Translates"}
COMMISSIONED = 2  # the world's two label orders were commissioned by events of their own


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def events_of(document: dict) -> list[dict]:
    body = document["epcisBody"]
    if "eventList" in body:
        return body["eventList"]
    return body["queryResults"]["resultsBody"]["eventList"]


def post(party, path: str, data, **headers):
    return Client().post(
        path,
        json.dumps(data),
        content_type="application/ld+json",
        headers={**party.api_headers(), **headers},
    )


def get(party, path: str, **extra):
    return Client().get(path, headers=party.api_headers(), **extra)


def found(response) -> list[dict]:
    assert response.status_code == 200, response.content
    document = response.json()
    assert query_document_problems(document) == []
    return events_of(document)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """POST /epcis/capture, the worker's task run as the request's transaction commits,
    then the capture job as GET gives it."""

    def run(party, document, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(party, "/epcis/capture", document, **headers)
        assert response.status_code == 202, response.content
        job = response.json()
        assert response["Location"] == f"/epcis/capture/{job['captureID']}"
        assert int(response["GS1-EPCIS-Capture-Limit"]) >= 10000
        return get(party, response["Location"]).json()

    return run


def without_server_fields(event: dict, original: dict) -> dict:
    """The repository sets the record time, and the event ID where there was none."""
    event = {k: v for k, v in event.items() if k != "recordTime"}
    if "eventID" not in original:
        event.pop("eventID")
    return event


def test_a_capture_is_answered_without_reading_its_document_back(world):
    """The job is shown as it stands (the worker may have run already), not with the
    document it waits with, which may be 8 MB."""
    with CaptureQueriesContext(connection) as queries:
        response = post(world.enterprise, "/epcis/capture", json.loads(DOCUMENTS[0].read_text()))

    assert response.status_code == 202, response.content
    assert response.json()["running"] is True
    read = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "capturejob" in q["sql"]]
    assert read and not [sql for sql in read if '"document"' in sql]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_it_captures_every_gs1_example_and_gives_each_event_back(world, path, capture):
    document = json.loads(path.read_text())
    job = capture(world.enterprise, document)
    assert job["running"] is False
    assert job["success"] is True, job["errors"]
    for original in events_of(document):
        stored = Event.objects.get(
            event_id=original.get("eventID") or Event.objects.latest("pk").event_id,
            declares_error="errorDeclaration" in original,
        )
        url = "/epcis/events/" + quote(stored.event_id, safe="")
        (back,) = [
            e
            for e in found(get(world.enterprise, url, **RAW))
            if ("errorDeclaration" in e) == ("errorDeclaration" in original)
        ]
        expected = {"@context": document["@context"], **original}
        if "@context" in original:
            expected = original
        assert without_server_fields(back, original) == without_server_fields(expected, original)


def test_it_refuses_an_invalid_document_whole_naming_event_and_field(world, capture):
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    events_of(document)[1]["eventTime"] = "yesterday"
    response = post(world.enterprise, "/epcis/capture", document)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert [(e["event"], e["field"]) for e in problem["errors"]] == [(1, "eventTime")]
    assert "event 1, field eventTime" in problem["errors"][0]["detail"]
    assert Event.objects.count() == COMMISSIONED  # nothing more than the world's own
    assert CaptureJob.objects.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_it_refuses_numbers_json_does_not_have(world, capture, constant):
    """Python's json module reads NaN and Infinity; no JSON has them, and nothing of such a
    document is stored."""
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    events_of(document)[0]["example:reading"] = 1.5
    body = json.dumps(document).replace("1.5", constant)
    for path in ("/epcis/capture", "/epcis/events"):
        response = Client().post(
            path, body, content_type="application/ld+json", headers=world.enterprise.api_headers()
        )
        assert response.status_code == 400
        assert response.json()["type"] == "epcisException:ValidationException"
    assert Event.objects.count() == COMMISSIONED
    assert CaptureJob.objects.count() == 0


def test_proceed_stores_the_valid_events_and_reports_the_others(world, capture):
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    events_of(document)[0]["action"] = "SHOUT"
    job = capture(world.enterprise, document, **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert job["success"] is False
    assert [(e["event"], e["field"]) for e in job["errors"]] == [(0, "action")]
    assert Event.objects.count() == COMMISSIONED + 1


def test_capturing_the_same_events_twice_stores_them_once(world, capture):
    document = example("Example_9.6.2-ObjectEvent.jsonld")
    for event in events_of(document):
        event.pop("eventID")
    capture(world.enterprise, document)
    capture(world.enterprise, copy.deepcopy(document))
    assert Event.objects.count() == COMMISSIONED + 1
    assert Event.objects.latest("pk").event_id.startswith("ni:///sha-256;")


def test_one_event_is_created_repeated_or_in_conflict(world, capture):
    document = example("Example_9.6.2-ObjectEvent.jsonld")
    event = {"@context": document["@context"], **events_of(document)[0]}
    first = post(world.enterprise, "/epcis/events", event)
    assert first.status_code == 201, first.content
    assert first["Location"] == "/epcis/events/" + quote(event["eventID"], safe="")
    assert post(world.enterprise, "/epcis/events", event).status_code == 200
    changed = {**event, "bizStep": "shipping"}
    conflict = post(world.enterprise, "/epcis/events", changed)
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    assert Event.objects.count() == COMMISSIONED + 1


def test_it_refuses_what_is_not_json_or_too_big(world, settings, capture):
    response = Client().post(
        "/epcis/capture",
        "{oops",
        content_type="application/json",
        headers=world.enterprise.api_headers(),
    )
    assert response.status_code == 400
    response = Client().post(
        "/epcis/capture", "x", content_type="text/plain", headers=world.enterprise.api_headers()
    )
    assert response.status_code == 415
    settings.TRUSTLABEL_EPCIS_CAPTURE_LIMIT = 1
    response = post(world.enterprise, "/epcis/capture", example("Example_9.6.1-ObjectEvent.jsonld"))
    assert response.status_code == 413
    assert response["GS1-EPCIS-Capture-Limit"] == "1"


def _shipping_world(world, capture):
    """GS1's 9.6.1 examples, captured by the enterprise, and one of its own products."""
    capture(world.enterprise, example("Example_9.6.1-ObjectEvent.jsonld"))
    capture(
        world.enterprise,
        example("WithDigitalLinkID__Example_9.6.1-ObjectEventWithDigitalLink.jsonld"),
    )


def test_queries_match_vocabulary_and_keys_in_any_spelling(world, capture):
    _shipping_world(world, capture)
    shipping = found(get(world.enterprise, "/epcis/events", data={"EQ_bizStep": "shipping"}))
    as_urn = found(
        get(
            world.enterprise,
            "/epcis/events",
            data={"EQ_bizStep": "urn:epcglobal:cbv:bizstep:shipping"},
        )
    )
    assert len(shipping) == 2 and as_urn == shipping
    urn = "urn:epc:id:sgtin:0614141.107346.2017"
    link = "https://id.gs1.org/01/10614141073464/21/2017"
    by_urn = found(get(world.enterprise, "/epcis/events", data={"MATCH_epc": urn}))
    by_link = found(get(world.enterprise, "/epcis/events", data={"MATCH_epc": link}))
    assert len(by_urn) == 1 and by_urn == by_link
    assert by_urn[0]["epcList"][0] == link  # no GS1-EPC-Format: Digital Links
    as_urns = found(
        get(
            world.enterprise,
            "/epcis/events",
            data={"MATCH_epc": link},
            HTTP_GS1_EPC_FORMAT="Always_EPC_URN",
        )
    )
    assert as_urns[0]["epcList"][0] == urn
    pattern = found(
        get(
            world.enterprise,
            "/epcis/events",
            data={"MATCH_epc": "urn:epc:idpat:sgtin:0614141.107346.*"},
        )
    )
    assert len(pattern) == 2  # 9.6.1's first event names two items of that GTIN
    assert found(get(world.enterprise, "/epcis/epcs/" + quote(link, safe="") + "/events")) == by_urn
    day = {"GE_eventTime": "2005-04-04T00:00:00-06:00", "LT_eventTime": "2005-04-05T00:00:00-06:00"}
    timed = found(get(world.enterprise, "/epcis/events", data=day))
    assert {e["eventTime"][:10] for e in timed} == {"2005-04-04"}
    typed = found(get(world.enterprise, "/epcis/eventTypes/ObjectEvent/events"))
    assert len(typed) == COMMISSIONED + 4


def _sscc(n: int) -> str:
    digits = f"10614141{n:09d}"
    return f"https://id.gs1.org/00/{digits}{check_digit(digits)}"


# Children of every kind of event: those an AggregationEvent ADD packs are kept as its
# containments, the others as identifiers named; queries must not tell the difference.
ITEMS = [f"https://id.gs1.org/01/10614141073464/21/P{n}" for n in range(5)]
CASE, PALLET = _sscc(1), _sscc(2)
NAMING = [
    {"type": "AggregationEvent", "action": "ADD", "parentID": CASE, "childEPCs": ITEMS[:2]},
    {"type": "AggregationEvent", "action": "DELETE", "parentID": CASE, "childEPCs": [ITEMS[1]]},
    {"type": "AggregationEvent", "action": "OBSERVE", "parentID": CASE, "childEPCs": ITEMS[:1]},
    {"type": "AggregationEvent", "action": "ADD", "childEPCs": [ITEMS[2]]},  # no parent
    {"type": "AggregationEvent", "action": "ADD", "parentID": PALLET, "childEPCs": [CASE]},
    {"type": "AssociationEvent", "action": "ADD", "parentID": PALLET, "childEPCs": ITEMS[:1]},
    {"type": "ObjectEvent", "action": "OBSERVE", "epcList": [ITEMS[1], ITEMS[4]]},
    {"type": "TransformationEvent", "inputEPCList": ITEMS[:1], "outputEPCList": [ITEMS[3]]},
]
FIELDS_OF = {  # the EPCIS fields each MATCH_ parameter looks at
    "MATCH_epc": ("epcList", "childEPCs"),
    "MATCH_parentID": ("parentID",),
    "MATCH_inputEPC": ("inputEPCList",),
    "MATCH_outputEPC": ("outputEPCList",),
    "MATCH_anyEPC": ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID"),
}


def test_every_match_finds_the_children_packed_as_the_others(world, capture):
    events = [
        {**e, "eventTime": f"2026-11-22T08:00:0{i}Z", "eventTimeZoneOffset": "+08:00"}
        for i, e in enumerate(NAMING)
    ]
    document = {**example("Example_9.6.1-ObjectEvent.jsonld"), "epcisBody": {"eventList": events}}
    capture(world.enterprise, document)
    for name, fields in FIELDS_OF.items():
        for value in [*ITEMS, CASE, PALLET, "urn:epc:idpat:sgtin:0614141.107346.*"]:
            every_item = value.startswith("urn:epc:idpat:")  # the pattern of ITEMS' GTIN
            expected = {
                i
                for i, e in enumerate(events)
                for field in fields
                if field in e
                for key in ([e[field]] if field == "parentID" else e[field])
                if (key in ITEMS if every_item else key == value)
            }
            answer = found(get(world.association, "/epcis/events", data={name: value}))
            got = {int(e["eventTime"][18]) for e in answer}  # its index, its second
            assert got == expected, (name, value)
    listed = get(world.association, "/epcis/epcs", data={"perPage": "1000"}).json()["member"]
    assert {*ITEMS, CASE, PALLET} <= set(listed)
    assert len(listed) == len(set(listed))
    # Page by page, in the database's order, with the packed children among the others.
    paged, url, data = [], "/epcis/epcs", {"perPage": "2"}
    while url:
        response = get(world.association, url, data=data)
        paged += response.json()["member"]
        link = response.get("Link")
        url, data = (link[1 : link.index(">")], None) if link else (None, None)
    assert paged == listed


def test_it_pages_with_a_next_page_token(world, capture):
    _shipping_world(world, capture)
    seen, url, data = [], "/epcis/events", {"perPage": "3"}
    while url:
        response = get(world.enterprise, url, data=data)
        seen += found(response)
        link = response.get("Link")
        url, data = (link[1 : link.index(">")], None) if link else (None, None)
    assert len(seen) == COMMISSIONED + 4
    assert len({e["eventID"] for e in seen}) == COMMISSIONED + 4
    bad = get(world.enterprise, "/epcis/events", data={"perPage": "3", "nextPageToken": "forged"})
    assert bad.status_code == 400
    assert bad.json()["type"] == "epcisException:QueryParameterException"


def test_unknown_parameters_are_refused(world, capture):
    response = get(world.enterprise, "/epcis/events", data={"EQ_colour": "red"})
    assert response.status_code == 400
    assert "EQ_colour" in response.json()["title"]


def test_who_sees_which_events(world, capture):
    _shipping_world(world, capture)
    for party in (world.enterprise, world.association, world.inspector):
        assert len(found(get(party, "/epcis/events"))) == COMMISSIONED + 4
    assert found(get(world.outsider, "/epcis/events")) == []
    assert found(get(world.distributor, "/epcis/events")) == []
    event_id = Event.objects.first().event_id
    assert get(world.outsider, "/epcis/events/" + quote(event_id, safe="")).status_code == 404
    assert Client().get("/epcis/events").status_code == 401
    assert Client().post("/epcis/capture", "{}", content_type="application/json").status_code == 401
    job = CaptureJob.objects.first()
    assert get(world.outsider, f"/epcis/capture/{job.pk}").status_code == 404
    assert get(world.enterprise, f"/epcis/capture/{job.pk}").status_code == 200


def test_an_event_about_an_enterprises_product_is_its_to_see(world, capture):
    document = example("Example_9.6.2-ObjectEvent.jsonld")
    event = events_of(document)[0]
    event.pop("eventID")
    event["epcList"] = [
        f"https://verify.example.org/01/{world.product.gtin}/21/{world.code(index=3)}"
    ]
    event.pop("quantityList", None)
    capture(world.distributor, document)
    # its product: the world's commissioning events and this one
    assert len(found(get(world.enterprise, "/epcis/events"))) == COMMISSIONED + 1
    assert len(found(get(world.distributor, "/epcis/events"))) == 1  # it captured it
    assert found(get(world.outsider, "/epcis/events")) == []


def test_query_problems_are_told_in_the_clients_language(world):
    response = Client().get(
        "/epcis/events",
        {"perPage": "0"},
        headers={**world.enterprise.api_headers(), "Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert response.json()["title"] == "perPage：须为 1 至 1000 的整数。"


def test_each_organisation_lists_its_own_capture_jobs(world, capture):
    job = capture(world.enterprise, example("Example_9.6.2-ObjectEvent.jsonld"))
    assert [j["captureID"] for j in get(world.enterprise, "/epcis/capture").json()] == [
        job["captureID"]
    ]
    for party in (world.outsider, world.distributor, world.inspector):
        assert get(party, "/epcis/capture").json() == []
    assert Client().get("/epcis/capture").status_code == 401


def test_options_announce_versions_formats_and_limits(world, settings):
    settings.TRUSTLABEL_EPCIS_CAPTURE_LIMIT = 10000
    response = Client().options("/epcis/capture", headers=world.enterprise.api_headers())
    assert response.status_code == 204
    assert response.content == b""
    assert response["Allow"] == "OPTIONS, POST, GET"
    assert response["GS1-EPCIS-Capture-Limit"] == "10000"
    assert response["GS1-Capture-Error-Behaviour"] == "all"
    assert response["GS1-EPCIS-Max"] == "2.0.0"
    events = Client().options("/epcis/events", headers=world.enterprise.api_headers())
    assert events.status_code == 204 and events["GS1-EPC-Format"] == "No_Preference"
    assert Client().options("/epcis/capture").status_code == 401


def test_the_root_lists_what_is_served_and_each_collection_answers(world, capture):
    _shipping_world(world, capture)
    root = get(world.association, "/epcis/").json()
    assert root["type"] == "Collection"
    for resource in root["member"]:
        assert get(world.association, f"/epcis/{resource}").status_code in (200, 204, 405)
    assert "shipping" in get(world.association, "/epcis/bizSteps").json()["member"]
    assert "recalled" in get(world.association, "/epcis/dispositions").json()["member"]
    assert "AssociationEvent" in get(world.association, "/epcis/eventTypes").json()["member"]
    by_step = found(get(world.association, "/epcis/bizSteps/shipping/events"))
    assert by_step and {e["bizStep"] for e in by_step} == {"shipping"}
    assert Client().options("/epcis/", headers=world.enterprise.api_headers()).status_code == 204
    assert Client().get("/epcis/").status_code == 401


def test_the_identifiers_come_page_by_page_in_the_asked_form(world, capture):
    _shipping_world(world, capture)
    first = get(world.enterprise, "/epcis/epcs", data={"perPage": "2"})
    assert len(first.json()["member"]) == 2
    following = first["Link"].split("<", 1)[1].split(">", 1)[0]
    second = Client().get(following, headers=world.enterprise.api_headers())
    assert second.status_code == 200
    assert not set(first.json()["member"]) & set(second.json()["member"])
    urns = get(world.enterprise, "/epcis/epcs", HTTP_GS1_EPC_FORMAT="Always_EPC_URN").json()
    assert all(m.startswith("urn:epc:id:") for m in urns["member"])
    refused = get(world.enterprise, "/epcis/epcs", data={"perPage": "0"})
    assert refused.status_code == 400


EPCIS_READS = [
    "/epcis/",
    "/epcis/events",
    "/epcis/eventTypes",
    "/epcis/eventTypes/ObjectEvent/events",
    "/epcis/epcs",
    "/epcis/epcs/urn:epc:id:sgtin:0614141.107346.2017/events",
    "/epcis/bizSteps",
    "/epcis/bizSteps/shipping/events",
    "/epcis/dispositions",
    "/epcis/dispositions/in_transit/events",
    "/epcis/capture",
]


@pytest.mark.parametrize("path", EPCIS_READS)
@pytest.mark.parametrize("role", ROLES)
def test_every_epcis_read_as_every_role(world, path, role):
    response = Client().get(path, headers=headers_for(world, role))
    assert response.status_code == (401 if role == "anonymous" else 200)
