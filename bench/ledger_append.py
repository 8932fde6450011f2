"""Sustained appends to the ledger in PostgreSQL, and how long an entry waits to be integrated.

    .venv/bin/python bench/ledger_append.py [--entries 1000000] [--rate 2000] [--seconds 60]

Drops and recreates the database `trustlabel_bench_ledger` (PostgreSQL at 127.0.0.1:5432,
as in the CI) with a ledger key made for the run. Then:

1. Throughput: `--entries` records of EPCIS events (what `ledger.records.trace_events_stored`
   writes for each stored event: canonical JSON of about 170 bytes with the event's hash ID
   and the SHA-256 of its stored form) are queued by that function (COPY), 10,000 a
   transaction as a capture of a document does, and integrated by `actions.do_integrate`
   as the writer does (a batch of up to `actions.BATCH` entries a transaction: leaf and node
   hashes, stored hashes by COPY, the entries' indexes, the head and a signed checkpoint).
   Reported: entries/s end to end (queue and integrate) and for integration alone, next
   to SHA-256 over the same records with hashlib on one core (the leaf hashes alone, and
   the leaf and node hashes of the whole tree) measured in the same run.
2. Latency: `trustlabel ledger_writer` runs as the deployment runs it, while another
   process queues `--rate` entries a second for `--seconds` seconds (a transaction every
   50 ms, open loop); reported: the median and p95 of Entry.integrated_at - created_at,
   and the longest time between two checkpoints while entries arrive.

Writes the figures to docs/benchmarks.md under '## Ledger appends' (unless --no-doc).
"""

import argparse
import hashlib
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchdb
from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "trustlabel_bench_ledger"
HEADING = "## Ledger appends"
DOCUMENT = 10_000  # entries queued in one transaction, as one captured document
TICK = 0.05  # the paced producer commits a transaction this often
GOAL_RATE = 10_000
GOAL_MEDIAN = 2.0
GOAL_CHECKPOINT_GAP = 10.0

NOTES = """\
Where the time goes (cProfile of one batch of 50,000 on a database of 1.1 million entries,
this session): 2.1 s in all, of which 1.2 s is `_number_entries` (one UPDATE giving 50,000
entries their index and time: PostgreSQL writes a new version of each row and, since the
indexed `index` column changes, an entry in three of the table's four indexes), 0.3 s
`merkle.stored_hashes_for_append` (100,000 SHA-256 hashes and the index arithmetic, in
Python), 0.16 s the COPY of the stored hashes, 0.1 s leaf hashes, the rest reading the
queue, the checkpoint and the commit. So hashing is not what bounds the log: the rate is
1 to 3% of what hashlib does alone on one core, and the database's writes set it.
Integration slows a little as the table grows (about 40,000/s over the first 200,000
entries, 34,000 to 36,000/s over the million in this session's runs). Queueing includes
this script making the unsaved Event instances that `trace_events_stored` takes. The goals
are met, so `do_integrate` was left as it is; if more were needed, the entries' index
could live in a table of its own (written by COPY, no update of the queue), at the cost
of a schema change.
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(create: bool) -> None:
    """On a new database; or, in the producer process, on the one its parent made."""
    if not create:
        benchdb.start_django()
        return
    benchdb.recreate_database(DB_NAME)
    benchdb.setup_django(
        DB_NAME, "trustlabel-bench-ledger-", TRUSTLABEL_LEDGER_KEY=benchdb.new_ledger_key()
    )


def make_events(first: int, count: int, now):
    """Unsaved EPCIS events with what their ledger record names (hash ID, stored form's
    SHA-256), numbered from `first`."""
    from trustlabel.trace.models import Event

    return [
        Event(
            pk=n,
            event_id=f"ni:///sha-256;{hashlib.sha256(b'event %d' % n).hexdigest()}?ver=CBV2.0",
            body_sha256=hashlib.sha256(b"body %d" % n).hexdigest(),
            record_time=now,
        )
        for n in range(first, first + count)
    ]


def queue(first: int, count: int) -> None:
    """Queue `count` records as captures do: trace_events_stored in the capture's
    transaction, DOCUMENT entries a transaction."""
    from django.db import transaction
    from django.utils import timezone

    from trustlabel.ledger.records import trace_events_stored

    for start in range(first, first + count, DOCUMENT):
        events = make_events(start, min(DOCUMENT, first + count - start), timezone.now())
        with transaction.atomic():
            trace_events_stored(events)


def hashing_rates(records: list[bytes]) -> tuple[float, float]:
    """SHA-256 with hashlib on one core over `records`: leaf hashes a second, and leaves
    a second when each leaf also pays its share of the tree's node hashes (one each)."""
    from trustlabel.ledger import merkle

    started = time.perf_counter()
    leaves = [hashlib.sha256(b"\x00" + r).digest() for r in records]
    leaf_seconds = time.perf_counter() - started
    started = time.perf_counter()
    level = leaves
    while len(level) > 1:
        paired = [merkle.node_hash(a, b) for a, b in zip(level[::2], level[1::2], strict=False)]
        level = paired + level[len(paired) * 2 :]
    node_seconds = time.perf_counter() - started
    return len(records) / leaf_seconds, len(records) / (leaf_seconds + node_seconds)


