"""Packing, shipping and receiving, and what follows from them: where an item is, through
its case and pallet, and who it was shipped to."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation, User
from trustlabel.trace import actions as trace
from trustlabel.trace.documents import GS1_CONTEXT
from trustlabel.trace.epcis_api import visible_events
from trustlabel.trace.identifiers import check_digit
from trustlabel.trace.labels import label_epc, label_of
from trustlabel.trace.logistics import containers, label_history, last_destination
from trustlabel.trace.models import EventEPC, EventParty, MovedLot
from trustlabel.trace.scanned import read_scanned


def sscc(n: int) -> str:
    """The n-th SSCC of the test enterprise's company prefix 6901234."""
    body = f"06901234{n:09d}"
    return f"https://id.gs1.org/00/{body}{check_digit(body)}"


def item(world, index: int) -> str:
    return label_epc(world.open_order, world.open_order.serial_start + index)


@pytest.fixture
def second_distributor(db):
    organisation = accounts.do_create_organisation(
        Organisation.Kind.DISTRIBUTOR, "华南经销有限公司", gln="6901234000016"
    )
    user = accounts.do_create_user("south", organisation, role=User.Role.ADMIN, password="x" * 12)
    return Actor.of_user(user)


@pytest.fixture
def shipped(world):
    """24 items in two cases on a pallet, shipped to the distributor."""
    maker = world.enterprise.actor
    trace.do_pack(maker, sscc(1), [item(world, i) for i in range(12)])
    trace.do_pack(maker, sscc(2), [item(world, i) for i in range(12, 24)])
    trace.do_pack(maker, sscc(100), [sscc(1), sscc(2)])
    return trace.do_move(maker, trace.Step.SHIP, [sscc(100)], world.distributor.organisation)


def test_an_item_is_where_its_case_and_pallet_are(world, shipped):
    outer = containers(item(world, 3))
    assert [(c.epc, c.depth) for c in outer] == [(sscc(1), 1), (sscc(100), 2)]
    move = last_destination(item(world, 3))
    assert move.destination == world.distributor.organisation
    assert move.source == world.enterprise.organisation
    assert move.event == shipped
    assert last_destination(item(world, 30)) is None  # never packed nor shipped


def test_the_history_goes_through_case_pallet_and_lot(world, shipped):
    label = label_of(item(world, 13))

    steps = [(s.event.biz_step, s.via, s.via_epc) for s in label_history(label)]
    assert steps == [
        ("commissioning", "lot", None),
        ("packing", "item", None),
        ("packing", "container", sscc(2)),
        ("shipping", "container", sscc(100)),
    ]


def test_a_shipment_counts_units_per_lot_and_shows_the_distributor_the_event(world, shipped):
    moved = MovedLot.objects.get(event=shipped)
    assert (moved.lot, moved.units, moved.destination) == (
        world.lot,
        24,
        world.distributor.organisation,
    )
    assert EventParty.objects.filter(
        event=shipped, organisation=world.distributor.organisation, reason="destination"
    ).exists()


def test_a_distributor_sees_what_was_shipped_to_it_packed_further(
    world, shipped, second_distributor
):
    """An event that names what was shipped to a distributor is the distributor's to see,
    also when it names it as a child it packs (kept as a containment, not an identifier
    named)."""
    packing = {
        "@context": [GS1_CONTEXT],
        "type": "AggregationEvent",
        "action": "ADD",
        "parentID": sscc(500),
        "childEPCs": [sscc(100)],
        "eventTime": "2026-11-23T08:00:00+08:00",
        "eventTimeZoneOffset": "+08:00",
    }
    event, _ = trace.do_capture_event(world.outsider.actor, packing)

    assert not EventEPC.objects.filter(event=event, role="child").exists()
    assert visible_events(world.distributor.actor).filter(pk=event.pk).exists()
    assert not visible_events(second_distributor).filter(pk=event.pk).exists()


