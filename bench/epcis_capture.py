"""EPCIS capture into PostgreSQL, against a bulk COPY of the same rows.

    .venv/bin/python bench/epcis_capture.py [--documents 3] [--events 10000]

Drops and recreates the database `trustlabel_bench_epcis` (PostgreSQL at 127.0.0.1:5432, as
in the CI), makes `--documents` EPCIS documents of `--events` events each (shipping and
receiving ObjectEvents naming 1 to 12 SGTINs, AggregationEvents packing 12 items into an
SSCC case, in the proportions of a packing line), and captures each through the capture
job the worker runs (`trace.actions.do_run_capture`: schema validation, event hash IDs,
storage with the EPC, quantity and party index rows, the logistics tables derived from the
events, a ledger record queued for each event, in one transaction a document). Then as
many other documents the same way but without the logistics tables
(`trace.logistics.index_events` left out), to show what each part costs. Then, in the
same run, it writes the very same rows with PostgreSQL's COPY
(the limit: no validation, no hashing, no Python per row) and reports the rates, and
writes them to docs/benchmarks.md under '## EPCIS capture'.
"""

import argparse
import io
import json
import random
import time
from unittest import mock

import benchdb
from benchdoc import write_section

DB_NAME = "trustlabel_bench_epcis"
HEADING = "## EPCIS capture"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


NOTES = """\
How it got here (the same command): 512 events/s with Django's bulk_create and the
canonical form of every identifier worked out three times; 1,007 with COPY for the rows
(the event IDs taken from the table's sequence first, so that the index rows can name
them), each identifier's canonical form cached, and keys that are canonical already
recognised at once (1,700 to 2,600 on a quieter machine). Then, for capture itself:
- the CBV event hash written straight from the JSON for the usual shapes of events (the
  fields of the standard's order in their usual forms), the general tree kept for the
  rest and checked against it on generated events; check digits summed as bytes and
  cached by GTIN: from about 170 to 25 µs an event;
- each event's index keys worked out beside its hash, while their canonical forms are
  in the cache (a document's 80,000 serials had left it by the time the rows were made);
  the repeat check with one array parameter; Python's cycle collector paused during a
  capture (its collections walked the whole document in memory: a fifth of the time);
- the document stored chunk after chunk, while a forked copy of the worker hashes the
  chunks ahead and writes each event's stored form (canonical JSON and its SHA-256), and
  the rows go by COPY as they are made: Python on both cores beside PostgreSQL. 3,000 to
  4,600 events/s without the logistics tables in this session's runs, depending on what
  else the shared machine was running (often about one of its two cores).

Where the time goes now, for a document of 10,000 events (CPU seconds, PostgreSQL's
backend read from /proc): PostgreSQL 0.2 s to take the waiting document (8 MB of JSON
into the capture job's jsonb column, compressed by pglz) and 0.03 s to give it back,
about 0.9 s for the COPYs (10,000 events with ten indexes and their bodies parsed into
jsonb, 81,000 EPC rows, 20,000 party rows) and 0.4 s at commit for 121,000 deferred
foreign-key checks (each index row's event, each event's organisation and job); Python
0.5 s in the forked copy (hashes, stored forms), 0.4 to 0.5 s in the worker (rows, COPY,
the document's JSON) and 0.1 s in the request (schema check, JSON). PostgreSQL alone
needs about 1.5 s of the 2 s that 5,000 events/s leaves; the rest fits beside it only on
two free cores. What would give room: the waiting document kept as text or in a file
rather than jsonb (0.2 s), and fewer index rows or foreign keys checked (0.4 s at
commit), both schema changes.

The logistics tables (`trace.logistics.index_events`, derived in the same transaction)
cost the difference between the first two lines: about 20 s a document while they were
written event by event (two queries for each AggregationEvent); 1.5 to 1.9 s written for
the whole document at once with a model instance per containment and the open ones looked
up with IN lists of 5,000; 0.7 to 0.8 s (cProfile, this machine) with plain rows, one
array parameter and COPY: 30,000 containments a document, half of it PostgreSQL's. The
COPY limit includes the containments.

More workers do not help on this machine: two capture workers at once (two processes
sharing nine documents, with the logistics tables) gave 2,899 events/s in a trial run
(2026-11-21 14:20 UTC, against 3,285 for one worker in the same run): one worker already
keeps both cores busy (its forked copy hashes while it stores), so a second only adds
contention.
"""


class NoPacking:
    """trace.logistics.Packing doing nothing: capture without the containments."""

    redo = False

    def read(self, *args) -> None:
        pass

    apply = finish = read

    def made(self) -> list:
        return []


def sgtin(rng: random.Random) -> str:
    return f"https://id.gs1.org/01/06901234567892/21/{rng.randrange(10**19, 10**20)}"


