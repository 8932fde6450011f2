"""Inclusion proofs served from a ledger of 10 million entries, and checked offline.

    .venv/bin/python bench/ledger_proof.py [--requests 2000] [--size 10000000] [--rebuild]

Builds the PostgreSQL database `trustlabel_bench_ledger_proof` (127.0.0.1:5432, as in the
CI) once and reuses it while it is complete (`--rebuild` makes it again: about 4 minutes
and 6.5 GB of disk): the project's schema (`migrate`), then `--size` entries, each the
record `ledger.records.trace_events_stored` writes for an EPCIS event. All but the last
1,000 are written straight into the tables by COPY, with their indexes and the stored
hashes that `merkle.stored_hashes_for_append` (the writer's own code) computes for them;
the last 1,000 are queued by `trace_events_stored` and integrated by
`actions.do_integrate`, which extends the tree from the hashes in the database and signs
the checkpoint. The root is checked against one computed independently from the records
read back (RFC 6962 level by level), and the log's key is fixed, so the database can be
reused.

Then, for `--requests` entries drawn at random, one after the other on one connection:
`GET /ledger/entries/<i>/proof` through Django's test client (URL routing, middleware,
the rate limit's upsert, the view; no HTTP server), against a baseline of one
hand-written statement sent through psycopg that reads what the bundle needs (the latest
checkpoint's note, the entry and the proof's stored hashes); each bundle is then checked
offline by `ledger.verify.verify_entry` with the entry's record and the published key.
Then as many proofs over HTTP from gunicorn on loopback (`--port`). Prints p50/p95/p99/max
and writes them to docs/benchmarks.md under '## Ledger proofs' (unless --no-doc).
"""

import argparse
import hashlib
import http.client
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchdb
from benchdoc import write_section

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "trustlabel_bench_ledger_proof"
HEADING = "## Ledger proofs"
ORIGIN = "bench.example.org/ledger"
# A fixed key: the database is reused between runs and its checkpoints must verify with it
# (made-up data; nothing here is secret).
SEED = hashlib.sha256(b"trustlabel bench ledger proof").digest()
TAIL = 1000  # entries appended through the actions at the end
CHUNK = 500_000
GOAL_SERVE_MS = 5
GOAL_VERIFY_MS = 1
NOTES = """\
What changed (same database, 2026-11-21 14:55 UTC, the view function called directly for
2,700 random entries, old and new code alternating): the proof view looked up the entry,
then the latest checkpoint, then read the stored hashes with an IN list of 20 to 60
literals, all through the ORM: p50 4.5 ms, p95 6.3 ms. Now it reads the latest
checkpoint's size and note first, with one plain statement (Django built the ORM's query
in about 0.35 ms, three times what running it costs), looks the entry up only to refuse
(an entry gets its index in the transaction that signs the checkpoint over it, so every
index below the latest size is an entry's; answers and refusals are the same), and
`actions.read_hashes` sends one array parameter on PostgreSQL (`index = ANY(%s)`): p50
2.1 ms, p95 3.1 ms. No index was added: the stored hashes' primary key serves the read
(EXPLAIN ANALYZE: 0.5 to 1.2 ms for 30 hashes, about 12 of their pages outside
`shared_buffers`); an index including the hash (for index-only scans) made no measurable
difference, nor did preparing the statement.

What is left in a request: the rate limit's upsert (`verify.ratelimit`, about 0.45 ms at
p50; turning off `synchronous_commit` for it made it no faster), the two reads, Django's
connection health check and request cycle (about 0.7 ms between the view alone and the
test client), and over HTTP gunicorn's part (a connection accepted, read, parsed and
closed per request by its sync workers, and the client's side of it: from 0.1 to 1.7 ms
more than the test client at p95 in this session's runs, with the machine's load), which
every endpoint pays alike (see "Verification over HTTP"). The baseline shows what the
reads alone cost PostgreSQL and one round trip. The p95 moves with the shared machine's
load: p95 through the test client was 4.4 to 4.7 ms in this session's runs of the final
code. Tiles (`/ledger/tile/...`, immutable once full, cacheable anywhere) let a client
build the same proof without asking for it.
"""
SESSION = "SET synchronous_commit = off; SET maintenance_work_mem = '512MB'"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    from trustlabel.ledger.note import Signer

    benchdb.setup_django(
        DB_NAME, "trustlabel-bench-ledger-proof-", TRUSTLABEL_LEDGER_KEY=Signer(ORIGIN, SEED).skey
    )


def event_id(n: int) -> str:
    return f"ni:///sha-256;{hashlib.sha256(b'event %d' % n).hexdigest()}?ver=CBV2.0"


