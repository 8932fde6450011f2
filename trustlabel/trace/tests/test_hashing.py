"""The CBV 2.0 event hash ID against the reference implementation, epcis-event-hash-generator
1.9.3: its output for every GS1 example event (one fresh process per file) and for the
README's reference event, and the cases where it crashes, which we handle instead.
"""

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlabel.trace import hashing
from trustlabel.trace.hashing import event_hash_id, prehash
from trustlabel.trace.identifiers import urn_to_dl

EXAMPLES = Path(__file__).parent / "epcis_examples"
GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
HASH_ID = re.compile(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0")

# (example file, event index, 1.9.3's hash)
VECTORS = [
    (
        "AssociationEvent__AssociationEvent-a",
        0,
        "39141606ab0b3f7839735303d670b16acdd6faf573d27564ebb3f76ad23e4ff7",
    ),
    (
        "AssociationEvent__AssociationEvent-b",
        0,
        "2a4801ee770582c1952504052703f6ccca6b6a11ddd85936365bd7d01c6729c7",
    ),
    (
        "AssociationEvent__AssociationEvent-c",
        0,
        "847bbfc737fe2de2af46f2f334225a53ce680361a5ba2a0269e4a50fc4923429",
    ),
    (
        "AssociationEvent__AssociationEvent-d",
        0,
        "b9350b16fd98c704364d0b37fc39bb7816459c42e46fb1fd1ccd4f2135b9b8d3",
    ),
    (
        "AssociationEvent__AssociationEvent-e",
        0,
        "2820137e367df426b0eb62660bb1baf8f2f06d5306a0e1568230067b526c4566",
    ),
    (
        "AssociationEvent__AssociationEvent-f",
        0,
        "69e809bf262e056b9814b42b8d8f6efd914b08b8ec392817e1bca910cf11cf00",
    ),
    (
        "AssociationEvent__AssociationEvent-g",
        0,
        "b9350b16fd98c704364d0b37fc39bb7816459c42e46fb1fd1ccd4f2135b9b8d3",
    ),
    (
        "AssociationEvent__AssociationEvent-h",
        0,
        "2fff9bed44a912a5905b5ea660b1fe0fd695bde66997304afaa9774fc2a5a877",
    ),
    ("EPCISQueryDocument", 0, "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6"),
    ("EPCISQueryDocument", 1, "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941"),
    (
        "Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers",
        0,
        "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6",
    ),
    (
        "Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers",
        1,
        "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941",
    ),
    (
        "Example_9.6.1-ObjectEvent",
        0,
        "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6",
    ),
    (
        "Example_9.6.1-ObjectEvent",
        1,
        "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941",
    ),
    (
        "Example_9.6.1-with-comment",
        0,
        "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6",
    ),
    (
        "Example_9.6.1-with-comment",
        1,
        "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941",
    ),
    (
        "Example_9.6.2-ObjectEvent",
        0,
        "352ffde936674c01925b7686e6725cc7f66867d2843fcb4e7b0e38c96011a27f",
    ),
    (
        "Example_9.6.3-AggregationEvent",
        0,
        "96b6bf98742a60dbfaa2dda08b63435ce67079d224ea27d63e55e62a7843b878",
    ),
    (
        "Example_9.6.4-TransformationEvent",
        0,
        "c794227acf3a4d9be9ba1f8340425782f88a0f4e3f35b533a8bf8f1bc206a379",
    ),
    (
        "WithDigitalLinkID__Example_9.6.1-ObjectEventWithDigitalLink",
        0,
        "d3b08a0fc053bb7dc4065fe2664c18886e2f729abd1221520beffb55831da327",
    ),
    (
        "WithDigitalLinkID__Example_9.6.1-ObjectEventWithDigitalLink",
        1,
        "4edc29e1e6848aa19422f37f8dae23bf0865378b0953d83aa1062e6c86131ea6",
    ),
    (
        "WithDigitalLinkID__Example_9.6.2-ObjectEventWithDigitalLink",
        0,
        "7542dcd055bf29e6b520f72c8920d813287c2ba124298bf96758330b936851ae",
    ),
    (
        "WithDigitalLinkID__Example_9.6.3-AggregationEventWithDigitalLink",
        0,
        "c6d04a3b2879ee8b89a595053f328830b802fb76f7d148909c574174561465e4",
    ),
    (
        "WithDigitalLinkID__Example_9.6.4-TransformationEventWithDigitalLink",
        0,
        "c794227acf3a4d9be9ba1f8340425782f88a0f4e3f35b533a8bf8f1bc206a379",
    ),
    (
        "WithFullCombinationOfFields__aggregation_event_all_possible_fields",
        0,
        "cb93254f1156113b38cce997e5ca4e0d50e77fc4cb1814783017d44ec2162d07",
    ),
    (
        "WithFullCombinationOfFields__association_event_all_possible_fields",
        0,
        "7fcb6b58d9091b1145c1e90b7587f3d6d9c8288aee43afa4597dd8191ec7f9a1",
    ),
    (
        "WithFullCombinationOfFields__object_event_all_possible_fields",
        0,
        "26ee693d4d18bae84963f0cbb7a6d2ec897039516852edf138228df32cee956e",
    ),
    (
        "WithFullCombinationOfFields__transaction_event_all_possible_fields",
        0,
        "0e7e88b26a386951d42a59eac67fe3bb0ab45600460e78708cfd92b7fe919070",
    ),
]

# The README's Example 1 (CBV 2.0 section 8.9), in its JSON-LD form, with its pre-hash and ID.
GOLDEN_CONTEXT = [GS1_CONTEXT, {"example": "https://ns.example.com/epcis/"}]
GOLDEN_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2020-03-04T11:00:30.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "recordTime": "2020-03-04T11:00:30.999+01:00",
    "epcList": [
        "urn:epc:id:sscc:4012345.0000000333",
        "urn:epc:id:sscc:4012345.0000000111",
        "urn:epc:id:sscc:4012345.0000000222",
    ],
    "action": "OBSERVE",
    "bizStep": "departing",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
    "example:myField1": {"example:mySubField1": "2", "example:mySubField2": "5"},
    "example:myField2": "0",
    "example:myField3": {"example:mySubField3": ["3", "1"]},
}
GOLDEN_PREHASH = (
    "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
    "epcListepc=https://id.gs1.org/00/040123450000001112"
    "epc=https://id.gs1.org/00/040123450000002225epc=https://id.gs1.org/00/040123450000003338"
    "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-departing"
    "readPointid=https://id.gs1.org/414/4012345000115/254/987"
    "{https://ns.example.com/epcis/}myField1{https://ns.example.com/epcis/}mySubField1=2"
    "{https://ns.example.com/epcis/}mySubField2=5{https://ns.example.com/epcis/}myField2=0"
    "{https://ns.example.com/epcis/}myField3{https://ns.example.com/epcis/}mySubField3=1"
    "{https://ns.example.com/epcis/}mySubField3=3"
)
GOLDEN_ID = (
    "ni:///sha-256;6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7?ver=CBV2.0"
)