def test_a_pack_scan_answers_with_the_case_and_what_it_packed(world):
    items = [item(world, i) for i in range(3)]
    response = Client().post(
        "/api/v1/logistics/scans",
        {"step": "pack", "labels": items, "parent": sscc(7)},
        content_type="application/json",
        headers=world.enterprise.api_headers(),
    )

    assert response.status_code == 201, response.content
    assert response.json()["epcs"] == sorted([*items, sscc(7)])


def test_a_distributor_receives_and_ships_on_part_of_it(world, shipped, second_distributor):
    mine = world.distributor.actor
    received = trace.do_move(mine, trace.Step.RECEIVE, [sscc(100)])
    assert received.body["sourceList"][0]["source"].endswith(
        f"/organisations/{world.enterprise.organisation.pk}"
    )
    trace.do_move(mine, trace.Step.SHIP, [sscc(1)], second_distributor.organisation)
    assert last_destination(item(world, 3)).destination == second_distributor.organisation
    assert last_destination(item(world, 15)).destination == world.distributor.organisation
    # What it no longer holds, it cannot ship again.
    with pytest.raises(ValidationError, match="not shipped to you"):
        trace.do_move(mine, trace.Step.SHIP, [sscc(1)], second_distributor.organisation)


def test_unpacking_ends_what_a_case_says_about_an_item(world, shipped, second_distributor):
    maker = world.enterprise.actor
    trace.do_capture_event(
        maker,
        {
            "@context": [GS1_CONTEXT],
            "type": "AggregationEvent",
            "eventTime": "2099-01-01T00:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "parentID": sscc(1),
            "childEPCs": [item(world, 0)],
            "action": "DELETE",
            "bizStep": "unpacking",
        },
    )
    outer = containers(item(world, 0))
    assert outer[0].until is not None
    assert [c.epc for c in containers(item(world, 1))] == [sscc(1), sscc(100)]


def test_nobody_ships_what_is_not_theirs(world, shipped, second_distributor):
    with pytest.raises(ValidationError, match="not shipped to you"):
        trace.do_move(second_distributor, trace.Step.RECEIVE, [sscc(100)])
    with pytest.raises(ValidationError, match="not shipped to you"):
        trace.do_move(
            second_distributor, trace.Step.SHIP, [sscc(100)], world.distributor.organisation
        )
    with pytest.raises(ValidationError, match="another enterprise"):
        trace.do_pack(world.outsider.actor, sscc(7), [item(world, 40)])
    with pytest.raises(ValidationError, match="Not known here"):
        trace.do_move(
            world.enterprise.actor, trace.Step.SHIP, [sscc(55)], world.distributor.organisation
        )
    with pytest.raises(PermissionDenied):
        trace.do_move(world.inspector.actor, trace.Step.RECEIVE, [sscc(100)])
    with pytest.raises(ValidationError, match="distributor to ship to"):
        trace.do_move(world.enterprise.actor, trace.Step.SHIP, [sscc(100)], None)


def test_parties_named_by_gln_are_found(world, second_distributor):
    """Events from other systems name organisations by PGLN or a site's SGLN."""
    maker = world.enterprise.actor
    trace.do_pack(maker, sscc(3), [item(world, 50)])
    trace.do_capture_event(
        maker,
        {
            "@context": [GS1_CONTEXT],
            "type": "ObjectEvent",
            "eventTime": "2098-11-20T08:00:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "epcList": ["urn:epc:id:sscc:6901234.0000000003"],
            "action": "OBSERVE",
            "bizStep": "receiving",
            "bizLocation": {"id": "urn:epc:id:sgln:6901234.00001.7"},  # a site
        },
    )
    assert sscc(3) == "https://id.gs1.org/00/069012340000000030"
    assert last_destination(item(world, 50)).destination == second_distributor.organisation


