"""Crash safety: the writer (`trustlabel ledger_writer`, a separate process) is killed with
SIGKILL at random moments, most of them inside an integration, while records are queued;
after each restart the log must continue from its last signed state. Every checkpoint it
ever showed (in the table or at /ledger/checkpoint) is consistent with every later one,
no two differ at one size, and every acknowledged record ends up in the log once."""

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import Client

from trustlabel.ledger import merkle
from trustlabel.ledger.actions import do_append, log_size, read_hashes
from trustlabel.ledger.models import Checkpoint, Entry, StoredHash
from trustlabel.ledger.note import open_checkpoint, verifier_from_vkey

from .memlog import MemoryLog

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the writer runs in its own process: set DATABASE_URL=postgres://… to run it",
    ),
    pytest.mark.django_db(transaction=True),
]

KILLS = 20
APP_NAME = "trustlabel-crash-test-writer"  # how the writer's connection shows in pg_stat_activity
WAIT = 30  # seconds for anything to happen before the test gives up


def writer_env() -> dict:
    """The writer's environment: our settings on the test database, with the test's key."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    url = (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "trustlabel.settings",
        "DATABASE_URL": url,
        "TRUSTLABEL_LEDGER_KEY": settings.TRUSTLABEL_LEDGER_KEY,
        "PGAPPNAME": APP_NAME,
        "LOG_LEVEL": "ERROR",
    }


def start_writer() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "trustlabel", "ledger_writer", "--interval", "0.1"],
        env=writer_env(),
        stdout=subprocess.DEVNULL,
    )


def writer_state() -> str | None:
    """The writer's connection's state: 'active' or 'idle in transaction' inside an
    integration, 'idle' between two, None before it has connected."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        row = cursor.fetchone()
    return row[0] if row else None


class Appender(threading.Thread):
    """Queues records on its own connection, 20 a transaction, as the platform's actions
    do; a record is acknowledged once its transaction has committed."""

    def __init__(self):
        super().__init__()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: list[int] = []
        self.error: BaseException | None = None

    def run(self):
        n = 0
        try:
            while not self.stop.is_set():
                with transaction.atomic():
                    pks = [do_append("crash", f"crash:{n + k}", {"n": n + k}).pk for k in range(20)]
                with self.lock:
                    self.acknowledged.extend(pks)
                n += 20
                time.sleep(0.002)
        except BaseException as e:
            self.error = e
        finally:
            connections.close_all()  # this thread's connection

    def last(self) -> int:
        with self.lock:
            return self.acknowledged[-1] if self.acknowledged else 0


class Observer:
    """Everything the log showed: checkpoints from the table and from /ledger/checkpoint,
    each size with its root, and the sizes already shown consistent with the next one."""

    def __init__(self):
        self.roots: dict[int, bytes] = {}
        self.verifier = verifier_from_vkey(Client().get("/ledger/key").content.decode().strip())
        self.checked = 0  # sizes up to this one are proven consistent with each other

    def see(self, size: int, root: bytes) -> None:
        assert self.roots.setdefault(size, root) == root, f"two checkpoints at size {size}"

    def poll_http(self) -> None:
        if not Checkpoint.objects.exists():  # nothing to serve yet
            return
        response = Client().get("/ledger/checkpoint")
        text, _note = open_checkpoint(response.content, self.verifier)
        self.see(text.size, text.root_hash)

    def collect(self) -> None:
        self.poll_http()
        for size, root, note in Checkpoint.objects.values_list("size", "root", "note"):
            text, _note = open_checkpoint(note.encode(), self.verifier)
            assert (text.size, text.root_hash) == (size, bytes(root))
            self.see(size, bytes(root))
        # Nothing the log showed has gone from it.
        kept = set(Checkpoint.objects.values_list("size", flat=True))
        assert set(self.roots) <= kept, sorted(set(self.roots) - kept)

    def check_consistency(self) -> None:
        """Each size seen against the next larger one (consistency is transitive, so every
        checkpoint is then consistent with every later one), from the stored hashes."""
        sizes = sorted(self.roots)
        for old, new in itertools.pairwise(sizes):
            if new <= self.checked:
                continue
            proof = merkle.consistency_proof(old, new, read_hashes)
            merkle.verify_consistency(old, new, proof, self.roots[old], self.roots[new])
        self.checked = sizes[-1] if sizes else 0
        # The head is the last signed state, never ahead of it or behind it.
        assert log_size() == (sizes[-1] if sizes else 0)


def wait_until(condition, observer: Observer, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        observer.poll_http()
        time.sleep(0.01)


def integrated_up_to(pk: int) -> bool:
    return not Entry.objects.filter(pk__lte=pk, index__isnull=True).exists()


def test_the_writer_killed_at_random_moments_loses_and_forks_nothing():
    rng = random.Random()
    observer = Observer()
    appender = Appender()
    appender.start()
    mid_batch = 0
    try:
        acknowledged_at_kill = 0
        for _ in range(KILLS):
            writer = start_writer()
            try:
                # The restarted writer continues from the last signed state and catches up
                # with everything acknowledged before the last kill.
                wait_until(lambda: writer_state() is not None, observer, "the writer to start")
                wait_until(
                    lambda pk=acknowledged_at_kill: integrated_up_to(pk), observer, "recovery"
                )
                time.sleep(rng.uniform(0, 0.2))
                # Most kills inside an integration, at a random point of it.
                deadline = time.monotonic() + 1
                while writer_state() != "idle in transaction" and time.monotonic() < deadline:
                    time.sleep(0.001)
                time.sleep(rng.uniform(0, 0.01))
                state = writer_state()
            finally:
                writer.send_signal(signal.SIGKILL)
                writer.wait()
            mid_batch += state in ("active", "idle in transaction")
            # Its backend may still be finishing a statement (even the commit): look once
            # PostgreSQL has seen the connection go.
            wait_until(lambda: writer_state() is None, observer, "the writer's connection to end")
            acknowledged_at_kill = appender.last()
            assert appender.error is None, appender.error
            observer.collect()
            observer.check_consistency()
    finally:
        appender.stop.set()
        appender.join()
    assert appender.error is None, appender.error
    assert mid_batch >= KILLS // 2, f"only {mid_batch} of {KILLS} kills hit an integration"

    # Once a writer catches up, every acknowledged record is in the log exactly once.
    writer = start_writer()
    try:
        wait_until(lambda: integrated_up_to(appender.last()), observer, "the last integration")
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    wait_until(lambda: writer_state() is None, observer, "the writer's connection to end")
    observer.collect()
    observer.check_consistency()
    size = log_size()
    indexes = dict(Entry.objects.values_list("pk", "index"))
    assert len(indexes) == size == max(observer.roots)
    assert sorted(indexes.values()) == list(range(size))
    assert all(indexes[pk] is not None for pk in appender.acknowledged)
    assert StoredHash.objects.count() == merkle.stored_hash_count(size)
    # The final tree is the records' tree, and every checkpoint shown is a prefix of it.
    memory = MemoryLog()
    memory.append(
        [bytes(d) for d in Entry.objects.order_by("index").values_list("data", flat=True)]
    )
    final = observer.roots[size]
    assert memory.root() == final
    for old, root in observer.roots.items():
        proof = merkle.consistency_proof(old, size, read_hashes)
        merkle.verify_consistency(old, size, proof, root, final)
    assert len(observer.roots) > KILLS
