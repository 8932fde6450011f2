"""Witnesses in their own processes, spoken to over HTTP as the C2SP tlog-witness protocol
says: they cosign what the log sends, refuse a fork, and remember across a restart."""

import base64
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from trustlabel.ledger import merkle
from trustlabel.ledger.actions import do_append, do_integrate, read_hashes
from trustlabel.ledger.keys import signer
from trustlabel.ledger.models import Entry, WitnessState
from trustlabel.ledger.note import (
    ALG_COSIGNATURE_V1,
    Checkpoint,
    Signer,
    generate_key,
    open_checkpoint,
    sign_checkpoint,
    verifier_from_vkey,
)
from trustlabel.ledger.verify import VerificationError, verify_entry
from trustlabel.ledger.witness import origin_key
from trustlabel.ledger.witnessing import request_cosignatures

from .standalone import project_modules_after_import

pytestmark = pytest.mark.django_db


class WitnessProcess:
    """`python -m trustlabel.ledger.witness serve` on a free port, watching our log."""

    def __init__(self, directory: Path, name: str, log_vkey: str):
        self.name = name
        self.log_vkey = log_vkey
        skey, self.vkey = generate_key(name, ALG_COSIGNATURE_V1)
        self.key_file = directory / f"{name}.key"
        self.key_file.write_text(skey + "\n")
        self.state_dir = directory / f"{name}-state"
        self.log_file = directory / f"{name}.log"
        self.process = None
        self.start()

    def start(self, port: int = 0) -> None:
        """Serve; on the same port again after a restart, for the log knows it by its URL."""
        command = [sys.executable, "-m", "trustlabel.ledger.witness", "serve"]
        command += ["--key-file", str(self.key_file), "--log", self.log_vkey]
        command += ["--state-dir", str(self.state_dir), "--listen", f"127.0.0.1:{port}"]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        assert self.process.stdout.readline() == f"witness {self.vkey}\n"
        listening = self.process.stdout.readline()
        assert listening.startswith("listening on "), self.log_file.read_text()
        self.url = listening.split()[-1]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()

    def stored(self, origin: str) -> bytes:
        return (self.state_dir / f"{origin_key(origin)}.checkpoint").read_bytes()


@pytest.fixture
def witnesses(tmp_path):
    started = []

    def start(name: str) -> WitnessProcess:
        started.append(WitnessProcess(tmp_path, name, signer().vkey))
        return started[-1]

    yield start
    for witness in started:
        if witness.process.poll() is None:
            witness.kill()


def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url + "/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def append(count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        do_append("test", f"test:{i}", {"n": i})


def unused_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def proof_lines(old: int, new: int) -> bytes:
    return b"".join(
        base64.b64encode(h) + b"\n" for h in merkle.consistency_proof(old, new, read_hashes)
    )


def test_it_cosigns_and_the_served_checkpoint_meets_a_k_of_n_policy(witnesses, settings):
    first, second = witnesses("w1.example"), witnesses("w2.example")
    _, absent_vkey = generate_key("w3.example", ALG_COSIGNATURE_V1)
    settings.TRUSTLABEL_LEDGER_WITNESSES = [
        (first.url, first.vkey),
        (unused_port_url(), absent_vkey),  # down: skipped, never blocks the log
        (second.url, second.vkey),
    ]
    policy = [first.vkey, second.vkey, absent_vkey]
    for batch, size in ((0, 10), (10, 310)):
        append(size - batch, start=batch)
        checkpoint = do_integrate()
        started = time.monotonic()
        assert request_cosignatures(checkpoint) == 2
        assert time.monotonic() - started < 5
        served = Client().get("/ledger/checkpoint").content
        log_key = verifier_from_vkey(signer().vkey)
        text, signed = open_checkpoint(served, log_key, [verifier_from_vkey(v) for v in policy])
        assert text.size == size
        assert [s.name for s in signed.sigs] == [signer().name, "w1.example", "w2.example"]
        entry = Entry.objects.get(index=size - 3)
        bundle = Client().get(f"/ledger/entries/{entry.index}/proof").content
        record = bytes(entry.data)
        proved = verify_entry(bundle, record, signer().vkey, witnesses=policy, threshold=2)
        assert proved.cosigned_by == ("w1.example", "w2.example")
        with pytest.raises(VerificationError, match="only 2 of the 3"):
            verify_entry(bundle, record, signer().vkey, witnesses=policy, threshold=3)
        sizes = dict(WitnessState.objects.values_list("url", "size"))
        assert (sizes[first.url], sizes[second.url]) == (size, size)
        # What each witness stored before it answered: this very checkpoint, cosigned.
        kept, kept_signed = open_checkpoint(
            first.stored(signer().name), log_key, [verifier_from_vkey(first.vkey)]
        )
        assert kept == text and [s.name for s in kept_signed.sigs] == [log_key.name, first.name]


def test_it_starts_over_from_the_size_the_witness_says(witnesses, settings):
    witness = witnesses("w1.example")
    settings.TRUSTLABEL_LEDGER_WITNESSES = [(witness.url, witness.vkey)]
    append(10)
    assert request_cosignatures(do_integrate()) == 1
    WitnessState.objects.update(size=0)  # as after restoring an old backup of the database
    append(10, start=10)
    checkpoint = do_integrate()
    assert request_cosignatures(checkpoint) == 1  # 409 "10", then again from 10
    assert WitnessState.objects.get().size == 20
    assert "— w1.example " in Client().get("/ledger/checkpoint").content.decode()


