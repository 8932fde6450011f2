"""Verification over HTTP against pgbench running the same SQL: `POST /api/v1/verify`.

    .venv/bin/python bench/verify_http.py                       # about three minutes
    .venv/bin/python bench/verify_http.py --compare-unprepared  # and without prepared statements

Needs `wrk` (Debian package wrk) and `pgbench` (postgresql-client), and PostgreSQL at
127.0.0.1:5432 as in the CI. From a clean checkout it:

1. drops and recreates the PostgreSQL database `trustlabel_bench`, migrates it, makes the
   demo data and one open label order of `--codes` codes, and writes those codes, shuffled;
2. checks one code through Django's test client with every SQL statement captured, and
   turns the statements into a pgbench script: Django's connection health check first,
   the serial and the client address as pgbench variables, BEGIN/COMMIT around them when the
   view ran them in a transaction, `-M prepared` when the view had them prepared;
3. starts gunicorn (DEBUG off, rate limits out of the way, one trusted proxy so that each
   request comes from one of many consumer addresses in X-Forwarded-For);
4. in each of `--rounds` rounds, drives `wrk` at each of `--connections` for `--duration`
   seconds, POSTing JSON bodies that cycle over the codes, then runs pgbench with the
   captured statements, as many clients as the best wrk runs had connections, for as long,
   against the same database; the medians over the rounds are the sustained rates (the
   alternation makes a slower spell of a shared machine fall on both sides);
5. offers half the measured rate at a constant pace from a separate process (open loop:
   latency counts from when a request was due, not from when it could be sent) and takes
   the 95th percentile;
6. reads the CPU time of the app server, PostgreSQL and the load generator from /proc
   during the runs, prints markdown tables and writes them to docs/benchmarks.md under
   '## Verification over HTTP'.

All load goes to 127.0.0.1 and every run is bounded in time.
"""

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchdoc import DOC, write_section

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADING = "## Verification over HTTP"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "trustlabel_bench"
BENCH_ENV = [
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "TRUSTLABEL_MASTER_KEY",
    "ALLOWED_HOSTS",
    "TRUSTLABEL_VAR_DIR",
    "TRUSTLABEL_BASE_URL",
    "TRUSTLABEL_NUM_PROXIES",
    "TRUSTLABEL_RATE_PER_CLIENT",
    "TRUSTLABEL_RATE_PER_CODE",
    "LOG_LEVEL",
]
FRESH = 8  # codes kept fresh for the servers' first checks
CLIENT_ADDRESSES = 5000  # distinct consumer addresses the load comes from

NOTES = """\
Before (2026-11-21, 10 s runs on this machine): a check through the ORM, five statements in
a transaction (rate limit, order, running totals, inspection reports, scan log), reached 192
checks/s, and pgbench 1,130 transactions/s running them with a key-version query (17%).

How a check runs now: on PostgreSQL, `verify()` checks a code whose MAC is right with one
statement (data-modifying CTEs: the rate-limit upsert, the order with its product, enterprise
and lot, the running totals with the copy flag, the verdict, the scan-log insert and the
lot's inspection reports) in autocommit, so a check costs the connection's health check
(`SELECT 1`) and one round trip; the code is opened with integers instead of numpy arrays
of one. Both statements are prepared once per connection (planning the check costs
PostgreSQL about three times as much as running it) and go straight to libpq through
psycopg's `pq` interface, parameters as text and the row loaded by psycopg's own loaders:
the cursor layers of Django and psycopg cost a check more CPU than the round trip. When
queries are logged or wrapped (DEBUG, tests that count queries, this script capturing the
statement) the same statement goes through Django's cursor instead. The order, product,
enterprise and lot rows come back as JSON text, each distinct text loaded into a model
instance once per worker; pydantic writes the answer's JSON (the API's renderer writes the
same bytes); `POST /api/v1/verify` skips Django's request cycle (`verify/fastpath.py`).
`DB_PREPARED_STATEMENTS=false` (for a pooler in transaction mode that cannot keep prepared
statements) sends the statement unprepared, planned at every check.

Reading the ratio: pgbench runs the same statements with the same protocol as the app
(prepared or simple), so the ratio says how much of a check's cost is the database's own.
With the statement prepared, the database's share is small and the app server's CPU per
check (gunicorn, Django, django-ninja, psycopg and the check itself; see the CPU table),
on the same two cores as PostgreSQL, is what bounds the HTTP rate. Without prepared
statements both sides also pay for planning, which lifts the ratio and lowers the checks
per second; the default stays the faster configuration.
"""

