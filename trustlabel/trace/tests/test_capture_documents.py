"""Large capture documents: prepared on two cores (a forked copy of the process hashes half
of the events), stored with their index rows (by COPY on PostgreSQL), the same as when one
process does everything; and run by the db_worker as in production."""

import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import sys
import time

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from trustlabel import copying
from trustlabel.accounts import actions as accounts
from trustlabel.accounts.access import Actor
from trustlabel.accounts.models import Organisation, User
from trustlabel.catalog import actions as catalog
from trustlabel.ledger.actions import canonical_json
from trustlabel.ledger.models import Entry
from trustlabel.ledger.records import trace_event_entries
from trustlabel.trace import actions, capture, logistics
from trustlabel.trace.actions import do_run_capture, do_start_capture
from trustlabel.trace.identifiers import epc_key
from trustlabel.trace.models import (
    CaptureJob,
    Containment,
    Event,
    EventEPC,
    EventParty,
    EventQuantity,
)

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
GTIN = "06901234567892"


def packing_line(events: int, day: int = 1) -> list[dict]:
    """Events as a packing line and its warehouse send them: cases packed, items shipped,
    a lot received by quantity."""
    made = []
    for i in range(events):
        when = f"2026-11-{day:02d}T08:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}+08:00"
        items = [f"https://id.gs1.org/01/{GTIN}/21/{day}{i:05d}{n}" for n in range(1 + i % 4)]
        event = {"type": "ObjectEvent", "eventTime": when, "eventTimeZoneOffset": "+08:00"}
        if i % 3 == 0:
            event |= {
                "type": "AggregationEvent",
                "parentID": f"urn:epc:id:sscc:6901234.{day}{i:09d}",
                "childEPCs": items,
                "action": "ADD",
                "bizStep": "packing",
            }
        elif i % 3 == 1:
            event |= {
                "epcList": items,
                "action": "OBSERVE",
                "bizStep": "shipping",
                "readPoint": {"id": "https://id.gs1.org/414/6901234000003/254/2"},
            }
        else:
            lot = f"https://id.gs1.org/01/{GTIN}/10/L{day}{i}"
            event |= {
                "quantityList": [{"epcClass": lot, "quantity": 12.0, "uom": "KGM"}],
                "action": "OBSERVE",
                "bizStep": "receiving",
                "example:note": {"example:dock": str(i)},  # an extension: the general hash
            }
        made.append(event)
    return made