PREHASH_9_6_2 = (
    "eventType=ObjectEventeventTime=2013-06-08T14:58:56.591ZeventTimeZoneOffset=+02:00"
    "quantityListquantityElementepcClass=https://id.gs1.org/01/04012345123456/10/998877"
    "quantity=200uom=KGMaction=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-receiving"
    "disposition=https://ref.gs1.org/cbv/Disp-in_progress"
    "readPointid=https://id.gs1.org/414/0614141007776bizLocationid=https://id.gs1.org/414/0614141008889"
    "destinationListtype=https://ref.gs1.org/cbv/SDT-location"
    "destination=https://id.gs1.org/414/0614141007776type=https://ref.gs1.org/cbv/SDT-owning_party"
    "destination=https://id.gs1.org/414/0614141000012sourceListtype=https://ref.gs1.org/cbv/SDT-location"
    "source=https://id.gs1.org/414/4012345002256type=https://ref.gs1.org/cbv/SDT-possessing_party"
    "source=https://id.gs1.org/414/4012345000016"
    "{http://ns.example.com/epcis/}myField=Example of a vendor/user extension"
)


def load(name: str) -> tuple[list[dict], object]:
    """The events of an example file, without their eventIDs, and the file's @context."""
    document = json.loads((EXAMPLES / f"{name}.jsonld").read_text())
    body = document["epcisBody"]
    events = (
        body["eventList"]
        if "eventList" in body
        else body["queryResults"]["resultsBody"]["eventList"]
    )
    return [{k: v for k, v in e.items() if k != "eventID"} for e in events], document["@context"]