def test_it_refuses_a_forked_log_and_keeps_its_state(witnesses, settings):
    witness = witnesses("w1.example")
    settings.TRUSTLABEL_LEDGER_WITNESSES = [(witness.url, witness.vkey)]
    append(10)
    assert request_cosignatures(do_integrate()) == 1
    before = witness.stored(signer().name)

    # The same key signs a different tree of the same size: a fork.
    forked = sign_checkpoint(Checkpoint(signer().name, 10, b"\x07" * 32), signer())
    status, _, answer = post(witness.url, b"old 10\n\n" + forked)
    assert (status, answer) == (409, b"a different root hash at size 10: the log forked\n")
    # A bigger tree that does not extend the cosigned one, with a genuine-looking proof.
    append(2, start=10)
    real = do_integrate()
    forked = sign_checkpoint(Checkpoint(signer().name, 12, b"\x07" * 32), signer())
    status, _, answer = post(witness.url, b"old 10\n" + proof_lines(10, 12) + b"\n" + forked)
    assert status == 422 and answer.startswith(b"the consistency proof fails")
    # Trying to go back to an earlier size.
    earlier = sign_checkpoint(
        Checkpoint(signer().name, 4, merkle.tree_hash(4, read_hashes)), signer()
    )
    assert post(witness.url, b"old 10\n\n" + earlier)[0] == 400
    assert post(witness.url, b"old 4\n\n" + earlier)[:2] == (409, "text/x.tlog.size")

    assert witness.stored(signer().name) == before
    assert len(list((witness.state_dir / "evidence").iterdir())) == 2  # proof of the forks
    assert request_cosignatures(real) == 1  # the true history goes on


def test_it_answers_with_the_status_codes_of_the_spec(witnesses):
    witness = witnesses("w1.example")
    append(3)
    checkpoint = do_integrate()
    signed, root = checkpoint.note.encode(), bytes(checkpoint.root)
    stranger = Signer.from_key(generate_key("other.example/log")[0])
    impostor = Signer.from_key(generate_key(signer().name)[0])  # our name, another key
    cases = [
        (b"hello", 400),
        (b"old 01\n\n" + signed, 400),
        (b"old 0\nnot base64\n\n" + signed, 400),
        (b"old 0\n\n" + signed.replace(b"\n3\n", b"\n4\n"), 403),  # altered after signing
        (b"old 0\n\n" + sign_checkpoint(Checkpoint(signer().name, 3, root), impostor), 403),
        (b"old 0\n\n" + sign_checkpoint(Checkpoint("other.example/log", 3, root), stranger), 404),
        (b"old 4\n\n" + signed, 400),  # old above the checkpoint's size
        (b"old 2\n\n" + signed, 409),  # the witness has nothing: it is at 0
        (b"old 0\n" + b"A" * 43 + b"=\n\n" + signed, 422),  # no proof from the empty tree
    ]
    for body, status in cases:
        assert post(witness.url, body)[0] == status, body
    assert post(witness.url, b"old 2\n\n" + signed)[1:] == ("text/x.tlog.size", b"0\n")
    assert not witness.state_dir.joinpath(f"{origin_key(signer().name)}.checkpoint").exists()
    status, _, line = post(witness.url, b"old 0\n\n" + signed)
    assert status == 200 and line.startswith("— w1.example ".encode())
    # Once more, the same checkpoint: cosigned again, nothing changes.
    assert post(witness.url, b"old 3\n\n" + signed)[0] == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(witness.url + "/add-checkpoint", timeout=5)
    assert refused.value.code == 405


def test_it_keeps_what_it_cosigned_across_a_crash(witnesses, settings):
    witness = witnesses("w1.example")
    settings.TRUSTLABEL_LEDGER_WITNESSES = [(witness.url, witness.vkey)]
    append(10)
    checkpoint = do_integrate()
    assert request_cosignatures(checkpoint) == 1
    witness.kill()  # SIGKILL right after the answer: no chance to write anything more
    witness.start(port=int(witness.url.rpartition(":")[2]))
    status, content_type, size = post(witness.url, b"old 0\n\n" + checkpoint.note.encode())
    assert (status, content_type, size) == (409, "text/x.tlog.size", b"10\n")
    url = f"{witness.url}/{origin_key(signer().name)}/checkpoint"
    with urllib.request.urlopen(url, timeout=5) as answer:
        kept = answer.read()
    text, signed = open_checkpoint(
        kept, verifier_from_vkey(signer().vkey), [verifier_from_vkey(witness.vkey)]
    )
    assert (text.size, len(signed.sigs)) == (10, 2)
    append(5, start=10)
    assert request_cosignatures(do_integrate()) == 1
    assert WitnessState.objects.get().size == 15


def test_a_second_witness_on_the_same_state_is_refused(witnesses, tmp_path):
    witness = witnesses("w1.example")
    command = [sys.executable, "-m", "trustlabel.ledger.witness", "serve"]
    command += ["--key-file", str(witness.key_file), "--log", witness.log_vkey]
    command += ["--state-dir", str(witness.state_dir), "--listen", "127.0.0.1:0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "another witness is running" in result.stderr


def test_the_witness_and_the_monitor_import_no_django():
    assert project_modules_after_import(
        "trustlabel.ledger.witness", "trustlabel.ledger.monitor"
    ) == [
        "trustlabel",
        "trustlabel.ledger",
        "trustlabel.ledger.merkle",
        "trustlabel.ledger.monitor",
        "trustlabel.ledger.note",
        "trustlabel.ledger.witness",
    ]