def document(events: list[dict]) -> dict:
    return {
        "@context": [GS1_CONTEXT, {"example": "https://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-11-01T23:59:59.000Z",
        "epcisBody": {"eventList": events},
    }


@pytest.fixture
def pipeline(monkeypatch) -> list[int]:
    """Chunks of 4 events (the first of 1, the second of 2), hashed ahead by a forked copy
    from 8 events on. Gives the sizes of the chunks this process hashed itself."""
    monkeypatch.setattr(capture, "CHUNK", 4)
    monkeypatch.setattr(capture, "PIPELINE_FROM", 8)
    hashed_here = []

    def counted(events, context, now=None):
        hashed_here.append(len(events))
        return IDENTITIES(events, context, now)

    monkeypatch.setattr(capture, "_identities", counted)
    return hashed_here


IDENTITIES = capture._identities


def test_a_forked_copy_hashes_the_chunks_ahead_as_this_process_would(pipeline):
    events = packing_line(30)
    events[7]["example:limit"] = "1e999"  # no hash: an infinite number
    events[22]["eventTime"] = "2026-02-30T08:00:00Z"  # no hash: no such day
    context = document(events)["@context"]

    ahead = list(capture._identities_ahead(events, context))

    assert pipeline == [1]  # the first chunk; the copy did the others
    assert [start for start, _ in ahead] == [0, 1, 3, 7, 11, 15, 19, 23, 27]
    identities = [identity for _, chunk in ahead for identity in chunk]
    assert identities == IDENTITIES(events, context)
    assert [i for i, identity in enumerate(identities) if isinstance(identity, str)] == [7, 22]
    cbv_hash, epcs, no_quantities, packing, gtins, no_form = identities[0]
    assert cbv_hash == capture.prepare(events[0], context).body["eventID"]
    assert epcs == [
        ("child", events[0]["childEPCs"][0]),
        ("parent", epc_key(events[0]["parentID"])),
    ]
    assert packing == ("ADD", epcs[1][1], [epcs[0][1]]) and gtins == {GTIN}
    assert epcs[1][1].startswith("https://id.gs1.org/00/1690123400000000") and not no_quantities
    assert no_form is None  # rows are made ahead only for store_document
    assert identities[2][2] == [("quantity", f"https://id.gs1.org/01/{GTIN}/10/L12", 12.0, "KGM")]


def test_this_process_hashes_what_the_copy_could_not(pipeline, monkeypatch):
    monkeypatch.setattr(capture, "_send_identities", lambda *args: os._exit(3))
    events = packing_line(30)
    context = document(events)["@context"]

    ahead = list(capture._identities_ahead(events, context))

    assert pipeline == [1, 2, 4, 4, 4, 4, 4, 4, 3]
    assert [identity for _, chunk in ahead for identity in chunk] == IDENTITIES(events, context)


def test_this_process_does_not_wait_for_a_stalled_copy(pipeline, monkeypatch):
    monkeypatch.setattr(capture, "_send_identities", lambda *args: time.sleep(60))
    monkeypatch.setattr(capture, "_PATIENCE", 0.2)
    events = packing_line(10)
    context = document(events)["@context"]

    ahead = list(capture._identities_ahead(events, context))

    assert pipeline == [1, 2, 4, 3]
    assert [identity for _, chunk in ahead for identity in chunk] == IDENTITIES(events, context)
    assert multiprocessing.active_children() == []


def test_the_copy_is_stopped_when_storing_stops(pipeline):
    events = packing_line(30)
    ahead = capture._identities_ahead(events, document(events)["@context"])
    next(ahead)
    assert len(multiprocessing.active_children()) == 1

    ahead.close()

    assert multiprocessing.active_children() == []


@pytest.fixture
def maker(db) -> Actor:
    return make_maker()


def make_maker() -> Actor:
    organisation = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "示例电器")
    user = accounts.do_create_user("maker", organisation, role=User.Role.ADMIN, password=None)
    catalog.do_create_product(organisation, GTIN[1:], "变频空调")
    return Actor.of_user(user)


def captured(actor: Actor, events: list[dict], behaviour=CaptureJob.ErrorBehaviour.ROLLBACK):
    job = do_start_capture(actor, document(events), behaviour)
    do_run_capture(str(job.pk))
    job.refresh_from_db()
    return job


def test_it_stores_a_document_with_all_its_index_rows(maker, pipeline):
    events = packing_line(60)

    job = captured(maker, events)

    assert job.success is True and job.stored_count == 60, job.errors
    assert pipeline == [1]  # hashed ahead by the forked copy
    stored = Event.objects.filter(capture=job).order_by("pk")
    assert [e.event_time for e in stored] == [capture.parse_time(e["eventTime"]) for e in events]
    for event, original in zip(stored, events, strict=True):
        assert event.body == {
            "@context": document(events)["@context"],
            **original,
            "eventID": event.cbv_hash,
            "recordTime": capture.time_text(event.record_time),
        }
        assert event.body_sha256 == hashlib.sha256(canonical_json(event.body).encode()).hexdigest()
        assert event.captured_by_id == maker.organisation.pk
    assert len({e.record_time for e in stored}) == 1  # one capture, one record time
    # The items each event names, but those it packs in a case: those are containments.
    epcs = sum(len(e.get("epcList", [])) + ("parentID" in e) for e in events)
    assert EventEPC.objects.filter(event__capture=job).count() == epcs
    assert EventEPC.objects.filter(event__capture=job, role="parent").count() == 20
    packed = {(e.pk, c) for e in stored for c in e.body.get("childEPCs", [])}
    assert set(Containment.objects.values_list("event_id", "child")) == packed
    assert EventQuantity.objects.filter(event__capture=job, uom="KGM").count() == 20
    # The maker's product is named by every event: its owner may see them all (as the
    # maker, who captured them, may through Event.captured_by).
    parties = EventParty.objects.filter(event__capture=job)
    assert set(parties.values_list("organisation", "reason")) == {(maker.organisation.pk, "owner")}
    assert parties.count() == 60
    # Each event's ledger entry queued with it (written as COPY's text on PostgreSQL).
    entries = Entry.objects.filter(kind="trace_event").values_list(
        "kind", "subject", "data", "created_at"
    )
    assert sorted((k, s, bytes(d), t) for k, s, d, t in entries) == sorted(
        trace_event_entries(stored)
    )


def test_identifiers_are_indexed_in_the_order_the_event_names_them(maker, pipeline):
    events = packing_line(24)
    job = captured(maker, events)

    for event in Event.objects.filter(capture=job):
        rows = list(event.epcs.order_by("position"))
        keys = list(enumerate(capture.identifier_keys(event.body)))
        if event.event_type == "AggregationEvent":  # the children it packs: containments
            keys = [(i, (role, key)) for i, (role, key) in keys if role != "child"]
        assert [(r.position, (r.role, r.epc)) for r in rows] == keys
    item = events[7]["epcList"][1]
    named = EventEPC.objects.filter(epc__in=[item, "urn:example:none"])
    assert [(e.role, e.position, e.event.body["epcList"][1]) for e in named] == [("epc", 1, item)]


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1, 2.5, -0.0, 1e16, 2**63 - 1, None, True], "a": {"z": "事件\n\u2028\x7f\x01"}},
        {"sensorReport": [{"value": 0.00001, "type": "gs1:Temperature"}]},
        {"example:big": 2**70, "a": 1},
    ],
)
def test_canonical_json_sorts_keys_without_spaces_and_reads_back_the_same(value):
    text = canonical_json(value)
    assert json.loads(text) == value
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).replace("1e-05", "0.00001")  # fmt: skip
    assert canonical_json(json.loads(text)) == text