def hex_of(event: dict, context) -> str:
    return event_hash_id(event, context).removeprefix("ni:///sha-256;").removesuffix("?ver=CBV2.0")


def small_event(**fields) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2020-03-04T11:00:30.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "action": "OBSERVE",
    }
    return event | fields


@pytest.mark.parametrize(("name", "index", "expected"), VECTORS)
def test_it_reproduces_the_reference_vectors(name, index, expected):
    events, context = load(name)
    assert hex_of(events[index], context) == expected


def test_it_reproduces_the_golden_vector():
    assert prehash(GOLDEN_EVENT, GOLDEN_CONTEXT) == GOLDEN_PREHASH
    assert event_hash_id(GOLDEN_EVENT, GOLDEN_CONTEXT) == GOLDEN_ID


def test_it_writes_fields_in_the_reference_order():
    events, context = load("Example_9.6.2-ObjectEvent")
    assert prehash(events[0], context) == PREHASH_9_6_2


def test_it_uses_the_events_own_context_first():
    event = {"@context": GOLDEN_CONTEXT, **GOLDEN_EVENT}
    assert event_hash_id(event) == GOLDEN_ID
    assert event_hash_id(event, [GS1_CONTEXT, {"example": "urn:other:"}]) == GOLDEN_ID


def test_it_hashes_urn_and_digital_link_forms_alike():
    urn_events, urn_context = load("Example_9.6.4-TransformationEvent")
    dl_events, dl_context = load(
        "WithDigitalLinkID__Example_9.6.4-TransformationEventWithDigitalLink"
    )
    classes = [q["epcClass"] for q in dl_events[0]["inputQuantityList"]]
    assert classes[2] == "https://id.gs1.org/01/04012345666663"
    assert (
        urn_events[0]["inputQuantityList"][2]["epcClass"] == "urn:epc:idpat:sgtin:4012345.066666.*"
    )
    expected = "c794227acf3a4d9be9ba1f8340425782f88a0f4e3f35b533a8bf8f1bc206a379"
    assert hex_of(urn_events[0], urn_context) == hex_of(dl_events[0], dl_context) == expected


def test_it_hashes_an_event_with_every_urn_as_a_digital_link_alike():
    events, context = load("Example_9.6.1-ObjectEvent")
    event = copy.deepcopy(events[1])
    event["epcList"] = [urn_to_dl(epc) for epc in event["epcList"]]
    event["readPoint"]["id"] = urn_to_dl(event["readPoint"]["id"])
    event["bizLocation"]["id"] = urn_to_dl(event["bizLocation"]["id"])
    assert event["bizLocation"]["id"] == "https://id.gs1.org/414/0012345111112"
    expected = "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941"
    assert hex_of(event, context) == expected


def test_it_hashes_digital_links_on_any_host_alike():
    events, context = load("WithDigitalLinkID__Example_9.6.1-ObjectEventWithDigitalLink")
    event = copy.deepcopy(events[0])
    event["epcList"] = [
        epc.replace("https://id.gs1.org/", "https://brand.example.com/dl/") + "?linkType=all"
        for epc in event["epcList"]
    ]
    expected = "d3b08a0fc053bb7dc4065fe2664c18886e2f729abd1221520beffb55831da327"
    assert hex_of(event, context) == expected


def test_it_gives_an_error_declaration_the_hash_of_its_event():
    (declared,), context = load("AssociationEvent__AssociationEvent-g")
    (original,), _ = load("AssociationEvent__AssociationEvent-d")
    assert "errorDeclaration" in declared and "errorDeclaration" not in original
    expected = "b9350b16fd98c704364d0b37fc39bb7816459c42e46fb1fd1ccd4f2135b9b8d3"
    assert hex_of(declared, context) == hex_of(original, context) == expected


