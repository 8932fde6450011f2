"""Every write of the ledger: queueing a record, and integrating the queue into the tree.

`do_append` runs inside the caller's transaction, so a record is in the log's queue
exactly when the thing it records exists. `do_integrate` (the writer, `trustlabel
ledger_writer`) takes the queue in order, gives each entry its index, stores the tree's
new hashes and signs a checkpoint over the new size, in one transaction.
"""

import hashlib
import json

import orjson
from django.db import connection, transaction
from django.utils import timezone

from . import merkle
from .keys import signer
from .models import Checkpoint, Entry, Head, StoredHash
from .note import Checkpoint as CheckpointText
from .note import sign_checkpoint

RECORD_VERSION = 1
BATCH = 50_000  # entries a transaction at most


def canonical_json(value) -> str:
    """Canonical JSON, as the ledger hashes everything: keys sorted, no spaces, UTF-8;
    numbers as orjson writes them (as Python does, but for the exponent of a number under
    0.0001: 1e-5, not 1e-05). orjson writes a capture's 10,000 events seven times faster
    than the json module; an integer beyond 64 bits, which it cannot write, takes the
    json module."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(value) -> bytes:
    return canonical_json(value).encode()


def canonical_sha256(value) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def record_bytes(kind: str, fields: dict) -> bytes:
    """A record as the log keeps it: canonical JSON, versioned and typed."""
    return canonical_bytes({"v": RECORD_VERSION, "kind": kind, **fields})


def do_append(kind: str, subject: str, fields: dict) -> Entry:
    """Queue one record; the writer integrates it within about a second."""
    return Entry.objects.create(kind=kind, subject=subject, data=record_bytes(kind, fields))


def log_size() -> int:
    """How many entries the log has integrated."""
    return Head.objects.filter(pk=1).values_list("size", flat=True).first() or 0


def read_hashes(indexes) -> list[bytes]:
    """Stored hashes by their stored hash indexes (a merkle.HashReader)."""
    wanted = list(indexes)
    if connection.vendor == "postgresql":
        # One array parameter rather than an IN list of 20 to 60 literals: a proof's read
        # costs PostgreSQL and Django less than half as much (bench/ledger_proof.py).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT index, hash FROM {StoredHash._meta.db_table} WHERE index = ANY(%s)",  # noqa: S608
                [wanted],
            )
            found = dict(cursor.fetchall())
    else:
        found = dict(StoredHash.objects.filter(index__in=wanted).values_list("index", "hash"))
    try:
        return [bytes(found[i]) for i in wanted]
    except KeyError as e:
        raise merkle.ProofError(f"stored hash {e.args[0]} is missing") from None


def do_integrate(limit: int = BATCH) -> Checkpoint | None:
    """Integrate the queued entries (up to `limit`) and sign a checkpoint over the new
    size; None when nothing is queued. One transaction: all of it, or nothing."""
    log_signer = signer()
    with transaction.atomic():
        # Made by migration 0002 (and again here, should a flushed test database lack it).
        head, _created = Head.objects.select_for_update().get_or_create(pk=1)
        pending = list(
            Entry.objects.filter(index__isnull=True)
            .order_by("pk")
            .values_list("pk", "data")[:limit]
        )
        if not pending:
            return None
        size = head.size
        leaves = [merkle.leaf_hash(bytes(data)) for _, data in pending]
        new = merkle.stored_hashes_for_append(size, leaves, read_hashes)
        first = merkle.stored_hash_index(0, size)
        _store_hashes(first, new)
        _number_entries([pk for pk, _ in pending], size)
        head.size = size + len(pending)
        head.save(update_fields=["size"])
        root = merkle.tree_hash(head.size, read_hashes)
        text = CheckpointText(log_signer.name, head.size, root)
        return Checkpoint.objects.create(
            size=head.size, root=root, note=sign_checkpoint(text, log_signer).decode()
        )


def _store_hashes(first: int, hashes: list[bytes]) -> None:
    if connection.vendor != "postgresql":
        StoredHash.objects.bulk_create(
            [StoredHash(index=first + i, hash=h) for i, h in enumerate(hashes)], batch_size=5000
        )
        return
    with connection.cursor() as cursor:
        table = StoredHash._meta.db_table
        with cursor.cursor.copy(f"COPY {table} (index, hash) FROM STDIN") as copy:
            for i, h in enumerate(hashes):
                copy.write_row((first + i, h))


def _number_entries(pks: list[int], first_index: int) -> None:
    """Give the entries their indexes, in queue order."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        entries = [
            Entry(pk=pk, index=first_index + i, integrated_at=now) for i, pk in enumerate(pks)
        ]
        Entry.objects.bulk_update(entries, ["index", "integrated_at"], batch_size=2000)
        return
    table = Entry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET index = n.index, integrated_at = %s "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS n(id, index) "
            f"WHERE {table}.id = n.id",
            [now, pks, list(range(first_index, first_index + len(pks)))],
        )