def throughput(entries: int) -> dict:
    from django.db import connection

    from trustlabel.ledger import actions
    from trustlabel.ledger.models import Checkpoint, Entry, Head

    queue_seconds = integrate_seconds = 0.0
    checkpoints = 0
    started = time.perf_counter()
    done = 0
    while done < entries:
        count = min(actions.BATCH, entries - done)
        t0 = time.perf_counter()
        queue(done, count)
        t1 = time.perf_counter()
        checkpoint = actions.do_integrate()
        t2 = time.perf_counter()
        assert checkpoint.size == done + count
        queue_seconds += t1 - t0
        integrate_seconds += t2 - t1
        checkpoints += 1
        done += count
        if done % 200_000 == 0 or done == entries:
            log(
                f"  {done:,} entries: {done / (time.perf_counter() - started):,.0f}/s end to end, "
                f"{done / integrate_seconds:,.0f}/s integrating"
            )
    wall = time.perf_counter() - started
    assert Head.objects.get(pk=1).size == entries
    assert not Entry.objects.filter(index__isnull=True).exists()
    records = [bytes(d) for d in Entry.objects.order_by("index").values_list("data", flat=True)]
    leaf_rate, tree_rate = hashing_rates(records)
    # The tree in the database is the one the records make.
    from trustlabel.ledger import merkle

    root = bytes(Checkpoint.objects.latest().root)
    assert merkle.tree_hash(entries, actions.read_hashes) == root
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = cursor.fetchone()[0]
    return {
        "entries": entries,
        "record_bytes": statistics.mean(len(r) for r in records),
        "wall": wall,
        "queue": queue_seconds,
        "integrate": integrate_seconds,
        "checkpoints": checkpoints,
        "leaf_rate": leaf_rate,
        "tree_rate": tree_rate,
        "database_bytes": database_bytes,
    }


def produce(rate: int, seconds: float) -> None:
    """The paced producer (a separate process): `rate` entries a second, a transaction
    every TICK, on a fixed schedule so that a slow commit does not lower the rate."""
    from django.db import transaction
    from django.utils import timezone

    from trustlabel.ledger.records import trace_events_stored

    each = max(1, round(rate * TICK))
    first = 10**9  # event numbers apart from the throughput phase's
    started = time.monotonic()
    ticks = round(seconds / TICK)
    for tick in range(ticks):
        wait = started + tick * TICK - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        events = make_events(first + tick * each, each, timezone.now())
        with transaction.atomic():
            trace_events_stored(events)