WRK_SCRIPT = r"""
-- POST /api/v1/verify, cycling over the codes file; each thread starts elsewhere in it.
-- Each request comes from one of CLIENTS consumer addresses through one trusted proxy.
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  codes = {}
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  clients = tonumber(args[2])
  pos = (tonumber(args[3]) + tid * 104729) % #codes
  headers = {["Content-Type"] = "application/json"}
end

function request()
  pos = pos % #codes + 1
  local c = pos % clients
  headers["X-Forwarded-For"] = "10." .. math.floor(c / 250) .. "." .. (c % 250) .. ".1"
  return wrk.format("POST", "/api/v1/verify", headers, '{"code":"' .. codes[pos] .. '"}')
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT {\"requests\": %d, \"duration_us\": %d, \"non2xx\": %d, \"socket_errors\": %d, "
      .. "\"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def find_tool(name: str, hint: str) -> str:
    path = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if path is None:
        sys.exit(f"{name} is not installed: {hint}")
    return path


# --- setup: runs in a child process with Django configured ------------------------------


def setup_data(out_dir: Path, quantity: int) -> None:
    """Demo data, one big label order, its codes, and the statements one check runs."""
    import django

    django.setup()
    import numpy as np
    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from trustlabel.accounts.access import Actor
    from trustlabel.accounts.models import User
    from trustlabel.catalog.models import Product
    from trustlabel.codes import actions as codes
    from trustlabel.codes.codec import digits_to_text
    from trustlabel.codes.keys import code_key
    from trustlabel.trace import actions as trace

    call_command("demo", "--json", stdout=open(os.devnull, "w"))  # noqa: SIM115
    admin = User.objects.get(username="demo-enterprise")
    product = Product.objects.get(gtin="06901234567892")
    actor = Actor.of_user(admin)
    order = codes.do_create_label_order(actor, product, product.lots.first(), quantity, "open")
    trace.do_commission_order(actor, order)  # labels on products: active
    key = code_key(order.key_version)
    serials = np.arange(order.serial_start, order.serial_end, dtype=np.uint64)
    texts = digits_to_text(key.code_digits(serials))
    probe_serial = order.serial_end - 1
    probe = texts.pop()  # checked below to capture the statements; not in the load
    warm = texts.pop()  # checked first, so that the capture sees a warm process
    # Kept out of the load and out of pgbench's serials: one to check that the server
    # calls a fresh code genuine, for each configuration measured.
    (out_dir / "fresh.txt").write_text("".join(texts.pop() + "\n" for _ in range(FRESH)))
    order_of_use = np.random.default_rng(20260301).permutation(len(texts))
    (out_dir / "codes.txt").write_text("".join(texts[i] + "\n" for i in order_of_use))

    statements, in_transaction, prepared = [], [], []

    def capture(execute, sql, params, many, context):
        in_transaction.append(connection.in_atomic_block)
        # Django binds parameters in the client and sends plain SQL (pgbench -M simple),
        # unless a statement asks for a server-side prepared one (pgbench -M prepared).
        prepared.append(
            not isinstance(context["cursor"], psycopg.ClientCursor)
            and connection.connection.prepare_threshold is not None
        )
        result = execute(sql, params, many, context)
        statements.append(connection.ops.compose_sql(sql, params))  # values as literals
        return result

    probe_ip = "10.0.0.1"
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=probe_ip)
    client.post("/api/v1/verify", {"code": warm}, content_type="application/json")
    with connection.execute_wrapper(capture):
        response = client.post("/api/v1/verify", {"code": probe}, content_type="application/json")
    if response.status_code != 200 or response.json()["verdict"] != "genuine":
        sys.exit(f"the probe check failed: {response.status_code} {response.content[:300]!r}")
    from trustlabel.verify.core import requester_hash

    # Django checks a kept connection before a request's first query, outside the cursor
    # wrappers: `SELECT 1` (is_usable), when CONN_HEALTH_CHECKS is on.
    health_check = ["SELECT 1"] if connection.settings_dict["CONN_HEALTH_CHECKS"] else []
    script = pgbench_script(
        health_check,
        statements,
        any(in_transaction),
        serial=probe_serial,
        lo=order.serial_start,
        hi=order.serial_end - 3 - FRESH,
        ip_hash=requester_hash(probe_ip),
    )
    (out_dir / "verify.pgbench").write_text(script)
    (out_dir / "setup.json").write_text(
        json.dumps(
            {
                "statements": len(statements),
                "health_check": bool(health_check),
                "transaction": any(in_transaction),
                "mode": "prepared" if any(prepared) else "simple",
            }
        )
    )


def pgbench_script(
    before: list[str],
    statements: list[str],
    transaction: bool,
    *,
    serial: int,
    lo: int,
    hi: int,
    ip_hash: str,
) -> str:
    """The captured statements with the code's serial and the client as pgbench variables.

    What a check derives from them in Python (the code's hash in the rate-limit bucket, the
    keyed hash of the client address) is derived in SQL from the same variables instead.
    """
    lines = [
        "-- One check as POST /api/v1/verify runs it, captured by bench/verify_http.py.",
        f"\\set serial random({lo}, {hi})",
        f"\\set client random(0, {CLIENT_ADDRESSES - 1})",
        *(sql + ";" for sql in before),
    ]
    if transaction:
        lines.append("BEGIN;")
    serial_re = re.compile(rf"(?<![\w.:'-]){serial}(?![\w.'])")
    code_hash_re = re.compile(r"'code:[0-9a-f]{32}'")
    for sql in statements:
        sql = " ".join(sql.split())
        sql = code_hash_re.sub("('code:' || md5(CAST(:serial AS text)))", sql)
        sql = sql.replace(ip_hash, "' || substr(md5(CAST(:client AS text)), 1, 16) || '")
        sql = serial_re.sub(":serial", sql)
        lines.append(sql + ";")
    if transaction:
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


# --- constant-rate load: runs in a child process ----------------------------------------


def paced_load(
    port: int, rate: float, duration: float, codes_path: Path, out: Path, start_at: int
) -> None:
    """Offer `rate` requests a second, evenly spaced, whatever the server does (open loop).

    Latency runs from when a request was due to when its response was read, so a server
    that falls behind is charged for the queue it builds (no coordinated omission)."""
    codes = codes_path.read_text().split()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def one(i: int, due: float) -> None:
        code = codes[(start_at + i) % len(codes)]
        c = i % CLIENT_ADDRESSES
        body = f'{{"code":"{code}"}}'.encode()
        head = (
            f"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Forwarded-For: 10.{c // 250}.{c % 250}.1\r\n\r\n"
        ).encode()
        status = 0
        for _attempt in range(2):
            reader, writer = (
                idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            )
            try:
                writer.write(head + body)
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, close = 0, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "connection" and "close" in value.lower():
                        close = True
                await reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                continue  # a kept-alive connection the server had closed: once more
            if close:
                writer.close()
            else:
                idle.append((reader, writer))
            break
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1

    async def main() -> None:
        interval = 1 / rate
        total = int(rate * duration)
        tasks = []
        t0 = time.perf_counter() + 0.1
        for i in range(total):
            due = t0 + i * interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(i, due)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
        elapsed = time.perf_counter() - t0

        latencies.sort()
        out.write_text(
            json.dumps(
                {
                    "offered_rate": rate,
                    "requests": len(latencies),
                    "achieved_rate": len(latencies) / elapsed,
                    "statuses": statuses,
                    "p50_ms": 1000 * latencies[len(latencies) // 2],
                    "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
                    "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
                    "mean_ms": 1000 * statistics.fmean(latencies),
                }
            )
        )

    asyncio.run(main())


# --- the run ------------------------------------------------------------------------------


def run(cmd: list[str], env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, text=True, **kw)


def reset_database(db_url: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn exited at start; see its output above")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start listening in time")


def check_once(port: int, code: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/verify",
        data=json.dumps({"code": code}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": "10.99.99.1"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


class CpuSampler(threading.Thread):
    """CPU time used during a run, by kind of process: the app server (gunicorn and its
    workers), PostgreSQL's backends for the benchmark database, PostgreSQL's shared
    background processes, and the load generator (wrk or pgbench). /proc is read four times
    a second, so processes that come and go within the run are counted too."""

    def __init__(self, server_pid: int | None = None):
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.first: dict[int, int] = {}
        self.last: dict[int, tuple[str, int]] = {}
        self.done = threading.Event()
        self._sample(initial=True)

    def _kind(self, pid: int, ppid: int, comm: str, cmdline: bytes) -> str | None:
        if self.server_pid and self.server_pid in (pid, ppid):
            return "app"
        if comm in ("wrk", "pgbench"):
            return "client"
        if cmdline.startswith(b"postgres: "):
            if f" {DB_NAME} ".encode() in cmdline:
                return "db"
            if b"(" not in cmdline and b"[local]" not in cmdline:
                return "db_background"
        return None

    def _sample(self, initial: bool = False) -> None:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            pid = int(stat.parent.name)
            comm = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            kind = self._kind(pid, int(fields[1]), comm, cmdline)
            if kind is None:
                continue
            ticks = int(fields[11]) + int(fields[12])
            if initial:
                self.first[pid] = ticks
            self.last[pid] = (kind, ticks)

    def run(self) -> None:
        while not self.done.wait(0.25):
            self._sample()

    def stop(self, events: int) -> dict[str, float]:
        """Microseconds of CPU per event (check or transaction), by kind."""
        self.done.set()
        self.join()
        self._sample()
        per_kind: dict[str, float] = {}
        for pid, (kind, ticks) in self.last.items():
            used = ticks - self.first.get(pid, 0)
            per_kind[kind] = per_kind.get(kind, 0) + used
        tick = os.sysconf("SC_CLK_TCK")
        return {k: v / tick * 1e6 / max(events, 1) for k, v in per_kind.items()}


def _mean_cpu(runs: list[dict[str, float]]) -> dict[str, float]:
    kinds = {k for run in runs for k in run}
    return {k: statistics.mean(run.get(k, 0.0) for run in runs) for k in kinds}


def wrk_run(wrk, port: int, connections: int, threads: int, duration: int, work: Path, offset):
    out = run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(work / "verify.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            str(work / "codes.txt"),
            str(CLIENT_ADDRESSES),
            str(offset),
        ],
        capture_output=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["connections"] = connections
    return result


def pgbench_run(pgbench, db_url, mode: str, clients: int, threads: int, duration: int, work):
    out = run(
        [
            pgbench,
            "-n",
            "-M",
            mode,
            "-f",
            str(work / "verify.pgbench"),
            "-c",
            str(clients),
            "-j",
            str(threads),
            "-T",
            str(duration),
            db_url,
        ],
        capture_output=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    if match is None or done is None:
        sys.exit("could not read pgbench's output:\n" + out)
    return {
        "tps": float(match.group(1)),
        "transactions": int(done.group(1)),
        "failed": int(failed.group(1)) if failed else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", default=f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
    parser.add_argument("--codes", type=int, default=300_000, help="codes in the label order")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of wrk, then pgbench")
    parser.add_argument("--connections", default="8", help="wrk connections to try, e.g. 8,16")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads (gthread)")
    parser.add_argument("--port", type=int, default=8631)
    parser.add_argument(
        "--compare-unprepared",
        action="store_true",
        help="also measure with DB_PREPARED_STATEMENTS=false (pgbench -M simple)",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--setup-only", action="store_true", help="make the database and work directory, then stop"
    )
    parser.add_argument("--_setup", help=argparse.SUPPRESS)
    parser.add_argument("--_paced", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args._setup:
        setup_data(Path(args._setup), args.codes)
        return
    if args._paced:
        rate, duration, codes_path, out, start = args._paced
        paced_load(args.port, float(rate), float(duration), Path(codes_path), Path(out), int(start))
        return

    wrk = find_tool("wrk", "install it with `apt-get install -y wrk` (Debian package wrk)")
    pgbench = find_tool(
        "pgbench", "install it with `apt-get install -y postgresql-client` (it ships pgbench)"
    )
    if not args.db_url.endswith("/" + DB_NAME):
        sys.exit(f"--db-url must name the database {DB_NAME}: this script drops it first")
    work = Path(tempfile.mkdtemp(prefix="trustlabel-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trustlabel.settings",
        "DATABASE_URL": args.db_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_hex(32),
        "TRUSTLABEL_MASTER_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "TRUSTLABEL_VAR_DIR": str(work / "var"),
        "TRUSTLABEL_BASE_URL": f"http://127.0.0.1:{args.port}",
        "TRUSTLABEL_NUM_PROXIES": "1",
        "TRUSTLABEL_RATE_PER_CLIENT": str(10**9),
        "TRUSTLABEL_RATE_PER_CODE": str(10**9),
        "LOG_LEVEL": "WARNING",
    }
    load_before = os.getloadavg()[0]
    log(f"resetting database {DB_NAME}; work directory {work}")
    reset_database(args.db_url)
    run([str(BIN / "trustlabel"), "migrate", "--no-input", "-v", "0"], env=env)
    log(f"demo data and a label order of {args.codes} codes")
    run(
        [sys.executable, __file__, "--_setup", str(work), "--codes", str(args.codes)],
        env=env,
        cwd=ROOT,
    )
    setup = json.loads((work / "setup.json").read_text())
    if args.keep or args.setup_only:  # a throwaway database: its keys may sit beside it
        (work / "env.sh").write_text(
            "".join(f"export {k}={v}\n" for k, v in env.items() if k in BENCH_ENV)
        )
    if args.setup_only:
        log(f"set up; environment in {work / 'env.sh'}")
        return
    (work / "verify.lua").write_text(WRK_SCRIPT)
    codes = (work / "codes.txt").read_text().split()
    log(
        f"one check runs {setup['statements']} SQL statements"
        f"{' in a transaction' if setup['transaction'] else ''}; pgbench script:\n"
        + (work / "verify.pgbench").read_text()
    )

    configurations = [("prepared statements (default)", {})]
    if args.compare_unprepared:
        configurations.append(("DB_PREPARED_STATEMENTS=false", {"DB_PREPARED_STATEMENTS": "false"}))
    rows = []
    for number, (label, extra_env) in enumerate(configurations):
        mode = setup["mode"] if not extra_env else "simple"
        log(f"--- {label}: the server's statements and pgbench -M {mode}")
        rows.append(
            (label, measure(args, {**env, **extra_env}, work, codes, mode, number, wrk, pgbench))
        )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    command = "    .venv/bin/python bench/verify_http.py" + (
        "" if sys.argv[1:] == [] else " " + " ".join(sys.argv[1:])
    )
    server_desc = f"gunicorn, {args.workers} {args.worker_class} workers" + (
        f" × {args.threads} threads" if args.threads > 1 else ""
    )
    table = (
        "| configuration | HTTP checks/s (wrk) | pgbench tps, same SQL | ratio "
        "| p95 at half rate |\n|---|---:|---:|---:|---:|\n"
    )
    for label, r in rows:
        table += (
            f"| {label} | {r['rate']:.0f} | {r['tps']:.0f} (-M {r['mode']}) | "
            f"{r['ratio']:.0%} | {r['p95_ms']:.1f} ms |\n"
        )
    table += "\nRound by round (checks/s against pgbench tps):\n\n"
    for label, r in rows:
        rounds = ", ".join(
            f"{rate:.0f}/{tps:.0f} ({rate / tps:.0%})"
            for rate, tps in zip(r["rates"], r["tpss"], strict=True)
        )
        table += f"- {label}: {rounds}\n"
    table += (
        "\nCPU time per check (HTTP) or transaction (pgbench), in µs, measured from /proc "
        "during the runs above:\n\n| configuration | run | app server | PostgreSQL backends "
        "| PostgreSQL background | load generator |\n|---|---|---:|---:|---:|---:|\n"
    )
    for label, r in rows:
        for run_name, cpu in (("HTTP", r["http_cpu"]), ("pgbench", r["pgbench_cpu"])):
            cells = " | ".join(
                f"{cpu[k]:.0f}" if k in cpu else "–"
                for k in ("app", "db", "db_background", "client")
            )
            table += f"| {label} | {run_name} | {cells} |\n"
    first = rows[0][1]
    met = first["ratio"] >= 0.35 and first["p95_ms"] < 50
    health = "Django's connection health check (`SELECT 1`) and " if setup["health_check"] else ""
    statements = (
        "the one statement"
        if setup["statements"] == 1
        else f"the {setup['statements']} statements"
        + (" (in one transaction)" if setup["transaction"] else "")
    )
    section = (
        f"{HEADING}\n\n"
        f"`POST /api/v1/verify` on {server_desc}, DEBUG off, PostgreSQL 15 with "
        f"`synchronous_commit` on, all on the same 2-core machine. Load from `wrk` on "
        f"loopback ({first['connections']} connections, {args.rounds} rounds of "
        f"{args.duration} s alternating with pgbench, medians, fresh codes from "
        f"{CLIENT_ADDRESSES} consumer addresses behind one trusted proxy); `pgbench` runs "
        f"{health}{statements} one check runs, captured from the "
        f"view with the serial and client random, with as many clients for as long, in the "
        f"same run; then half the HTTP rate is offered at a constant pace (open loop) for "
        f"{args.duration} s. Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"load average {load_before:.1f} before it started (other work on the machine):"
        f"\n\n{table}\n"
        f"Goal (at least 35% of pgbench, p95 under 50 ms at half rate): "
        f"{'met' if met else 'not met'} in the default configuration. Reproduce (needs `wrk` "
        f"and `pgbench`; drops and recreates the database `{DB_NAME}`):\n\n{command}\n"
    )
    section += "\n" + NOTES
    print()
    print(section)
    if not args.no_doc:
        write_section(HEADING, section + "\n")
        log(f"written to {DOC.relative_to(ROOT)}")


def measure(args, env, work, codes, mode, number, wrk, pgbench) -> dict:
    """One server configuration: wrk at each connection count, pgbench, the paced run."""
    gunicorn_cmd = [
        str(BIN / "gunicorn"),
        "trustlabel.wsgi",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--preload",
        "--log-level",
        "warning",
    ]
    log("starting: " + " ".join(gunicorn_cmd[1:]))
    server = subprocess.Popen(gunicorn_cmd, env=env, cwd=work, start_new_session=True)
    offset = number * len(codes) // 3  # each configuration checks codes of its own
    try:
        wait_for_port(args.port, server)
        first = check_once(args.port, (work / "fresh.txt").read_text().split()[number])
        if first["verdict"] != "genuine":
            sys.exit(f"a fresh code was not called genuine over HTTP: {first}")
        connections = [int(c) for c in args.connections.split(",")]
        log("warming up for 5 s")
        wrk_run(wrk, args.port, max(connections), args.wrk_threads, 5, work, offset)
        # Rounds alternate wrk and pgbench, so that a slower spell of a shared machine
        # falls on both; each side's median is its rate.
        http: dict[int, list[dict]] = {c: [] for c in connections}
        benches = []
        for round_number in range(args.rounds):
            for i, c in enumerate(connections):
                sampler = CpuSampler(server.pid)
                sampler.start()
                start = offset + (round_number * len(connections) + i) * 20_000
                result = wrk_run(wrk, args.port, c, args.wrk_threads, args.duration, work, start)
                result["cpu"] = sampler.stop(result["requests"])
                log(
                    f"round {round_number + 1}, wrk -c{c}: {result['rate']:.0f} checks/s, "
                    f"p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} "
                    f"ms, non-2xx {result['non2xx']}, socket errors {result['socket_errors']}"
                )
                if result["non2xx"] or result["socket_errors"]:
                    sys.exit("the HTTP run had errors; not a valid measurement")
                http[c].append(result)
            best_c = max(connections, key=lambda c: statistics.median(r["rate"] for r in http[c]))
            sampler = CpuSampler()
            sampler.start()
            bench = pgbench_run(pgbench, args.db_url, mode, best_c, 2, args.duration, work)
            bench["cpu"] = sampler.stop(bench["transactions"])
            log(
                f"round {round_number + 1}, pgbench -M {mode} -c{best_c}: {bench['tps']:.0f} tps, "
                f"failed {bench['failed']}"
            )
            if bench["failed"]:
                sys.exit("pgbench had failed transactions; not a valid measurement")
            benches.append(bench)
        best = {
            "rate": statistics.median(r["rate"] for r in http[best_c]),
            "rates": [r["rate"] for r in http[best_c]],
            "connections": best_c,
            "cpu": _mean_cpu([r["cpu"] for r in http[best_c]]),
        }
        bench = {
            "tps": statistics.median(b["tps"] for b in benches),
            "tpss": [b["tps"] for b in benches],
            "cpu": _mean_cpu([b["cpu"] for b in benches]),
        }

        half = best["rate"] / 2
        log(f"constant {half:.0f} checks/s for {args.duration} s")
        paced_out = work / "paced.json"
        run(
            [
                sys.executable,
                __file__,
                "--port",
                str(args.port),
                "--_paced",
                f"{half:.1f}",
                str(args.duration),
                str(work / "codes.txt"),
                str(paced_out),
                str(offset + len(codes) // 6),
            ],
            cwd=ROOT,
        )
        paced = json.loads(paced_out.read_text())
        log(
            f"paced: {paced['achieved_rate']:.0f}/s achieved, p50 {paced['p50_ms']:.1f} ms, "
            f"p95 {paced['p95_ms']:.1f} ms, p99 {paced['p99_ms']:.1f} ms, "
            f"statuses {paced['statuses']}"
        )
        if set(paced["statuses"]) != {"200"}:
            sys.exit("the paced run had errors; not a valid measurement")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    log(
        "CPU per check over HTTP: "
        + ", ".join(f"{k} {v:.0f} µs" for k, v in sorted(best["cpu"].items()))
        + "; per pgbench transaction: "
        + ", ".join(f"{k} {v:.0f} µs" for k, v in sorted(bench["cpu"].items()))
    )
    return {
        "rate": best["rate"],
        "rates": best["rates"],
        "connections": best["connections"],
        "tps": bench["tps"],
        "tpss": bench["tpss"],
        "mode": mode,
        "ratio": best["rate"] / bench["tps"],
        "p95_ms": paced["p95_ms"],
        "http_cpu": best["cpu"],
        "pgbench_cpu": bench["cpu"],
    }


if __name__ == "__main__":
    main()
