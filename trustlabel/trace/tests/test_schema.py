"""Events are checked against GS1's EPCIS 2.0 JSON schema, each problem named by event
and field."""

import copy
import json
from pathlib import Path

import pytest

from trustlabel.trace.schema import Problem, document_problems, event_problems

EXAMPLES = Path(__file__).parent / "epcis_examples"
DOCUMENTS = sorted(
    path
    for path in EXAMPLES.glob("*.jsonld")
    if json.loads(path.read_text())["type"] == "EPCISDocument"
)


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_it_accepts_every_gs1_example(path):
    assert document_problems(json.loads(path.read_text())) == []


def test_it_names_the_event_and_the_field_of_each_problem():
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    second = document["epcisBody"]["eventList"][1]
    second["eventTime"] = "yesterday"
    second["epcList"] = [second["epcList"][0], 7]
    second["bizStepp"] = "shipping"
    document["schemaVersion"] = 2
    problems = document_problems(document)
    assert problems == [
        Problem(None, "schemaVersion", '2 is not of type "string"'),
        Problem(1, "bizStepp", problems[1].message),
        Problem(1, "epcList[1]", '7 is not of type "string"'),
        Problem(1, "eventTime", '"yesterday" is not a "date-time"'),
    ]
    assert "namespace prefix" in problems[1].message


def test_a_lone_event_needs_its_context():
    document = example("Example_9.6.1-ObjectEvent.jsonld")
    event = copy.deepcopy(document["epcisBody"]["eventList"][0])
    assert event_problems(event) == [Problem(None, "", '"@context" is a required property')]
    assert event_problems({"@context": document["@context"], **event}) == []
    assert event_problems({**event, "type": "PizzaEvent"})[0].field == "type"


def test_it_refuses_what_is_not_an_object():
    assert document_problems([]) == [Problem(None, "", "An EPCIS document is a JSON object.")]
    assert event_problems("ObjectEvent")[0].message == "An EPCIS event is a JSON object."