def test_it_ignores_comments():
    commented, context = load("Example_9.6.1-with-comment")
    assert "rdfs:comment" in commented[0]
    assert hex_of(commented[0], context) == (
        "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6"
    )


def test_it_ignores_record_time_and_event_id():
    events, context = load("Example_9.6.1-ObjectEvent")
    event = events[0] | {
        "eventID": "urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8",
        "recordTime": "2024-01-01T00:00:00.000Z",
    }
    expected = "df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6"
    assert hex_of(event, context) == expected


def test_it_ignores_list_and_key_order():
    events, context = load("Example_9.6.1-ObjectEvent")

    def reversed_everywhere(value):
        if isinstance(value, dict):
            return {k: reversed_everywhere(v) for k, v in reversed(value.items())}
        if isinstance(value, list):
            return [reversed_everywhere(v) for v in reversed(value)]
        return value

    event = reversed_everywhere(events[1])
    assert list(event["bizTransactionList"][0]) == ["bizTransaction", "type"]
    expected = "32547b2344d525ea60ab1b899d82a9011fd9c39bb26ed936e113066146f49941"
    assert hex_of(event, context) == expected


def test_it_keeps_no_prefixes_from_earlier_events():
    # 1.9.3 remembers prefixes across documents: after 9.6.1, which declares "example",
    # it hashed the WFC association event's undeclared "example:x" as a full URI.
    nine_six_one, context = load("Example_9.6.1-ObjectEvent")
    event_hash_id(nine_six_one[1], context)
    (association,), wfc_context = load(
        "WithFullCombinationOfFields__association_event_all_possible_fields"
    )
    assert "component=example:x" in prehash(association, wfc_context)
    expected = "7fcb6b58d9091b1145c1e90b7587f3d6d9c8288aee43afa4597dd8191ec7f9a1"
    assert hex_of(association, wfc_context) == expected


def test_it_reproduces_the_reference_value_quirks():
    event = small_event(
        **{
            "example:padded": "0012",
            "example:exponent": "1e3",
            "example:decimal": "23.0",
            "example:notANumber": "NaN",
            "example:flag": True,
        }
    )
    assert prehash(event, GOLDEN_CONTEXT).endswith(
        "action=OBSERVE{https://ns.example.com/epcis/}decimal=23"
        "{https://ns.example.com/epcis/}exponent=1000{https://ns.example.com/epcis/}flag=True"
        "{https://ns.example.com/epcis/}notANumber=NaN{https://ns.example.com/epcis/}padded=12"
    )


def test_it_writes_boolean_sensor_values_as_the_reference_does():
    (event,), context = load("WithFullCombinationOfFields__object_event_all_possible_fields")
    assert event["sensorElementList"][0]["sensorReport"][0]["booleanValue"] is True
    assert "booleanValueTrue" not in prehash(event, context)
    assert "booleanValue=TruehexBinaryValue=f0f0f0" in prehash(event, context)


