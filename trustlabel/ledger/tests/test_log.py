"""The log kept in the database and served over HTTP, checked the way an outsider would:
with the published key, the standard formats and the stand-alone verifier."""

import base64

import pytest
from django.db import transaction
from django.test import Client

from trustlabel.ledger import merkle
from trustlabel.ledger.actions import do_append, do_integrate, read_hashes
from trustlabel.ledger.keys import LedgerNotConfigured
from trustlabel.ledger.models import Checkpoint, Entry, Head, StoredHash
from trustlabel.ledger.note import open_checkpoint, verifier_from_vkey
from trustlabel.ledger.verify import VerificationError, verify_entry

from .memlog import MemoryLog

pytestmark = pytest.mark.django_db


def append(count: int, start: int = 0) -> list[Entry]:
    return [do_append("test", f"test:{i}", {"n": i}) for i in range(start, start + count)]


def published_key() -> str:
    return Client().get("/ledger/key").content.decode().strip()


def test_entries_get_their_indexes_in_queue_order_under_a_signed_checkpoint():
    entries = append(300)
    checkpoint = do_integrate()
    assert checkpoint.size == 300
    assert [e.index for e in Entry.objects.order_by("pk")] == list(range(300))
    served = Client().get("/ledger/checkpoint")
    assert served["Content-Type"].startswith("text/plain")
    text, _note = open_checkpoint(served.content, verifier_from_vkey(published_key()))
    assert (text.origin, text.size) == ("verify.example.org/ledger", 300)
    # The same tree as an independent in-memory log of the same records.
    memory = MemoryLog()
    memory.append([bytes(e.data) for e in entries])
    assert text.root_hash == memory.root()
    assert do_integrate() is None  # nothing queued: no new checkpoint


def test_batches_grow_one_tree_and_stay_consistent():
    append(5)
    first = do_integrate()
    append(700, start=5)
    second = do_integrate(limit=400)
    third = do_integrate()
    assert (first.size, second.size, third.size) == (5, 405, 705)
    for old, new in ((first, second), (second, third), (first, third)):
        answer = Client().get(f"/ledger/consistency?old={old.size}&new={new.size}").json()
        proof = [base64.b64decode(h) for h in answer["proof"]]
        merkle.verify_consistency(old.size, new.size, proof, bytes(old.root), bytes(new.root))


def test_every_entry_has_a_proof_bundle_the_offline_verifier_accepts():
    entries = append(40)
    do_integrate()
    key = published_key()
    for entry in (entries[0], entries[17], entries[39]):
        entry.refresh_from_db()
        bundle = Client().get(f"/ledger/entries/{entry.index}/proof")
        assert bundle["Content-Disposition"].endswith(f'trustlabel-{entry.index}.tlog-proof"')
        record = Client().get(f"/ledger/entries/{entry.index}").content
        assert record == bytes(entry.data)
        assert verify_entry(bundle.content, record, key).index == entry.index
        with pytest.raises(VerificationError):
            verify_entry(bundle.content, record.replace(b'"n":', b'"m":'), key)


def test_a_changed_stored_hash_is_caught_by_the_verifier():
    entries = append(64)
    do_integrate()
    entry = Entry.objects.get(pk=entries[5].pk)
    sibling = merkle.stored_hash_index(0, 4)  # the proof's first hash for index 5
    StoredHash.objects.filter(index=sibling).update(hash=b"\x00" * 32)
    bundle = Client().get(f"/ledger/entries/{entry.index}/proof").content
    with pytest.raises(VerificationError):
        verify_entry(bundle, bytes(entry.data), published_key())


def test_tiles_are_served_as_the_tlog_tiles_layout_says():
    entries = append(300)
    do_integrate()
    memory = MemoryLog()
    memory.append([bytes(e.data) for e in entries])
    full = Client().get("/ledger/tile/0/000")
    assert full["Cache-Control"].endswith("immutable")
    assert full.content == memory.read_tiles([merkle.Tile(0, 0, 256)])[0]
    partial = Client().get("/ledger/tile/0/001.p/44")
    assert partial.content == memory.read_tiles([merkle.Tile(0, 1, 44)])[0]
    assert (
        Client().get("/ledger/tile/1/000.p/1").content
        == memory.read_tiles([merkle.Tile(1, 0, 1)])[0]
    )
    bundle = Client().get("/ledger/tile/entries/001.p/44").content
    first = bytes(entries[256].data)
    assert bundle[:2] == len(first).to_bytes(2, "big") and bundle[2 : 2 + len(first)] == first
    for missing in ("0/001", "0/001.p/45", "0/002.p/1", "1/000", "0/1", "0/000.p/256"):
        assert Client().get(f"/ledger/tile/{missing}").status_code == 404, missing


def test_a_failed_integration_leaves_the_log_as_it_was():
    """What a crash between any two writes does: the transaction is undone, the queue
    keeps every entry, and the next integration makes the same tree."""
    append(10)
    do_integrate()
    append(10, start=10)
    with pytest.raises(RuntimeError), transaction.atomic():
        do_integrate()
        raise RuntimeError("the writer dies before its commit")
    assert Head.objects.get(pk=1).size == 10
    assert Entry.objects.filter(index__isnull=True).count() == 10
    assert do_integrate().size == 20
    memory = MemoryLog()
    memory.append([bytes(e.data) for e in Entry.objects.order_by("index")])
    assert merkle.tree_hash(20, read_hashes) == memory.root()
    assert bytes(Checkpoint.objects.get(size=20).root) == memory.root()


def test_without_a_key_nothing_is_signed(settings):
    settings.TRUSTLABEL_LEDGER_KEY = None
    append(1)
    with pytest.raises(LedgerNotConfigured):
        do_integrate()
    assert Client().get("/ledger/key").status_code == 404
    assert Client().get("/ledger/checkpoint").status_code == 404


@pytest.mark.parametrize("query", ["", "?old=1", "?old=x&new=2", "?old=3&new=2", "?old=0&new=99"])
def test_a_bad_consistency_question_is_answered_with_a_reason(query):
    append(3)
    do_integrate()
    answer = Client().get(f"/ledger/consistency{query}")
    assert answer.status_code == 400 and answer.json()["detail"]


def test_the_writer_command_integrates_and_says_what_is_missing(settings):
    from django.core.management import CommandError, call_command

    append(3)
    call_command("ledger_writer", "--once")
    assert Head.objects.get(pk=1).size == 3
    settings.TRUSTLABEL_LEDGER_KEY = None
    with pytest.raises(CommandError, match="TRUSTLABEL_LEDGER_KEY"):
        call_command("ledger_writer", "--once")
