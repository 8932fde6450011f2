"""What each index of the tables capture writes costs PostgreSQL, in CPU time a document.

    .venv/bin/python bench/capture_cpu.py          # fills the database this one reads
    .venv/bin/python bench/index_cost.py [--events 20000] [--rounds 5]

Reads the rows that bench/capture_cpu.py left in `trustlabel_bench_capture_cpu` (those of
its first `--events` events) and COPYs them, table by table, into an empty copy of the
table: with all its indexes, with none, and with all but one, for each index in turn;
each after a checkpoint, each `--rounds` times, in turn. For each: the CPU time of
PostgreSQL's backend (read from /proc, which the machine's pace moves less than wall
time), the median, for 10,000 events. An index's cost is the copy with all of them less
the copy without it. Linux only; nothing is written to docs/benchmarks.md.
"""

import argparse
import statistics

import psycopg
from benchdb import database_exists, database_url
from benchproc import cpu_seconds

DB_NAME = "trustlabel_bench_capture_cpu"
# The tables capture writes, and how their rows belong to the first events.
_FIRST_EVENTS = "(SELECT id FROM trace_event ORDER BY id LIMIT %(events)s)"
TABLES = {
    "trace_event": f"id IN {_FIRST_EVENTS}",
    "trace_eventepc": f"event_id IN {_FIRST_EVENTS}",
    "trace_containment": f"event_id IN {_FIRST_EVENTS}",
    "trace_eventparty": f"event_id IN {_FIRST_EVENTS}",
    "ledger_entry": (
        "kind = 'trace_event' AND id IN "
        "(SELECT id FROM ledger_entry WHERE kind = 'trace_event' ORDER BY id LIMIT %(events)s)"
    ),
}
COPY_TABLE = "bench_index_cost"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="the first events' rows")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not database_exists(DB_NAME):
        raise SystemExit(f"{DB_NAME} is not there: run bench/capture_cpu.py first")
    with psycopg.connect(database_url(DB_NAME), autocommit=True) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        print(f"CPU seconds of PostgreSQL for the rows of 10,000 events ({args.rounds} rounds)")
        for table, rows in TABLES.items():
            data = exported(connection, table, rows % {"events": args.events})
            indexes = connection.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
                [table],
            ).fetchall()
            variants = {"all": [d for _, d in indexes], "none": []}
            for name, _ in indexes:
                variants[f"without {name}"] = [d for n, d in indexes if n != name]
            seconds = {variant: [] for variant in variants}
            for _ in range(args.rounds):
                for variant, definitions in variants.items():
                    seconds[variant].append(copied(connection, backend, table, definitions, data))
            scale = 10_000 / args.events
            median = {v: statistics.median(s) * scale for v, s in seconds.items()}
            print(f"\n{table}: all indexes {median['all']:.3f}, none {median['none']:.3f}")
            for name, _ in indexes:
                print(f"  {name}: {median['all'] - median[f'without {name}']:.3f}")
        connection.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")


def exported(connection, table: str, rows: str) -> bytes:
    with connection.cursor().copy(f"COPY (SELECT * FROM {table} WHERE {rows}) TO STDOUT") as copy:
        return b"".join(bytes(block) for block in copy)


def copied(connection, backend: int, table: str, definitions: list[str], data: bytes) -> float:
    """CPU seconds of the backend to COPY `data` into an empty copy of `table` with these
    indexes (their definitions, as pg_indexes gives them)."""
    connection.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    connection.execute(f"CREATE TABLE {COPY_TABLE} (LIKE {table} INCLUDING DEFAULTS)")
    for definition in definitions:
        # "CREATE [UNIQUE] INDEX name ON public.table USING ...": the same on the copy.
        head, _, rest = definition.partition(f" ON public.{table} ")
        unique = "UNIQUE " if head.startswith("CREATE UNIQUE") else ""
        connection.execute(f"CREATE {unique}INDEX ON {COPY_TABLE} {rest}")
    connection.execute("CHECKPOINT")
    before = cpu_seconds(backend)[0]
    statement = f"COPY {COPY_TABLE} FROM STDIN"
    with connection.transaction(), connection.cursor().copy(statement) as copy:
        copy.write(data)
    return cpu_seconds(backend)[0] - before


if __name__ == "__main__":
    main()
