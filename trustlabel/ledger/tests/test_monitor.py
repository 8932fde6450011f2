"""The monitor against the log served over HTTP: quiet while the log only grows, an alarm
(exit 1, the reason on stderr, the evidence kept) for a rewritten history, a log that
shrank, a split view, or an altered tile or checkpoint."""

import pytest

from trustlabel.ledger import merkle, monitor
from trustlabel.ledger.actions import do_append, do_integrate
from trustlabel.ledger.keys import signer
from trustlabel.ledger.models import Checkpoint, Entry, Head, StoredHash
from trustlabel.ledger.witnessing import request_cosignatures

from .test_witness import WitnessProcess, unused_port_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def head():
    # A transactional test empties the tables after itself, the migration's row included.
    Head.objects.get_or_create(pk=1, defaults={"size": 0})


@pytest.fixture
def run(live_server, tmp_path, capsys):
    state = tmp_path / "monitor.checkpoint"

    def run(*extra: str, url: str = f"{live_server.url}/ledger") -> tuple[int, str, str]:
        status = monitor.main(
            [url, "--key", signer().vkey, "--state", str(state), "--once", *extra]
        )
        out, err = capsys.readouterr()
        return status, out, err

    run.state = state
    return run


def grow(count: int, tag: str = "a") -> Checkpoint:
    start = Head.objects.get(pk=1).size
    for i in range(start, start + count):
        do_append("test", f"test:{i}", {"n": i, "tag": tag})
    return do_integrate()


def rewrite_history(size: int) -> Checkpoint:
    """What an operator who wanted to change the past would do: rebuild the log with other
    entries and sign it with the same key."""
    Entry.objects.all().delete()
    StoredHash.objects.all().delete()
    Checkpoint.objects.all().delete()
    Head.objects.update(size=0)
    return grow(size, tag="rewritten")


def test_it_follows_a_log_that_only_grows(run):
    grow(5)
    status, out, _ = run()
    assert status == 0 and "at size 5" in out and "first run" in out
    served = Checkpoint.objects.get(size=5).note.encode()
    assert run.state.read_bytes() == served
    grow(600)
    status, out, _ = run()
    assert status == 0 and "at size 605" in out and "the last one seen (5)" in out
    assert run.state.read_bytes() == Checkpoint.objects.get(size=605).note.encode()


@pytest.mark.parametrize(
    ("seen", "now", "alarm"),
    [
        (5, 9, "does not extend the last checkpoint this monitor saw at size 5"),
        (9, 4, "the log went back"),
        (300, 300, "split view: the log signed two different trees at size 300"),
    ],
)
def test_it_sounds_the_alarm_when_history_changes(run, seen, now, alarm):
    grow(seen)
    assert run()[0] == 0
    before = run.state.read_bytes()
    rewrite_history(now)
    status, _, err = run()
    assert status == 1 and err.startswith("ALARM: ") and alarm in err
    assert run.state.read_bytes() == before  # still the last good one
    evidence = list(run.state.parent.glob("monitor.checkpoint.alarm-*"))
    assert len(evidence) == 1
    assert Checkpoint.objects.get(size=now).note.encode() in evidence[0].read_bytes()


def test_it_catches_an_altered_tile(run):
    grow(300)
    assert run()[0] == 0
    grow(20)
    leaf = merkle.stored_hash_index(0, 257)  # in the partial tile 0/001 at the right edge
    StoredHash.objects.filter(index=leaf).update(hash=b"\x01" * 32)
    status, _, err = run()
    assert status == 1 and "tiles do not hash to the root" in err


def test_an_audit_recomputes_every_entry_and_tile_since_the_last_check(run):
    grow(300)
    assert "300 new entries audited" in run("--audit")[1]
    grow(20)
    assert "20 new entries audited" in run("--audit")[1]
    # A hash deep inside the tree: a proof that needs it fails, but the right edge of the
    # tree, all that a plain check reads, still hashes to the signed root.
    leaf = merkle.stored_hash_index(0, 5)
    original = bytes(StoredHash.objects.get(index=leaf).hash)
    StoredHash.objects.filter(index=leaf).update(hash=b"\x01" * 32)
    run.state.unlink()
    assert run()[0] == 0
    run.state.unlink()
    status, _, err = run("--audit")
    assert status == 1 and "the log serves an altered tile/0/000" in err
    StoredHash.objects.filter(index=leaf).update(hash=original)
    Entry.objects.filter(index=310).update(data=b'{"kind":"test","n":"forged"}')
    status, _, err = run("--audit")
    assert status == 1 and "an entry was altered" in err


def test_it_catches_an_altered_checkpoint_or_cosignature(run):
    checkpoint = grow(8)
    checkpoint.note = checkpoint.note.replace("\n8\n", "\n7\n")
    checkpoint.save()
    status, _, err = run()
    assert status == 1 and "does not verify: the checkpoint was altered" in err
    assert not run.state.exists()


def test_it_checks_the_witnesses_cosignatures(run, tmp_path, settings):
    witness = WitnessProcess(tmp_path, "w1.example", signer().vkey)
    try:
        settings.TRUSTLABEL_LEDGER_WITNESSES = [(witness.url, witness.vkey)]
        checkpoint = grow(8)
        assert request_cosignatures(checkpoint) == 1
        status, out, _ = run("--witness", witness.vkey, "--witness-url", witness.url)
        assert status == 0 and "cosigned by w1.example" in out and f"{witness.url} (8)" in out
        checkpoint.refresh_from_db()
        text, _, cosignature = checkpoint.note.rpartition("— w1.example ")
        # Past the key ID and the timestamp (16 base64 digits): in the signature itself.
        flipped = "B" if cosignature[20] == "A" else "A"
        checkpoint.note = text + "— w1.example " + cosignature[:20] + flipped + cosignature[21:]
        checkpoint.save()
        status, _, err = run("--witness", witness.vkey)
        assert status == 1 and "a signature by w1.example does not verify" in err
    finally:
        witness.kill()


def test_a_forked_log_is_refused_by_the_witness_and_flagged_by_the_monitor(run, tmp_path, settings):
    """The log shows the witness one tree and, later, everyone else another of the same
    size: the witness will not cosign the second, and a monitor that has never seen the
    first still finds the split by asking the witness what it cosigned."""
    witness = WitnessProcess(tmp_path, "w1.example", signer().vkey)
    try:
        settings.TRUSTLABEL_LEDGER_WITNESSES = [(witness.url, witness.vkey)]
        assert request_cosignatures(grow(40)) == 1
        cosigned = witness.stored(signer().name)
        forked = rewrite_history(40)
        assert request_cosignatures(forked) == 0
        assert witness.stored(signer().name) == cosigned
        status, _, err = run("--witness-url", witness.url)
        assert status == 1 and "split view" in err and f"the checkpoint at {witness.url}" in err
        # A checkpoint kept in a file serves as well (one a user was shown, say).
        shown = tmp_path / "shown.checkpoint"
        shown.write_bytes(cosigned)
        status, _, err = run("--also", str(shown))
        assert status == 1 and "split view" in err
    finally:
        witness.kill()


def test_it_says_when_it_cannot_check(run):
    status, _, err = run(url=unused_port_url() + "/ledger")
    assert status == 2 and "cannot check now" in err
    assert not run.state.exists()
    grow(3)
    status, _, err = run("--witness-url", unused_port_url())  # a witness that is down
    assert status == 0 and "not compared" in err