def test_a_document_captured_again_is_stored_once(maker, pipeline):
    first = captured(maker, packing_line(12))
    rows = EventEPC.objects.count(), EventQuantity.objects.count(), EventParty.objects.count()

    again = captured(maker, packing_line(12))

    assert first.stored_count == 12 and rows[0] > 12
    assert again.success is True and again.stored_count == 0
    assert Event.objects.count() == 12
    assert (EventEPC.objects.count(), EventQuantity.objects.count()) == rows[:2]
    assert EventParty.objects.count() == rows[2]


def test_repeats_and_conflicts_are_found_across_chunks(maker, pipeline):
    events = packing_line(20)
    events[13] = events[2]  # the same event again, in another chunk: stored once
    events[1]["eventID"] = events[17]["eventID"] = "urn:uuid:0c7e4d6e-63b9-4d0c-8d5e-8f0a1a7e2d11"

    job = captured(maker, events, CaptureJob.ErrorBehaviour.PROCEED)

    assert job.stored_count == 18
    assert [(e["event"], e["field"]) for e in job.errors] == [(17, "eventID")]
    assert Event.objects.get(event_id=events[1]["eventID"]).body["bizStep"] == "shipping"


def test_a_conflict_with_a_stored_event_rolls_the_whole_document_back(maker, pipeline):
    captured(maker, packing_line(12))
    events = packing_line(12, day=2)
    events[9]["eventID"] = Event.objects.order_by("pk")[3].event_id  # other content, same ID

    job = captured(maker, events)

    assert job.success is False and job.stored_count == 0
    assert [(e["event"], e["field"]) for e in job.errors] == [(9, "eventID")]
    assert Event.objects.count() == 12