def make_document(rng: random.Random, events: int, day: int) -> dict:
    """A document as a packing line and its warehouse send it."""
    event_list = []
    for i in range(events):
        clock = f"{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}"
        when = f"2026-11-{day:02d}T{clock}+08:00"
        if i % 4 == 0:
            event_list.append(
                {
                    "type": "AggregationEvent",
                    "eventTime": when,
                    "eventTimeZoneOffset": "+08:00",
                    "parentID": f"https://id.gs1.org/00/{rng.randrange(10**16, 10**17)}{i % 10}",
                    "childEPCs": [sgtin(rng) for _ in range(12)],
                    "action": "ADD",
                    "bizStep": "packing",
                    "disposition": "in_progress",
                    "readPoint": {"id": "https://id.gs1.org/414/6901234000003/254/1"},
                }
            )
        else:
            shipping = i % 2
            event_list.append(
                {
                    "type": "ObjectEvent",
                    "eventTime": when,
                    "eventTimeZoneOffset": "+08:00",
                    "epcList": [sgtin(rng) for _ in range(rng.randint(1, 12))],
                    "action": "OBSERVE",
                    "bizStep": "shipping" if shipping else "receiving",
                    "disposition": "in_transit" if shipping else "in_progress",
                    "readPoint": {"id": "https://id.gs1.org/414/6901234000003/254/2"},
                    "bizLocation": {"id": "https://id.gs1.org/414/6901234000003"},
                }
            )
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": f"2026-11-{day:02d}T23:59:59.000Z",
        "epcisBody": {"eventList": event_list},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--events", type=int, default=10_000, help="events per document")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    benchdb.recreate_database(DB_NAME)
    benchdb.setup_django(
        DB_NAME, "trustlabel-bench-epcis-", TRUSTLABEL_EPCIS_CAPTURE_LIMIT=str(args.events)
    )
    from django.core.management import call_command
    from django.db import connection

    from trustlabel.accounts import actions as accounts
    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import Organisation, User
    from trustlabel.catalog import actions as catalog
    from trustlabel.ledger.models import Entry as LedgerEntry
    from trustlabel.trace import actions as trace
    from trustlabel.trace import capture as storing
    from trustlabel.trace.models import (
        CaptureJob,
        Containment,
        Event,
        EventEPC,
        EventParty,
        EventQuantity,
    )

    call_command("migrate", verbosity=0)
    org = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "基准测试电器有限公司")
    user = accounts.do_create_user("bench", org, role=User.Role.ADMIN, password=None)
    catalog.do_create_product(org, "6901234567892", "变频空调")
    actor = Actor.of_user(user)
    rng = random.Random(20261121)
    documents = [  # as a client sends them
        json.dumps(make_document(rng, args.events, 1 + d)) for d in range(2 * args.documents)
    ]

    def capture(batch: list[str]) -> float:
        """Seconds to capture the documents, each as POST /epcis/capture and the worker do
        (without HTTP and the task queue)."""
        seconds = 0.0
        for text in batch:
            started = time.perf_counter()
            document = json.loads(text)  # as POST /epcis/capture reads the request
            job = trace.do_start_capture(actor, document, CaptureJob.ErrorBehaviour.ROLLBACK, text)
            trace.do_run_capture(str(job.pk))
            seconds += time.perf_counter() - started
            job.refresh_from_db()
            assert job.success and job.stored_count == args.events, job.errors[:3]
            print(f"  {args.events / (time.perf_counter() - started):,.0f} events/s", flush=True)
        return seconds

    print(f"capturing {args.documents} documents of {args.events} events", flush=True)
    seconds = capture(documents[: args.documents])
    print("the same without the logistics tables", flush=True)
    with (
        mock.patch.object(trace, "index_events", lambda *args: None),
        mock.patch.object(storing, "Packing", NoPacking),
    ):
        bare_seconds = capture(documents[args.documents :])
    stored = Event.objects.count()
    capture_rate = stored / 2 / seconds
    bare_rate = stored / 2 / bare_seconds

    # The limit: the same rows, written by COPY into empty copies of the tables.
    tables = [Event, EventEPC, EventQuantity, EventParty, Containment, LedgerEntry]
    rows = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            columns = [f.column for f in model._meta.concrete_fields]
            buffer = io.StringIO()
            with cursor.cursor.copy(
                f"COPY (SELECT {', '.join(columns)} FROM {table}) TO STDOUT"
            ) as copy:
                for block in copy:
                    buffer.write(bytes(block).decode())
            rows[model] = (table, columns, buffer.getvalue())
            cursor.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with connection.cursor() as inner:
            for model in tables:
                table, columns, data = rows[model]
                with inner.cursor.copy(
                    f"COPY copy_{table} ({', '.join(columns)}) FROM STDIN"
                ) as copy:
                    copy.write(data)
        copy_seconds = time.perf_counter() - started
    copy_rate = stored / copy_seconds
    index_rows = sum(model.objects.count() for model in tables[1:])

    def met(rate: float) -> str:
        return "met" if rate >= 5000 else "not met"

    table = (
        "| what | events/s | seconds for all |\n|---|---:|---:|\n"
        f"| capture as the worker does it (validate, hash, store with index rows, derive the "
        f"logistics tables, queue each event's ledger record), one transaction a document | "
        f"{capture_rate:,.0f} | {seconds:.1f} |\n"
        f"| the same without the logistics tables (`trace.logistics.index_events`) | "
        f"{bare_rate:,.0f} | {bare_seconds:.1f} |\n"
        f"| COPY of the same rows into copies of the tables (the limit) | "
        f"{copy_rate:,.0f} | {copy_seconds:.1f} |\n"
    )
    section = (
        f"{HEADING}\n\n"
        f"`.venv/bin/python bench/epcis_capture.py --documents {args.documents} "
        f"--events {args.events}`: twice {args.documents} EPCIS documents of {args.events} "
        f"events (shipping and receiving ObjectEvents of 1 to 12 SGTINs, AggregationEvents "
        f"of 12 items into a case), {stored} events and {index_rows} index rows in all, "
        f"captured as the capture worker does, into PostgreSQL 15 (`synchronous_commit` on) "
        f"on this 2-core machine; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"capture at {capture_rate / copy_rate:.0%} of COPY, "
        f"{bare_rate / copy_rate:.0%} without the logistics tables:\n\n{table}\n"
        f"Goal: at least 5,000 events/s: {met(capture_rate)} "
        f"({met(bare_rate)} without the logistics tables).\n"
        f"\n{NOTES}"
    )
    print()
    print(section)
    if not args.no_doc:
        write_section(HEADING, section + "\n")


if __name__ == "__main__":
    main()
