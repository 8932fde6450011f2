"""EPCIS capture into PostgreSQL, against a bulk COPY of the same rows.

    .venv/bin/python bench/epcis_capture.py [--documents 3] [--events 10000]

Drops and recreates the database `trustlabel_bench_epcis` (PostgreSQL at 127.0.0.1:5432, as
in the CI), makes `--documents` EPCIS documents of `--events` events each (shipping and
receiving ObjectEvents naming 1 to 12 SGTINs, AggregationEvents packing 12 items into an
SSCC case, in the proportions of a packing line), and captures each through the capture
job the worker runs (`trace.actions.do_run_capture`: schema validation, event hash IDs,
storage with the EPC, quantity and party index rows, in one transaction a document). Then,
in the same run, it writes the very same rows with PostgreSQL's COPY (the limit: no
validation, no hashing, no Python per row) and reports both rates, and writes them to
docs/benchmarks.md under '## EPCIS capture'.
"""

import argparse
import io
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "trustlabel_bench_epcis"
HEADING = "## EPCIS capture"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


NOTES = """\
How it got here (the same command, this session): 512 events/s with Django's bulk_create
and the canonical form of every identifier worked out three times; 1,007 with COPY for the
rows (the event IDs taken from the table's sequence first, so that the index rows can name
them), each identifier's canonical form cached, and keys that are canonical already
recognised at once.

Where the time goes now (cProfile of a 2,000-event document): about two thirds in the CBV
2.0 event hash IDs (the pre-hash walks every field of an event in the standard's order and
normalises every EPC), then the index keys, the JSON schema check (about 25 µs an event)
and the inserts. Everything runs in one process on one core while PostgreSQL waits. Next:
validate and hash the events of a document on both cores, and let the inserts overlap
with it.
"""


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
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {DB_NAME}", f"CREATE DATABASE {DB_NAME}"):
        subprocess.run(["psql", "-q", admin, "-c", sql], check=True)
    var = tempfile.mkdtemp(prefix="trustlabel-bench-epcis-")
    Path(var, "static").mkdir()
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        DJANGO_SETTINGS_MODULE="trustlabel.settings",
        SECRET_KEY=secrets.token_hex(32),
        TRUSTLABEL_MASTER_KEY=secrets.token_hex(32),
        TRUSTLABEL_VAR_DIR=var,
        TRUSTLABEL_EPCIS_CAPTURE_LIMIT=str(args.events),
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from trustlabel.accounts import actions as accounts
    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import Organisation, User
    from trustlabel.catalog import actions as catalog
    from trustlabel.trace.actions import do_run_capture, do_start_capture
    from trustlabel.trace.models import CaptureJob, Event, EventEPC, EventParty, EventQuantity

    call_command("migrate", verbosity=0)
    org = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "基准测试电器有限公司")
    user = accounts.do_create_user("bench", org, role=User.Role.ADMIN, password=None)
    catalog.do_create_product(org, "6901234567892", "变频空调")
    actor = Actor.of_user(user)
    rng = random.Random(20261121)
    documents = [make_document(rng, args.events, 1 + d) for d in range(args.documents)]

    print(f"capturing {args.documents} documents of {args.events} events", flush=True)
    times = []
    for document in documents:
        started = time.perf_counter()
        # What POST /epcis/capture and the worker do, without HTTP and the task queue.
        job = do_start_capture(actor, document, CaptureJob.ErrorBehaviour.ROLLBACK)
        do_run_capture(str(job.pk))
        times.append(time.perf_counter() - started)
        job.refresh_from_db()
        assert job.success and job.stored_count == args.events, job.errors[:3]
        print(f"  {args.events / times[-1]:,.0f} events/s", flush=True)
    stored = Event.objects.count()
    capture_rate = stored / sum(times)

    # The limit: the same rows, written by COPY into empty copies of the tables.
    tables = [Event, EventEPC, EventQuantity, EventParty]
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

    table = (
        "| what | events/s | seconds for all |\n|---|---:|---:|\n"
        f"| capture (validate, hash, store with index rows), one transaction a document | "
        f"{capture_rate:,.0f} | {sum(times):.1f} |\n"
        f"| COPY of the same rows into copies of the tables (the limit) | "
        f"{copy_rate:,.0f} | {copy_seconds:.1f} |\n"
    )
    section = (
        f"{HEADING}\n\n"
        f"`.venv/bin/python bench/epcis_capture.py --documents {args.documents} "
        f"--events {args.events}`: {args.documents} EPCIS documents of {args.events} events "
        f"(shipping and receiving ObjectEvents of 1 to 12 SGTINs, AggregationEvents of 12 "
        f"items into a case), {stored} events and {index_rows} index rows, captured as the "
        f"capture worker does, into PostgreSQL 15 (`synchronous_commit` on) on this 2-core "
        f"machine; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"capture at {capture_rate / copy_rate:.0%} of COPY:\n\n{table}\n"
        f"Goal: at least 5,000 events/s: {'met' if capture_rate >= 5000 else 'not met'}.\n"
        f"\n{NOTES}"
    )
    print()
    print(section)
    if not args.no_doc:
        write_section(HEADING, section + "\n")


if __name__ == "__main__":
    main()