@pytest.mark.parametrize("behaviour", CaptureJob.ErrorBehaviour.values)
def test_an_event_without_a_hash_late_in_a_document(maker, pipeline, behaviour):
    events = packing_line(20)
    events[1]["eventID"] = events[3]["eventID"] = "urn:uuid:0c7e4d6e-63b9-4d0c-8d5e-8f0a1a7e2d11"
    events[18]["example:limit"] = "1e999"  # schema-valid, but no hash: an infinite number

    job = captured(maker, events, behaviour)

    if behaviour == CaptureJob.ErrorBehaviour.ROLLBACK:
        # Refused for the event without a hash alone, as when all was hashed first.
        assert job.stored_count == Event.objects.count() == 0
        assert [(e["event"], e["field"]) for e in job.errors] == [(18, "")]
    else:
        assert job.stored_count == Event.objects.count() == 18
        assert [(e["event"], e["field"]) for e in job.errors] == [(18, ""), (3, "eventID")]
    assert "infinite number" in job.errors[0]["message"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_captures_a_large_document(settings, pipeline):
    """As in production: the request queues a task in the database, `db_worker` runs it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    organisation = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "示例电器")
    user = accounts.do_create_user("maker", organisation, role=User.Role.ADMIN, password=None)
    with transaction.atomic():
        job = do_start_capture(
            Actor.of_user(user), document(packing_line(40)), CaptureJob.ErrorBehaviour.ROLLBACK
        )
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    kept = [(log, log.level, list(log.handlers)) for log in loggers]
    try:
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for log, level, log_handlers in kept:
            log.setLevel(level)
            log.handlers[:] = log_handlers

    job.refresh_from_db()
    assert job.running is False and job.success is True, job.errors
    assert job.stored_count == Event.objects.filter(capture=job).count() == 40
    assert pipeline == [1]  # hashed ahead by the forked copy of the worker


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize(
    "child",
    [
        "urn:example:plain",
        "urn:example:back\\slash",
        "urn:example:\\N",
        "urn:example:tab\there",
        "urn:example:line\nbreak\r",
    ],
)
def test_rows_copied_as_text_come_back_as_they_were(db, child):
    """Rows are made into COPY's text in one pass where no value needs escaping, and by
    psycopg where one does: either way they are stored as they were."""
    at = dt.datetime(2026, 11, 21, 8, 0, 0, 123000, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = [
        ("urn:example:case", child, at, None, 1),
        ("urn:example:case", "urn:example:other", at, at + dt.timedelta(hours=1), 2),
    ]
    columns = ["parent", "child", "packed_at", "unpacked_at", "event_id"]

    copying.copy_now(
        [copying.copy_text(Containment, columns, rows, logistics._containment_line, 1)]
    )

    assert list(Containment.objects.order_by("event_id").values_list(*columns)) == rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_rows_sent_in_pieces_come_back_whole(db, monkeypatch):
    """COPY's text goes a piece at a time: pieces that split a line, an escape or a
    character of several bytes in UTF-8 still store the rows as they were."""
    monkeypatch.setattr(copying, "_PIECE", 3)
    at = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    rows = [
        ("urn:example:箱子", f"urn:example:{child}", at, None, pk)
        for pk, child in enumerate(["瓶\\一", "tab\there", "二", "line\nbreak"], 1)
    ]
    columns = ["parent", "child", "packed_at", "unpacked_at", "event_id"]

    copying.copy_now([copying.copy_text(Containment, columns, rows)])

    assert list(Containment.objects.order_by("event_id").values_list(*columns)) == rows


def _containments_copy(*children: str) -> list[tuple[str, str]]:
    at = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    rows = [("urn:example:case", child, at, None, pk) for pk, child in enumerate(children, 1)]
    return [
        copying.copy_text(
            Containment, ["parent", "child", "packed_at", "unpacked_at", "event_id"], rows
        )
    ]


def _children_stored(psycopg_connection) -> list[str]:
    with psycopg_connection.cursor() as cursor:
        cursor.execute("SELECT child FROM trace_containment ORDER BY child")
        return [child for (child,) in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_copier_answers_questions_in_line_with_its_copies(db):
    """A question put to the copier is asked after what was sent before it and before
    what is sent after it, on the same connection (so in the same transaction)."""
    with transaction.atomic(), copying.Copier() as copier:
        copier.send(_containments_copy("urn:example:a"))
        first = copier.ask(_children_stored)
        copier.send(_containments_copy("urn:example:b"))
        second = copier.ask(_children_stored)
        assert first.result(timeout=10) == ["urn:example:a"]
        assert second.result(timeout=10) == ["urn:example:a", "urn:example:b"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_copier_gets_pythons_lock_back_soon_while_it_runs(db):
    """While a copier runs, a thread waiting for Python's lock gets it within a
    millisecond (so its COPYs keep PostgreSQL busy); as before once it has stopped,
    failed or not."""
    before = sys.getswitchinterval()
    with transaction.atomic(), copying.Copier():
        assert sys.getswitchinterval() == copying.HANDOFF_INTERVAL < before
    assert sys.getswitchinterval() == before
    with pytest.raises(ZeroDivisionError), transaction.atomic(), copying.Copier():
        1 / 0  # noqa: B018
    assert sys.getswitchinterval() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_question_after_a_failed_copy_gets_its_error(db):
    """A COPY fails: the question after it is not asked, and its answer is the COPY's
    error, as is leaving the copier."""
    asked = []
    with (
        pytest.raises(Exception, match="trace_nowhere") as left,
        transaction.atomic(),
        copying.Copier() as copier,
    ):
        copier.send([("COPY trace_nowhere (x) FROM STDIN", "1\n")])
        answer = copier.ask(asked.append)
        with pytest.raises(Exception, match="trace_nowhere") as answered:
            answer.result(timeout=10)
    assert asked == []
    assert answered.value is left.value


def test_a_waiting_document_is_kept_as_it_came(db, maker):
    """The document of a capture job is sent to the database beside the statement
    (copying.write_bound): every character arrives as it was."""
    job = CaptureJob.objects.create(organisation=maker.organisation)
    text = '{"q": "it\'s", "s": "back\\\\slash", "z": "%s ? $1 \\u0000 不可"}' + " " * 100_000

    copying.write_bound(job, "document", text)

    assert job.document == text
    assert CaptureJob.objects.get(pk=job.pk).document == text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL array")
@pytest.mark.parametrize(
    "values",
    [[], ["urn:example:a"], ["urn:example:a", "urn:example:b"], ['a"b', "c\\d", "e,f}", "{g}"]],
)
def test_strings_given_as_the_text_of_an_array_come_back_as_they_were(db, values):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [copying.text_array(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_thousands_of_keys_looked_up_at_once_are_read_from_the_index(db):
    """Without statistics on the table (never analysed, as here), the planner would
    otherwise read all of it for thousands of keys."""
    keys = [f"ni:///sha-256;{n:064x}?ver=CBV2.0" for n in range(2000)]
    statement = f"EXPLAIN SELECT id FROM trace_event WHERE event_id {copying.IN_TEXTS}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [copying.text_array(keys)])
        unguided = "\n".join(line for (line,) in cursor.fetchall())
        with copying.by_index():
            cursor.execute(statement, [copying.text_array(keys)])
            guided = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("SHOW enable_seqscan")
        setting = cursor.fetchone()[0]

    assert unguided.startswith("Seq Scan on trace_event"), unguided
    assert "Index Scan on trace_event_id_once" in guided and "Seq Scan" not in guided, guided
    assert setting == "on"  # as it was, for the statements after


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's hash indexes")
def test_identifiers_are_looked_up_through_a_hash_of_the_key(db):
    """One key, or many at once (as item_history asks for an item and its containers,
    and containers() for the items of a level)."""
    lookups = {
        "trace_eventepc_epc": lambda keys: EventEPC.objects.filter(epc__in=keys),
        "containment_child": lambda keys: Containment.objects.filter(child__in=keys),
        "containment_parent": lambda keys: Containment.objects.filter(parent__in=keys),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [list(lookups)]
        )
        definitions = dict(cursor.fetchall())
    with transaction.atomic(), copying.by_index():
        plans = {
            (name, len(keys)): lookup(keys).explain()
            for name, lookup in lookups.items()
            for keys in (["urn:example:a"], [f"urn:example:{n}" for n in range(50)])
        }

    assert sorted(definitions) == sorted(lookups)
    assert all(" USING hash (" in definition for definition in definitions.values()), definitions
    assert all(name in plan and "Seq Scan" not in plan for (name, _), plan in plans.items()), plans


def test_events_with_characters_copy_escapes_are_stored_as_they_came(maker, pipeline):
    events = packing_line(12)
    events[5]["example:note"] = 'a "quoted" word, a back\\slash,\ta tab and\na new line'
    events[9]["example:note"] = "\\N"

    job = captured(maker, events)

    assert job.success is True and job.stored_count == 12, job.errors
    notes = Event.objects.filter(capture=job).order_by("pk").values_list("body", flat=True)
    assert [b.get("example:note") for b in notes] == [e.get("example:note") for e in events]


def aggregation(minute: int, parent: str, children: list[str], action="ADD") -> dict:
    event = {
        "type": "AggregationEvent",
        "eventTime": f"2026-11-01T09:{minute:02d}:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "parentID": f"urn:epc:id:sscc:6901234.{parent}",
        "action": action,
        "bizStep": "packing" if action == "ADD" else "unpacking",
    }
    if children:
        event["childEPCs"] = [f"https://id.gs1.org/01/{GTIN}/21/{c}" for c in children]
    return event


# Packing documents of 16 events, stored in chunks of 1, 2, 4, 4, 4 and 1 (see pipeline).
PACKINGS = {
    # Each chunk after the one before: packed chunk by chunk.
    "in order": [aggregation(m, f"10{m:07d}", [f"{m}1", f"{m}2"]) for m in range(16)],
    # Cases packed onto a pallet, one case taken off again later (DELETE of named children)
    # and a pallet emptied (DELETE without children).
    "pallets and unpacking": [
        *(aggregation(m, f"20{m:07d}", [f"{m}1", f"{m}2"]) for m in range(8)),
        *(aggregation(8 + m, "3000000001", [f"1{m}"]) for m in range(4)),
        aggregation(12, "3000000001", ["11"], "DELETE"),
        aggregation(13, "2000000003", [], "DELETE"),
        aggregation(14, "4000000001", ["51", "52"]),
        aggregation(15, "4000000002", ["61"]),
    ],
    # Later chunks with earlier times: derived again at once.
    "out of order": [aggregation(15 - m, f"50{m:07d}", [f"{m % 5}1"]) for m in range(16)],
    # Items packed in one chunk and packed elsewhere in a later one.
    "repacked": [aggregation(m, f"60{m:07d}", [f"{m % 6}7"]) for m in range(16)],
}


@pytest.mark.parametrize("name", PACKINGS)
def test_containments_derived_chunk_by_chunk_are_those_of_the_whole_document(
    maker, pipeline, name, monkeypatch
):
    """On PostgreSQL, capture derives a document's containments chunk by chunk (or again at
    once, where chunk by chunk would not give the same); on SQLite at once. Either way, the
    same as the whole document derived at once."""
    earlier = captured(maker, [aggregation(0, "9000000001", ["01", "11", "61"])], "rollback")
    again = []
    monkeypatch.setattr(
        capture,
        "index_aggregations",
        lambda *args: again.append(logistics.index_aggregations(*args)),
    )

    job = captured(maker, PACKINGS[name])

    assert job.success is True and job.stored_count == 16, job.errors
    on_postgresql = connection.vendor == "postgresql"
    assert bool(again) == (on_postgresql and name == "out of order")
    columns = ("parent", "child", "packed_at", "unpacked_at", "event_id")
    chunk_by_chunk = sorted(Containment.objects.values_list(*columns))

    Containment.objects.exclude(event__capture=earlier).delete()
    Containment.objects.update(unpacked_at=None)
    stored = Event.objects.filter(capture=job)
    keys = {e.pk: capture.identifier_keys(e.body) for e in stored}
    logistics.index_aggregations(sorted(stored, key=logistics.time_order), keys)

    assert chunk_by_chunk == sorted(Containment.objects.values_list(*columns))
    assert Containment.objects.filter(unpacked_at__isnull=False).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory locks")
def test_events_are_stored_one_capture_at_a_time(transactional_db, monkeypatch):
    """A capture job and a single event each hold the lock from the start of storing to
    their commit, what they derive included: another capture waits meanwhile."""
    maker = make_maker()

    def another_capture_may_start() -> bool:
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [capture.CAPTURE_LOCK])
                (free,) = cursor.fetchone()
                if free:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [capture.CAPTURE_LOCK])
                return free
        finally:
            other.close()

    seen = []
    index_events = actions.index_events

    def deriving(*args):
        seen.append(another_capture_may_start())
        return index_events(*args)

    monkeypatch.setattr(actions, "index_events", deriving)
    job = captured(maker, packing_line(6))
    actions.do_capture_event(maker, {"@context": GS1_CONTEXT, **packing_line(1, day=2)[0]})

    assert job.success is True and seen == [False, False]
    assert another_capture_may_start()  # let go at each commit