def body_sha256(n: int) -> str:
    return hashlib.sha256(b"body %d" % n).hexdigest()


def record(n: int) -> bytes:
    """The record of the n-th EPCIS event, as trace_events_stored makes it."""
    from trustlabel.ledger.actions import record_bytes

    return record_bytes("trace_event", {"eventID": event_id(n), "sha256": body_sha256(n)})


def stored_records(size: int):
    """The records as the database holds them, in index order."""
    from django.db import connection

    from trustlabel.ledger.models import Entry

    with connection.cursor() as cursor:
        sql = f"COPY (SELECT data FROM {Entry._meta.db_table} ORDER BY index) TO STDOUT"
        with cursor.cursor.copy(sql + " (FORMAT BINARY)") as copy:
            copy.set_types(["bytea"])
            count = 0
            while (row := copy.read_row()) is not None:
                count += 1
                yield bytes(row[0])
    assert count == size


def independent_root(records) -> bytes:
    """RFC 6962's tree hash level by level: pairs hashed, an odd last node carried up."""
    level = [hashlib.sha256(b"\x00" + r).digest() for r in records]
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + a + b).digest()
            for a, b in zip(level[::2], level[1::2], strict=False)
        ]
        level = paired + level[len(paired) * 2 :]
    return level[0]


def build(size: int) -> dict:
    """The log of `size` entries; returns the build's timings."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from trustlabel.ledger import actions, merkle
    from trustlabel.ledger.models import Entry, Head, StoredHash
    from trustlabel.ledger.records import trace_events_stored
    from trustlabel.trace.models import Event

    benchdb.recreate_database(DB_NAME)
    call_command("migrate", verbosity=0)
    timings = {}
    started = time.perf_counter()
    hashes: list[bytes] = []  # every stored hash, at its stored hash index

    def read(indexes):
        return [hashes[i] for i in indexes]

    now = timezone.now()
    bulk = size - TAIL
    entries, stored = Entry._meta.db_table, StoredHash._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(SESSION)
        for start in range(0, bulk, CHUNK):
            count = min(CHUNK, bulk - start)
            records = [record(n) for n in range(start, start + count)]
            leaves = [merkle.leaf_hash(r) for r in records]
            first = len(hashes)
            assert first == merkle.stored_hash_index(0, start)
            hashes.extend(merkle.stored_hashes_for_append(start, leaves, read))
            with cursor.cursor.copy(
                f"COPY {entries} (kind, subject, data, created_at, index, integrated_at) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(
                    ["varchar", "varchar", "bytea", "timestamptz", "int8", "timestamptz"]
                )
                for n, r in enumerate(records, start):
                    copy.write_row(("trace_event", f"trace.event:{n + 1}", r, now, n, now))
            with cursor.cursor.copy(
                f"COPY {stored} (index, hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "bytea"])
                for i in range(first, len(hashes)):
                    copy.write_row((i, hashes[i]))
            log(f"  {start + count:,} entries, {len(hashes):,} stored hashes")
        Head.objects.filter(pk=1).update(size=bulk)
        timings["entries and stored hashes (Python, COPY)"] = time.perf_counter() - started
    # The last entries through the platform: queued as a capture queues them, and
    # integrated by the writer's function, which extends the tree from the database.
    started = time.perf_counter()
    events = [
        Event(pk=n + 1, event_id=event_id(n), body_sha256=body_sha256(n), record_time=now)
        for n in range(bulk, size)
    ]
    with transaction.atomic():
        trace_events_stored(events)
    checkpoint = actions.do_integrate()
    assert checkpoint.size == size
    timings["the last 1,000 through trace_events_stored and do_integrate"] = (
        time.perf_counter() - started
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {entries}")
        cursor.execute(f"VACUUM (ANALYZE) {stored}")
    timings["VACUUM (ANALYZE)"] = time.perf_counter() - started
    started = time.perf_counter()
    root = independent_root(stored_records(size))
    assert root == bytes(checkpoint.root), "the tree in the database is not the records' tree"
    timings["independent root check (hashlib, level by level)"] = time.perf_counter() - started
    # Kept with the data, so that a run that reuses the database can say how it was made.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_build (step text, seconds float, built_at timestamptz)")
        for step, seconds in timings.items():
            cursor.execute("INSERT INTO bench_build VALUES (%s, %s, now())", [step, seconds])
    return timings


def built() -> tuple[dict, str]:
    """The build's timings and when it finished, as build() kept them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT step, seconds, built_at FROM bench_build ORDER BY built_at, ctid")
        rows = cursor.fetchall()
    return {step: seconds for step, seconds, _ in rows}, f"{rows[-1][2]:%Y-%m-%d %H:%M UTC}"