@pytest.mark.parametrize(
    ("written", "hashed"),
    [
        ("2005-04-03T20:33:31.116000-06:00", "2005-04-04T02:33:31.116Z"),
        ("2005-04-03T20:33:31.1415-06:00", "2005-04-04T02:33:31.142Z"),
        ("2005-04-03T20:33:31.1425Z", "2005-04-03T20:33:31.143Z"),
        ("2005-04-03T20:33:31Z", "2005-04-03T20:33:31.000Z"),
        # 1.9.3 crashes here and silently drops the event.
        ("2005-04-03T20:33:31.9996-06:00", "2005-04-04T02:33:32.000Z"),
        ("2019-12-31T23:59:59.99951+00:00", "2020-01-01T00:00:00.000Z"),
        # Without rounding, only the date, hour and minute move (read once a minute).
        ("2026-11-22T07:59:59.5+08:00", "2026-11-21T23:59:59.500Z"),
        ("2026-03-01T05:30:00+05:45", "2026-02-28T23:45:00.000Z"),
        ("2024-02-29T23:30:01.01-00:30", "2024-03-01T00:00:01.010Z"),
        ("9999-12-31T23:59:59.999z", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_it_writes_timestamps_in_utc_milliseconds_rounded_half_up(written, hashed):
    assert prehash(small_event(eventTime=written)).startswith(
        f"eventType=ObjectEventeventTime={hashed}eventTimeZoneOffset="
    )


@pytest.mark.parametrize(
    "written",
    [
        "2026-11-22T23:59:60Z",  # a leap second: no datetime has one
        "2026-11-22T24:00:00+08:00",
        "2026-02-29T08:00:00+08:00",
        "2026-11-22T08:00:00+24:00",
        "0001-01-01T00:00:00.000+08:00",  # before the first instant there is
        "9999-12-31T23:59:59.000-01:00",  # after the last
    ],
)
def test_a_timestamp_that_is_no_instant_has_no_hash(written):
    with pytest.raises(ValueError, match="not a valid timestamp"):
        event_hash_id(small_event(eventTime=written))


def test_it_refuses_an_infinite_number():
    # 1.9.3 crashes on it (OverflowError) and silently drops the event.
    event = small_event(**{"example:limit": "Infinity"})
    with pytest.raises(ValueError, match="infinite number"):
        event_hash_id(event, GOLDEN_CONTEXT)


@pytest.mark.parametrize(
    "event",
    [
        {"eventTime": "2020-03-04T11:00:30.000+01:00"},
        small_event(eventTime="2020-03-04 11:00"),
        small_event(eventTime="2020-03-04T11:00:30.000"),
        small_event(eventTime="2020-02-30T11:00:30.000Z"),
    ],
)
def test_it_refuses_what_it_cannot_hash(event):
    with pytest.raises(ValueError):
        event_hash_id(event)


def test_it_hashes_a_business_transaction_without_type():
    # 1.9.3 raises IndexError for the whole document.
    event = small_event(bizTransactionList=[{"bizTransaction": "urn:epcglobal:cbv:bt:1:2"}])
    assert prehash(event).endswith(
        "action=OBSERVEbizTransactionListbizTransaction=urn:epcglobal:cbv:bt:1:2"
    )


def test_it_hashes_a_document_that_redefines_gs1_prefixes():
    # The file redefines the protected "cbvmda" prefix: 1.9.3 (through PyLD) refuses the
    # whole document, so there is no reference value. We use the document's definition.
    name = "WithFullCombinationOfFields__transformation_event_all_possible_fields"
    (event,), context = load(name)
    hash_id = event_hash_id(event, context)
    assert HASH_ID.fullmatch(hash_id)
    assert event_hash_id(copy.deepcopy(event), copy.deepcopy(context)) == hash_id
    assert "{http://example.com/cbvmda/}lotNumber=ABC123" in prehash(event, context)


# The quick way for usual events (hashing._common_text) against the general one. Values
# chosen for the quirks: blanks, numbers in text, CBV URNs, URNs and links that are GS1
# keys or not, compact IRIs with a declared prefix, and JSON's other scalars.
TRICKY_TEXTS = [
    "",
    "  ",
    " OBSERVE ",
    "shipping",
    "in_transit",
    "urn:epcglobal:cbv:bizstep:shipping",
    "https://ref.gs1.org/cbv/Disp-in_progress",
    "0012",
    "1e3",
    "23.0",
    "-7",
    "NaN",
    "inf",
    "KGM",
    "ex:thing",
    "https:thing",
    "urn:epc:id:sgtin:0614141.107346.2017",
    "urn:epc:id:sscc:4012345.0000000333",
    "urn:epc:class:lgtin:4012345.012345.998877",
    "urn:epc:idpat:sgtin:4012345.066666.*",
    "urn:epc:id:sgtin:bad",
    "https://id.gs1.org/01/06901234567892/21/12345678901234567890",
    "https://id.gs1.org/01/06901234567893/21/1",
    " https://id.gs1.org/00/106141412345678908 ",
    "https://brand.example.com/dl/01/09506000134352/21/X1?linkType=all",
    "HTTPS://id.gs1.org/414/0614141073467/254/1234",
    "https://id.gs1.org/414/6901234000003",
    "https://example.com/not-a-key",
]
scalars = st.one_of(
    st.sampled_from(TRICKY_TEXTS),
    st.text(max_size=6),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
epc_lists = st.lists(scalars, max_size=4)
quantity_lists = st.lists(
    st.dictionaries(st.sampled_from(["epcClass", "quantity", "uom"]), scalars, min_size=1),
    max_size=3,
)
id_objects = st.fixed_dictionaries({"id": scalars})
event_times = st.sampled_from(
    ["2026-11-01T08:00:00.000+08:00", "2020-03-04T11:00:30.1415-06:00", "2005-04-03T20:33:31Z"]
)
usual_events = st.fixed_dictionaries(
    {"type": st.sampled_from(["ObjectEvent", "AggregationEvent"]), "eventTime": event_times},
    optional={
        "eventTimeZoneOffset": scalars,
        "parentID": scalars,
        "epcList": epc_lists,
        "childEPCs": epc_lists,
        "inputEPCList": epc_lists,
        "outputEPCList": epc_lists,
        "quantityList": quantity_lists,
        "childQuantityList": quantity_lists,
        "inputQuantityList": quantity_lists,
        "outputQuantityList": quantity_lists,
        "action": scalars,
        "transformationID": scalars,
        "bizStep": scalars,
        "disposition": scalars,
        "readPoint": id_objects,
        "bizLocation": id_objects,
        "eventID": scalars,
        "recordTime": scalars,
        "errorDeclaration": st.fixed_dictionaries({"declarationTime": scalars}),
        "rdfs:comment": scalars,
    },
)
contexts = st.sampled_from(
    [
        None,
        GS1_CONTEXT,
        [GS1_CONTEXT, {"ex": "https://ns.example.com/epcis/"}],
        [GS1_CONTEXT, {"https": "https://ns.example.com/", "urn": {"@id": "urn:other:"}}],
    ]
)


def quick_and_general(event: dict, context) -> tuple[str | None, str]:
    prefixes = hashing._declared_prefixes(event.get("@context", context))
    return hashing._common_text(event, prefixes), hashing._general_text(event, prefixes)


@settings(max_examples=600, deadline=None)
@given(event=usual_events, context=contexts)
def test_it_writes_usual_events_the_quick_way_as_the_general_way_does(event, context):
    try:
        quick, general = quick_and_general(event, context)
    except ValueError:  # an infinite number or a bad time: both ways must refuse it
        prefixes = hashing._declared_prefixes(context)
        with pytest.raises(ValueError):
            hashing._general_text(event, prefixes)
        with pytest.raises(ValueError):
            hashing._common_text(event, prefixes)
        return
    assert quick is None or quick == general


@pytest.mark.parametrize(
    "event",
    [
        small_event(
            epcList=[
                "https://id.gs1.org/01/06901234567892/21/7",
                "urn:epc:id:sgtin:6901234.056789.8",
            ],
            bizStep="shipping",
            disposition="in_transit",
            readPoint={"id": "https://id.gs1.org/414/6901234000003/254/2"},
            bizLocation={"id": "urn:epc:id:sgln:6901234.00000.0"},
        ),
        small_event(
            type="AggregationEvent",
            action="ADD",
            parentID="https://id.gs1.org/00/069012340000000018",
            childEPCs=["https://id.gs1.org/01/06901234567892/21/7"],
            eventID="urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8",
        ),
        small_event(
            quantityList=[
                {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 200.0},
                {"epcClass": "https://id.gs1.org/01/04012345123456", "quantity": 3, "uom": "KGM"},
            ]
        ),
    ],
)
def test_it_writes_usual_events_the_quick_way(event):
    quick, general = quick_and_general(event, GS1_CONTEXT)
    assert quick is not None
    assert quick == general


@pytest.mark.parametrize(
    "extra",
    [
        {"example:myField": "x"},
        {"sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00225"}]},
        {"epcList": [{"id": "urn:epc:id:sgtin:0614141.107346.2017"}]},
        {"readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234", "example:x": "1"}},
        {"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "x": 1}]},
        {"action": ["OBSERVE"]},
    ],
)
def test_it_leaves_other_events_to_the_general_way(extra):
    quick, _ = quick_and_general(small_event(**extra), GOLDEN_CONTEXT)
    assert quick is None