def latency(rate: int, seconds: float) -> dict:
    from django.db.models import F

    from trustlabel.ledger.models import Checkpoint, Entry, Head

    size_before = Head.objects.get(pk=1).size
    env = dict(os.environ)
    writer = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "trustlabel"), "ledger_writer"], env=env
    )
    try:
        time.sleep(3)  # the writer's start
        subprocess.run(
            [sys.executable, __file__, "--produce", str(rate), "--seconds", str(seconds)],
            env=env,
            check=True,
        )
        deadline = time.monotonic() + 60
        while Entry.objects.filter(index__isnull=True).exists():
            assert time.monotonic() < deadline, "the writer did not catch up"
            time.sleep(0.2)
    finally:
        writer.terminate()
        writer.wait()
    rows = Entry.objects.filter(index__gte=size_before).values_list(
        F("integrated_at") - F("created_at"), "created_at"
    )
    waits = sorted(d.total_seconds() for d, _ in rows)
    first_created = min(c for _, c in rows)
    last_created = max(c for _, c in rows)
    signed = sorted(
        Checkpoint.objects.filter(size__gt=size_before).values_list("signed_at", flat=True)
    )
    # The longest time without a new checkpoint while entries were arriving.
    marks = [first_created, *[s for s in signed if s <= last_created], last_created]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(marks)]
    q = statistics.quantiles(waits, n=100)
    return {
        "rate": rate,
        "seconds": seconds,
        "entries": len(waits),
        "offered": len(waits) / (last_created - first_created).total_seconds(),
        "median": statistics.median(waits),
        "p95": q[94],
        "max": waits[-1],
        "checkpoints": len(signed),
        "max_gap": max(gaps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=2000, help="entries/s in the latency run")
    parser.add_argument("--seconds", type=float, default=60, help="length of the latency run")
    parser.add_argument("--produce", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    if args.produce:
        setup_django(create=False)
        produce(args.produce, args.seconds)
        return
    setup_django(create=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    log(f"queueing and integrating {args.entries:,} entries")
    t = throughput(args.entries)
    log(f"latency at {args.rate:,} entries/s for {args.seconds:.0f} s, ledger_writer running")
    lat = latency(args.rate, args.seconds)
    print(t)
    print(lat)
    section = render(args, t, lat)
    print(section)
    if not args.no_doc:
        write_section(HEADING, section)


def render(args, t: dict, lat: dict) -> str:
    end_to_end = t["entries"] / t["wall"]
    integrate = t["entries"] / t["integrate"]
    queue_rate = t["entries"] / t["queue"]
    met = end_to_end >= GOAL_RATE
    latency_met = lat["median"] < GOAL_MEDIAN and lat["max_gap"] <= GOAL_CHECKPOINT_GAP
    load = os.getloadavg()[0]
    table = (
        "| what | entries/s | seconds |\n|---|---:|---:|\n"
        f"| queue and integrate, end to end | {end_to_end:,.0f} | {t['wall']:.1f} |\n"
        f"| integration alone (`do_integrate`, batches of up to 50,000) | {integrate:,.0f} "
        f"| {t['integrate']:.1f} |\n"
        f"| queueing alone (`trace_events_stored`, COPY, 10,000 a transaction) | "
        f"{queue_rate:,.0f} | {t['queue']:.1f} |\n"
        f"| SHA-256 of the leaves alone (hashlib, one core) | {t['leaf_rate']:,.0f} | "
        f"{t['entries'] / t['leaf_rate']:.1f} |\n"
        f"| SHA-256 of the leaves and the tree's node hashes (hashlib, one core) | "
        f"{t['tree_rate']:,.0f} | {t['entries'] / t['tree_rate']:.1f} |\n"
    )
    latency_table = (
        "| entries | offered rate | median | p95 | max | checkpoints | longest gap |\n"
        "|---:|---:|---:|---:|---:|---:|---:|\n"
        f"| {lat['entries']:,} | {lat['offered']:,.0f}/s | {lat['median']:.2f} s | "
        f"{lat['p95']:.2f} s | {lat['max']:.2f} s | {lat['checkpoints']} | "
        f"{lat['max_gap']:.2f} s |\n"
    )
    return (
        f"{HEADING}\n\n"
        f"`.venv/bin/python bench/ledger_append.py --entries {args.entries} --rate {args.rate} "
        f"--seconds {args.seconds:.0f}`: {t['entries']:,} records of EPCIS events "
        f"({t['record_bytes']:.0f} bytes of canonical JSON each, as "
        f"`ledger.records.trace_events_stored` writes them) queued by that function (COPY, "
        f"10,000 a transaction) and integrated by `actions.do_integrate` as the writer does, "
        f"{t['checkpoints']} batches and signed checkpoints, into PostgreSQL 15 "
        f"(`synchronous_commit` on) on this 2-core machine; measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, load average {load:.1f} at the end, database "
        f"{t['database_bytes'] / 1e9:.2f} GB afterwards:\n\n{table}\n"
        f"Goal (at least {GOAL_RATE:,} entries/s sustained): {'met' if met else 'not met'} "
        f"({end_to_end / t['leaf_rate']:.0%} of the leaf hashing rate end to end, "
        f"{integrate / t['leaf_rate']:.0%} for integration alone). The root of the last "
        f"checkpoint was checked against the stored hashes.\n\n"
        f"Latency: `trustlabel ledger_writer` (a round every 0.5 s) running while another "
        f"process queues {lat['rate']:,} entries a second for {lat['seconds']:.0f} s, "
        f"{round(lat['rate'] * TICK)} a transaction every {TICK * 1000:.0f} ms; the time from "
        f"an entry's `created_at` (its transaction commits a few milliseconds later) to its "
        f"`integrated_at` (set in the writer's transaction, just before its commit):\n\n"
        f"{latency_table}\n"
        f"Goal (median under {GOAL_MEDIAN:.0f} s, a checkpoint at least every "
        f"{GOAL_CHECKPOINT_GAP:.0f} s while entries arrive): "
        f"{'met' if latency_met else 'not met'}.\n\n{NOTES}"
    )


if __name__ == "__main__":
    main()
