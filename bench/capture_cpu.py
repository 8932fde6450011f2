"""Where a capture job's time goes, document by document: CPU time and page faults.

    .venv/bin/python bench/capture_cpu.py [--documents 6] [--events 10000] [--no-helper]
                                          [--timeline]

Drops and recreates the database `trustlabel_bench_capture_cpu` (PostgreSQL at
127.0.0.1:5432, as in the CI) and captures `--documents` documents made as
bench/epcis_capture.py makes them, one at a time, as POST /epcis/capture and the worker
do. For each document: the wall time of the request and of the worker's run; the CPU
time of this process (request and worker), of its forked copy (`trace.capture`'s
hashing ahead), of PostgreSQL's backend (read from /proc) and of every process on the
machine (/proc/stat: what the two cores spent); the page faults of this process and of
its forked copy; and, while the worker ran, how long PostgreSQL's backend waited for a
core (other processes had both) and sat idle (neither running nor waiting for a core:
waiting for the worker, before its first statement, between statements, or for the
data of a COPY; /proc/<pid>/schedstat). Linux only. `--no-helper`: the worker hashes
everything itself.

`--timeline`: for the last document, when each step ran (the worker's chunks, the
lookups and COPYs on the connection, deriving the logistics tables), and how long the
connection sat idle between its statements while the document was stored, that is
PostgreSQL waiting for the worker.

CPU time moves less than wall time with the machine's pace, so this is the measure to
compare two versions of capture with, run in alternation (from a git worktree of the
other version: `cd <worktree> && <this venv>/bin/python bench/capture_cpu.py`).
Nothing is written to docs/benchmarks.md.
"""

import argparse
import contextlib
import itertools
import json
import random
import resource
import threading
import time
from unittest import mock

import benchdb
from benchproc import cpu_seconds, machine_cpu, scheduled
from epcis_capture import make_document

DB_NAME = "trustlabel_bench_capture_cpu"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def faults() -> tuple[int, int]:
    """Minor page faults of this process and of its children that have ended."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_minflt,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--events", type=int, default=10_000, help="events per document")
    parser.add_argument("--no-helper", action="store_true", help="hash in the worker only")
    parser.add_argument("--timeline", action="store_true", help="the last document's steps")
    args = parser.parse_args()
    benchdb.recreate_database(DB_NAME)
    benchdb.setup_django(
        DB_NAME, "trustlabel-bench-cpu-", TRUSTLABEL_EPCIS_CAPTURE_LIMIT=str(args.events)
    )
    from django.core.management import call_command
    from django.db import connection

    from trustlabel.accounts import actions as accounts
    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import Organisation, User
    from trustlabel.catalog import actions as catalog
    from trustlabel.trace import actions as trace
    from trustlabel.trace import capture
    from trustlabel.trace.models import CaptureJob, read_json

    call_command("migrate", verbosity=0)
    if args.no_helper:
        capture.PIPELINE_FROM = args.events + 1
    org = accounts.do_create_organisation(Organisation.Kind.ENTERPRISE, "基准测试电器有限公司")
    user = accounts.do_create_user("bench", org, role=User.Role.ADMIN, password=None)
    catalog.do_create_product(org, "6901234567892", "变频空调")
    actor = Actor.of_user(user)
    rng = random.Random(20261121)  # the documents of bench/epcis_capture.py
    documents = [
        json.dumps(make_document(rng, args.events, 1 + d % 28)) for d in range(args.documents)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    print("seconds a document: wall (request, worker) | CPU: this process, forked copy, "
          "PostgreSQL, the machine | page faults: this process, forked copy | PostgreSQL "
          "while the worker ran: waiting for a core, idle")  # fmt: skip
    totals = [0.0] * 11
    for text in documents:
        faults_before = faults()
        started, cpu = time.perf_counter(), time.process_time()
        copy, database, machine = children_cpu(), cpu_seconds(backend)[0], machine_cpu()
        with capture.collector_paused():  # as POST /epcis/capture reads the request
            document = read_json(text)
        job = trace.do_start_capture(actor, document, CaptureJob.ErrorBehaviour.ROLLBACK, text)
        requested, (ran, waited) = time.perf_counter(), scheduled(backend)
        last = text is documents[-1]
        with timeline(requested) if args.timeline and last else contextlib.nullcontext() as steps:
            trace.do_run_capture(str(job.pk))
        ended, (ran_after, waited_after) = time.perf_counter(), scheduled(backend)
        faults_after = faults()
        row = [
            ended - started,
            requested - started,
            ended - requested,
            time.process_time() - cpu,
            children_cpu() - copy,
            cpu_seconds(backend)[0] - database,
            machine_cpu() - machine,
            faults_after[0] - faults_before[0],
            faults_after[1] - faults_before[1],
            waited_after - waited,
            (ended - requested) - (ran_after - ran) - (waited_after - waited),
        ]
        totals = [total + value for total, value in zip(totals, row, strict=True)]
        print(format_row(row), flush=True)
    means = [total / args.documents for total in totals]
    print(f"{format_row(means)}  mean: {args.events / means[0]:,.0f} events/s")
    if args.timeline:
        print_timeline(steps)


@contextlib.contextmanager
def timeline(start: float):
    """The steps of a capture job run inside, timed: (seconds from `start`, thread, step,
    "begins" or "ends")."""
    from django.db import connections

    from trustlabel import copying
    from trustlabel.trace import actions, capture

    steps = []

    def timed(owner, name: str, step: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            thread = threading.current_thread().name
            steps.append((time.perf_counter() - start, thread, step, "begins"))
            try:
                return original(*args, **kwargs)
            finally:
                steps.append((time.perf_counter() - start, thread, step, "ends"))

        return mock.patch.object(owner, name, wrapper)

    with (
        timed(actions, "store_document", "store the document"),
        timed(capture._Storing, "add", "a chunk: its lookups asked, its rows made"),
        timed(capture, "_look_up", "lookups"),
        timed(capture, "_received", "waiting for the forked copy's chunk"),
        timed(copying, "send_copies", "COPYs"),
        timed(capture._Storing, "_packed", "containments written back"),
        timed(actions, "index_events", "index_events"),
        timed(actions, "read_json", "the document read"),
        timed(type(connections["default"]), "commit", "commit"),
        timed(actions.CaptureJob, "save", "the job saved"),
    ):
        yield steps


def print_timeline(steps: list[tuple]) -> None:
    """The steps, and the connection's idle time between its statements (the lookups and
    COPYs) while the document was stored."""
    print("\nthe last document, seconds from the end of its request:")
    for at, thread, step, edge in steps:
        print(f"{at:6.3f}  {thread:10} {step} {edge}")
    on_connection = [(at, edge) for at, _, step, edge in steps if step in ("lookups", "COPYs")]
    idle = sum(
        begin - end
        for (end, was), (begin, now) in itertools.pairwise(on_connection)
        if was == "ends" and now == "begins"
    )
    print(f"the connection idle between its statements while storing: {idle:.2f} s")


def format_row(row: list[float]) -> str:
    (wall, request, worker, own, copy, database, machine, own_faults, copy_faults, waiting,
     idle) = row  # fmt: skip
    return (
        f"{wall:5.2f} ({request:4.2f}, {worker:4.2f}) | {own:4.2f} {copy:4.2f} {database:4.2f} "
        f"{machine:4.2f} | {own_faults:7,.0f} {copy_faults:7,.0f} | {waiting:4.2f} {idle:4.2f}"
    )


if __name__ == "__main__":
    main()