@pytest.mark.parametrize(
    "typed",
    [
        "069012340000000016",
        "00069012340000000016",
        "(00)069012340000000016",
        "]C100069012340000000016",
        "https://example.com/00/069012340000000016",
        "urn:epc:id:sscc:6901234.0000000001",
        " 0690 1234 0000 0000 16 ",
    ],
)
def test_a_case_label_reads_however_it_comes(typed, db):
    assert read_scanned(typed) == sscc(1)


def test_an_item_label_reads_from_its_code_or_qr(world):
    code = world.code(index=5)
    assert read_scanned(code) == item(world, 5)
    assert read_scanned(f"http://127.0.0.1:8000/01/{world.product.gtin}/21/{code}") == item(
        world, 5
    )
    scratch = world.public_serial(index=2)
    assert read_scanned(scratch) == label_epc(
        world.scratch_order, world.scratch_order.serial_start + 2
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Scan or type a label"),
        ("069012340000000017", "check digit"),
        ("hello", "not a case, pallet or item label"),
        ("]", "not a case, pallet or item label"),
        ("]C", "not a case, pallet or item label"),
        ("https://id.gs1.org/01/06901234567892", "not a case, pallet or item label"),
    ],
)
def test_what_is_not_a_label_is_refused_with_a_reason(typed, message, db):
    with pytest.raises(ValidationError, match=message):
        read_scanned(typed)


def test_a_whole_document_packs_and_unpacks_in_time_order(
    world, django_capture_on_commit_callbacks
):
    """A packing line's document: the events are indexed together, in event time order,
    whatever their order in the document."""

    def aggregation(minute: int, action: str, parent: str, children: list[str]) -> dict:
        return {
            "type": "AggregationEvent",
            "eventTime": f"2026-11-20T08:{minute:02d}:00+08:00",
            "eventTimeZoneOffset": "+08:00",
            "parentID": parent,
            "childEPCs": children,
            "action": action,
            "bizStep": "packing" if action == "ADD" else "unpacking",
        }

    a, b, c = (item(world, i) for i in (60, 61, 62))
    document = {
        "@context": [GS1_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-20T09:00:00+08:00",
        "epcisBody": {
            "eventList": [
                aggregation(3, "DELETE", sscc(10), []),  # last in time, first in the list
                aggregation(1, "ADD", sscc(10), [a, b, c]),
                aggregation(2, "ADD", sscc(11), [b]),  # b moves to the other case
            ]
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        job = trace.do_start_capture(world.enterprise.actor, document, "rollback")
    job.refresh_from_db()
    assert job.success, job.errors
    assert sorted((x.epc, x.until is None) for x in containers(b)) == [
        (sscc(10), False),  # taken out when packed into the other case
        (sscc(11), True),
    ]
    for unpacked in (a, c):
        [was] = containers(unpacked)
        assert was.epc == sscc(10) and was.until is not None


def test_a_pallet_of_labels_is_resolved_with_one_query(world, django_assert_num_queries):
    from trustlabel.trace.labels import labels_of

    items = [item(world, i) for i in range(50)]
    scratch = label_epc(world.scratch_order, world.scratch_order.serial_start + 1)
    other_gtin = items[0].replace(world.product.gtin, "06901234567908")
    strangers = [other_gtin, sscc(1), "https://id.gs1.org/01/06901234567892/21/12345"]
    labels_of(items[:1])  # the key ring, loaded once per process
    with django_assert_num_queries(1):
        found = labels_of([*items, scratch, *strangers])
    assert set(found) == {*items, scratch}
    assert found[items[7]].serial == world.open_order.serial_start + 7
    assert found[scratch].order == world.scratch_order


@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            str.__add__,
            st.sampled_from(["(00)", "(01)", "]C1", "00", "urn:epc:id:sscc:", "https://x/00/"]),
            st.text(alphabet="0123456789()/.:-", max_size=40),
        ),
    )
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_whatever_is_scanned_reads_or_is_refused_with_a_reason(db, text):
    try:
        read_scanned(text)
    except ValidationError as e:
        assert e.messages[0]