def complete(size: int) -> bool:
    from django.db import DatabaseError

    from trustlabel.ledger.models import Checkpoint, Entry

    try:
        latest = Checkpoint.objects.order_by("-size").first()
        built()
        return latest is not None and latest.size == size and Entry.objects.count() == size
    except DatabaseError:
        return False


BASELINE = """
SELECT (SELECT note FROM {checkpoints} ORDER BY size DESC LIMIT 1),
       (SELECT data FROM {entries} WHERE index = %s),
       (SELECT array_agg(s.hash ORDER BY w.n)
          FROM unnest(%s::bigint[]) WITH ORDINALITY AS w(index, n)
          JOIN {stored} AS s ON s.index = w.index)
"""


def percentiles(samples: list[float]) -> dict:
    q = statistics.quantiles(samples, n=100)
    return {"p50": statistics.median(samples), "p95": q[94], "p99": q[98], "max": max(samples)}


def over_http(size: int, requests: int, port: int) -> list[float]:
    """Milliseconds per proof from gunicorn (2 sync workers, DEBUG off) on loopback: a new
    connection per request, as sync workers close each one, timed from connecting to the
    last byte of the bundle. One trusted proxy, so each request names its own client."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "TRUSTLABEL_NUM_PROXIES": "1",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "trustlabel.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--preload",
        "--log-level",
        "warning",
    ]
    from trustlabel.ledger import proofbundle

    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "gunicorn exited at start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start listening"
                time.sleep(0.2)
        rng = random.Random(20261122)
        timings = []
        for n in range(requests + requests // 10):
            i = rng.randrange(size)
            started = time.perf_counter()
            client = http.client.HTTPConnection("127.0.0.1", port)
            client.request(
                "GET",
                f"/ledger/entries/{i}/proof",
                headers={"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.{n // 62500 + 1}"},
            )
            response = client.getresponse()
            body = response.read()
            client.close()
            if n >= requests // 10:  # the first tenth warms the workers up
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, body[:200]
            assert proofbundle.parse(body).index == i
        return timings
    finally:
        server.terminate()
        server.wait()


def measure(size: int, requests: int) -> dict:
    from django.db import connection
    from django.test import Client

    from trustlabel.ledger import merkle, proofbundle
    from trustlabel.ledger.models import Checkpoint, Entry, StoredHash
    from trustlabel.ledger.verify import verify_entry

    client = Client()
    vkey = client.get("/ledger/key").content.decode().strip()
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest.size == size
    sql = BASELINE.format(
        checkpoints=Checkpoint._meta.db_table,
        entries=Entry._meta.db_table,
        stored=StoredHash._meta.db_table,
    )
    rng = random.Random(20261121)
    indexes = [rng.randrange(size) for _ in range(requests + requests // 10)]
    warm, indexes = indexes[: requests // 10], indexes[requests // 10 :]
    served, baseline, verified, lengths = [], [], [], []
    bundles = []

    def get(i: int):
        # A different address each time: the proofs' rate limit counts per client.
        address = f"10.{i % 250}.{i // 250 % 250}.{i // 62500 % 250 + 1}"
        response = client.get(f"/ledger/entries/{i}/proof", REMOTE_ADDR=address)
        assert response.status_code == 200, response.content
        return response.content

    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection under Django's, for the baseline
    for i in warm:
        get(i)
    for i in indexes:
        wanted = merkle.inclusion_proof_indexes(size, i)
        started = time.perf_counter()
        bundle = get(i)
        served.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with raw.cursor() as cursor:
            note, data, hashes = cursor.execute(sql, [i, wanted], prepare=True).fetchone()
        baseline.append((time.perf_counter() - started) * 1000)
        # The baseline read what the bundle holds.
        parsed = proofbundle.parse(bundle)
        by_index = dict(zip(wanted, hashes, strict=True))
        assert list(parsed.inclusion_proof) == merkle.inclusion_proof(
            size, i, lambda want, by_index=by_index: [by_index[w] for w in want]
        )
        assert parsed.checkpoint == note.encode()
        bundles.append((bundle, bytes(data), i))
        lengths.append(len(parsed.inclusion_proof))
    for bundle, data, i in bundles:
        started = time.perf_counter()
        proof = verify_entry(bundle, data, vkey)
        verified.append((time.perf_counter() - started) * 1000)
        assert proof.index == i and proof.size == size
    return {
        "requests": len(indexes),
        "served": percentiles(served),
        "baseline": percentiles(baseline),
        "verified": percentiles(verified),
        "proof_hashes": statistics.mean(lengths),
        "bundle_bytes": statistics.mean(len(b) for b, _, _ in bundles),
    }


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_database_size(current_database()), "
            "pg_total_relation_size('ledger_entry'), pg_total_relation_size('ledger_storedhash'), "
            "(SELECT count(*) FROM ledger_storedhash), current_setting('shared_buffers')"
        )
        return dict(
            zip(
                ["database", "entries", "stored", "hashes", "shared_buffers"],
                cursor.fetchone(),
                strict=True,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--port", type=int, default=8391, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    setup_django()
    reused = True
    if args.rebuild or not benchdb.database_exists(DB_NAME) or not complete(args.size):
        from django.db import connection

        connection.close()
        log(f"building a log of {args.size:,} entries")
        timings = build(args.size)
        for step, seconds in timings.items():
            log(f"  {step}: {seconds:.0f} s")
        reused = False
    log(f"timing {args.requests:,} proofs")
    result = measure(args.size, args.requests)
    log(f"timing {args.requests:,} proofs over HTTP")
    result["http"] = percentiles(over_http(args.size, args.requests, args.port))
    result["sizes"] = sizes()
    print(result)
    section = render(args, result, reused)
    print(section)
    if not args.no_doc:
        write_section(HEADING, section)


def render(args, r: dict, reused: bool) -> str:
    s = r["sizes"]

    def row(name: str, p: dict) -> str:
        return f"| {name} | {p['p50']:.2f} | {p['p95']:.2f} | {p['p99']:.2f} | {p['max']:.2f} |\n"

    table = (
        "| ms | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|\n"
        + row(
            "`GET /ledger/entries/<i>/proof` (Django's test client: routing, middleware, "
            "the rate limit's upsert, the view)",
            r["served"],
        )
        + row(
            "the same over HTTP: gunicorn (2 sync workers), a new connection a request",
            r["http"],
        )
        + row(
            "baseline: one hand-written statement reading the same (checkpoint, entry, "
            "stored hashes), prepared, through psycopg",
            r["baseline"],
        )
        + row(
            "offline check of the bundle (`verify.verify_entry`: signature, leaf hash, "
            "inclusion proof)",
            r["verified"],
        )
    )
    served_met = r["served"]["p95"] < GOAL_SERVE_MS
    http_met = r["http"]["p95"] < GOAL_SERVE_MS
    verify_met = r["verified"]["p95"] < GOAL_VERIFY_MS
    timings, built_at = built()
    steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items())
    how = (
        f"Built in this run: {steps}."
        if not reused
        else f"Reused the database built {built_at} ({steps}); `--rebuild` makes it again."
    )
    return (
        f"{HEADING}\n\n"
        f"`.venv/bin/python bench/ledger_proof.py --requests {args.requests} --size "
        f"{args.size}`: inclusion proofs for {r['requests']:,} entries drawn at random from a "
        f"log of {args.size:,} entries in PostgreSQL 15 ({s['database'] / 1e9:.1f} GB: entries "
        f"{s['entries'] / 1e9:.1f} GB, {s['hashes']:,} stored hashes {s['stored'] / 1e9:.1f} GB "
        f"with their indexes; `shared_buffers` {s['shared_buffers']}), one after the other on "
        f"one connection, after {args.requests // 10} requests to warm up, on this 2-core "
        f"machine; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end. A "
        f"bundle holds {r['proof_hashes']:.1f} proof hashes on average "
        f"({r['bundle_bytes']:.0f} bytes); the bundle served and the baseline's hashes agree "
        f"for every entry, and every bundle passed the offline check:\n\n{table}\n"
        f"Goals: served under {GOAL_SERVE_MS} ms at p95: "
        f"{'met' if served_met else 'not met'} through the test client, "
        f"{'met' if http_met else 'not met'} over HTTP; checked offline under "
        f"{GOAL_VERIFY_MS} ms: {'met' if verify_met else 'not met'}.\n\n"
        f"How the log was made: the records of EPCIS events (as `trace_events_stored` writes "
        f"them) and the stored hashes that `merkle.stored_hashes_for_append` computes, written "
        f"by COPY, all but the last {TAIL:,}; those were queued by `trace_events_stored` and "
        f"integrated by `do_integrate`, which signed the checkpoint. The checkpoint's root was "
        f"checked against one computed level by level from the records read back from the "
        f"database. {how}\n\n{NOTES}"
    )


if __name__ == "__main__":
    main()
