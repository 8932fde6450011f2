"""The stand-alone verifier: good bundles pass, any tampering fails with a clear reason."""

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trustlabel.ledger import merkle, note, proofbundle, verify
from trustlabel.ledger.tests.memlog import make_log
from trustlabel.ledger.tests.standalone import project_modules_after_import

ORIGIN = "ledger.example/trustlabel"
SIZE = 1000


class World:
    """A log of SIZE entries, its key, three witnesses of which the first two cosigned."""

    def __init__(self):
        self.log = make_log(SIZE, batch=97)
        self.signer = note.Signer.from_key(note.generate_key(ORIGIN)[0])
        self.witnesses = [
            note.CosignatureSigner.from_key(
                note.generate_key(f"witness{i}.example", note.ALG_COSIGNATURE_V1)[0]
            )
            for i in (1, 2, 3)
        ]
        checkpoint = note.Checkpoint(ORIGIN, SIZE, self.log.root())
        signed = note.sign_checkpoint(checkpoint, self.signer)
        lines = [note.cosign(signed, w, timestamp=1_750_000_000) for w in self.witnesses[:2]]
        self.checkpoint = note.add_signature_lines(signed, lines)

    @property
    def vkey(self) -> str:
        return self.signer.vkey

    @property
    def witness_vkeys(self) -> list[str]:
        return [w.vkey for w in self.witnesses]

    def bundle(self, index: int, checkpoint: bytes | None = None) -> bytes:
        proof = merkle.inclusion_proof(SIZE, index, self.log.read_hashes)
        return proofbundle.ProofBundle(index, tuple(proof), checkpoint or self.checkpoint).format()

    def leaf(self, index: int) -> bytes:
        return merkle.leaf_hash(self.log.entries[index])


@pytest.fixture(scope="module")
def world():
    return World()


def test_every_entry_of_a_small_log_verifies():
    small = make_log(40)
    signer = note.Signer.from_key(note.generate_key(ORIGIN)[0])
    for size in range(1, 41):
        signed = note.sign_checkpoint(note.Checkpoint(ORIGIN, size, small.root(size)), signer)
        for index in range(size):
            proof = merkle.inclusion_proof(size, index, small.read_hashes)
            bundle = proofbundle.ProofBundle(index, tuple(proof), signed).format()
            result = verify.verify_entry(bundle, small.entries[index], signer.vkey)
            assert (result.index, result.size, result.origin) == (index, size, ORIGIN)


def test_a_good_bundle_verifies_with_its_witnesses(world):
    result = verify.verify_bundle(
        world.bundle(123), world.leaf(123), world.vkey, world.witness_vkeys, threshold=2
    )
    assert result.index == 123 and result.size == SIZE
    assert result.root_hash == world.log.root()
    assert result.cosigned_by == ("witness1.example", "witness2.example")


def test_a_flipped_bit_in_any_proof_hash_is_caught(world):
    bundle = proofbundle.parse(world.bundle(500))
    for position in range(len(bundle.inclusion_proof)):
        for bit in (0, 100, 255):
            hashes = [bytearray(h) for h in bundle.inclusion_proof]
            hashes[position][bit // 8] ^= 1 << (bit % 8)
            forged = proofbundle.ProofBundle(500, tuple(map(bytes, hashes)), bundle.checkpoint)
            with pytest.raises(verify.VerificationError, match="not at index 500"):
                verify.verify_bundle(forged.format(), world.leaf(500), world.vkey)


def test_another_entry_or_index_is_caught(world):
    with pytest.raises(verify.VerificationError, match="not at index 500"):
        verify.verify_entry(world.bundle(500), b"entry 501", world.vkey)
    bundle = proofbundle.parse(world.bundle(500))
    moved = proofbundle.ProofBundle(501, bundle.inclusion_proof, bundle.checkpoint)
    with pytest.raises(verify.VerificationError, match="not at index 501"):
        verify.verify_bundle(moved.format(), world.leaf(500), world.vkey)
    beyond = proofbundle.ProofBundle(SIZE, bundle.inclusion_proof, bundle.checkpoint)
    with pytest.raises(verify.VerificationError, match="beyond the checkpoint"):
        verify.verify_bundle(beyond.format(), world.leaf(500), world.vkey)


@pytest.mark.parametrize(
    "old, new",
    [
        (b"\n1000\n", b"\n1001\n"),  # a changed size
        (ORIGIN.encode() + b"\n", ORIGIN.encode() + b"x\n"),  # a changed origin
        (b"\n\n\xe2\x80\x94", b"\nextension\n\n\xe2\x80\x94"),  # an added line
    ],
)
def test_a_changed_checkpoint_line_is_caught(world, old, new):
    assert old in world.checkpoint
    bundle = world.bundle(7).replace(old, new, 1)
    with pytest.raises(verify.VerificationError, match="is invalid: the checkpoint"):
        verify.verify_bundle(bundle, world.leaf(7), world.vkey)


def test_a_changed_root_hash_is_caught(world):
    root_line = base64.b64encode(world.log.root())
    forged_root = base64.b64encode(bytes(32))
    bundle = world.bundle(7).replace(root_line, forged_root, 1)
    with pytest.raises(verify.VerificationError, match="is invalid"):
        verify.verify_bundle(bundle, world.leaf(7), world.vkey)


def test_a_checkpoint_signed_by_another_key_is_refused(world):
    impostor = note.Signer.from_key(note.generate_key(ORIGIN)[0])
    checkpoint = note.sign_checkpoint(note.Checkpoint(ORIGIN, SIZE, world.log.root()), impostor)
    with pytest.raises(verify.VerificationError, match="no signature by the log key"):
        verify.verify_bundle(world.bundle(7, checkpoint), world.leaf(7), world.vkey)


def test_a_checkpoint_of_another_origin_is_refused(world):
    other = note.Checkpoint("elsewhere.example/log", SIZE, world.log.root())
    checkpoint = note.sign_checkpoint(other, world.signer)
    with pytest.raises(verify.VerificationError, match="origin"):
        verify.verify_bundle(world.bundle(7, checkpoint), world.leaf(7), world.vkey)


def test_the_witness_policy_counts_only_trusted_valid_cosignatures(world):
    bundle, leaf = world.bundle(9), world.leaf(9)
    verify.verify_bundle(bundle, leaf, world.vkey, world.witness_vkeys, threshold=2)
    with pytest.raises(verify.VerificationError, match="only 2 of the 3 trusted witnesses"):
        verify.verify_bundle(bundle, leaf, world.vkey, world.witness_vkeys, threshold=3)
    # Only the third witness is trusted here: the two cosignatures are from unknown keys.
    with pytest.raises(verify.VerificationError, match="only 0 of the 1"):
        verify.verify_bundle(bundle, leaf, world.vkey, world.witness_vkeys[2:], threshold=1)
    # The same name and another key: not the trusted witness.
    other = note.CosignatureSigner.from_key(
        note.generate_key("witness1.example", note.ALG_COSIGNATURE_V1)[0]
    )
    with pytest.raises(verify.VerificationError, match="only 0 of the 1"):
        verify.verify_bundle(bundle, leaf, world.vkey, [other.vkey], threshold=1)


def test_a_forged_cosignature_by_a_trusted_witness_is_caught(world):
    earlier = note.sign_checkpoint(
        note.Checkpoint(ORIGIN, SIZE - 1, world.log.root(SIZE - 1)), world.signer
    )
    # A cosignature of another checkpoint moved onto this one.
    moved = note.cosign(earlier, world.witnesses[2], timestamp=1_750_000_000)
    checkpoint = note.add_signature_lines(world.checkpoint, [moved])
    with pytest.raises(verify.VerificationError, match=r"witness3\.example.*is invalid"):
        verify.verify_bundle(
            world.bundle(9, checkpoint), world.leaf(9), world.vkey, world.witness_vkeys, 2
        )


def test_bad_keys_and_policies_are_explained(world):
    bundle, leaf = world.bundle(9), world.leaf(9)
    with pytest.raises(verify.VerificationError, match="not a valid key"):
        verify.verify_bundle(bundle, leaf, world.vkey[:-2])
    with pytest.raises(verify.VerificationError, match="not a cosignature/v1 key"):
        verify.verify_bundle(bundle, leaf, world.vkey, [world.vkey], threshold=1)
    with pytest.raises(verify.VerificationError, match="not an Ed25519 note key"):
        verify.verify_bundle(bundle, leaf, world.witness_vkeys[0])
    with pytest.raises(verify.VerificationError, match="cannot be met"):
        verify.verify_bundle(bundle, leaf, world.vkey, world.witness_vkeys, threshold=4)
    with pytest.raises(verify.VerificationError, match="malformed"):
        verify.verify_bundle(bundle.replace(b"index 9", b"index 09"), leaf, world.vkey)


# The command --------------------------------------------------------------------------


@pytest.fixture
def files(world, tmp_path):
    (tmp_path / "entry.tlog-proof").write_bytes(world.bundle(321))
    (tmp_path / "entry.bin").write_bytes(world.log.entries[321])
    (tmp_path / "log.vkey").write_text(world.vkey + "\n")
    return tmp_path


def test_main_accepts_a_good_bundle(world, files, capsys):
    status = verify.main(
        [str(files / "entry.tlog-proof"), str(files / "entry.bin"), "--key", world.vkey]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert f"OK: entry 321 is in {ORIGIN} at tree size {SIZE}" in out


def test_main_takes_a_leaf_hash_a_key_file_and_witnesses(world, files, capsys):
    for leaf in (world.leaf(321).hex(), base64.b64encode(world.leaf(321)).decode()):
        args = [str(files / "entry.tlog-proof"), "--leaf-hash", leaf]
        args += ["--key-file", str(files / "log.vkey")]
        for vkey in world.witness_vkeys:
            args += ["--witness", vkey]
        assert verify.main([*args, "--witness-threshold", "2"]) == 0
        assert "cosigned by 2 trusted witnesses" in capsys.readouterr().out
        assert verify.main(args) == 1  # by default every listed witness must have cosigned
        assert "only 2 of the 3" in capsys.readouterr().err


def test_main_refuses_a_bad_bundle(world, files, capsys):
    bundle = files / "entry.tlog-proof"
    bundle.write_bytes(bundle.read_bytes().replace(b"\n1000\n", b"\n999\n", 1))
    status = verify.main([str(bundle), str(files / "entry.bin"), "--key", world.vkey])
    assert status == 1
    assert capsys.readouterr().err.startswith("FAILED: the checkpoint's signature")


def test_main_refuses_another_entry(world, files, capsys):
    (files / "entry.bin").write_bytes(b"entry 322")
    status = verify.main(
        [str(files / "entry.tlog-proof"), str(files / "entry.bin"), "--key", world.vkey]
    )
    assert status == 1
    assert "FAILED: the entry is not at index 321" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["entry.tlog-proof", "entry.bin"],
        ["entry.tlog-proof", "--key", "x"],
        ["entry.tlog-proof", "entry.bin", "--leaf-hash", "00" * 32, "--key", "x"],
        ["entry.tlog-proof", "entry.bin", "--key", "x", "--witness-threshold", "1"],
        ["entry.tlog-proof", "entry.bin", "--key", "x", "--key-file", "log.vkey"],
        ["missing.tlog-proof", "entry.bin", "--key-file", "log.vkey"],
        ["entry.tlog-proof", "entry.bin", "--key-file", "missing.vkey"],
        ["entry.tlog-proof", "--leaf-hash", "abc", "--key-file", "log.vkey"],
    ],
)
def test_main_answers_1_to_bad_usage(files, args, monkeypatch, capsys):
    monkeypatch.chdir(files)
    assert verify.main(args) == 1
    assert capsys.readouterr().err


def test_the_verifier_imports_no_django():
    assert project_modules_after_import("trustlabel.ledger.verify") == [
        "trustlabel",
        "trustlabel.ledger",
        "trustlabel.ledger.merkle",
        "trustlabel.ledger.note",
        "trustlabel.ledger.proofbundle",
        "trustlabel.ledger.verify",
    ]


def test_the_verifier_runs_from_a_copy_of_its_files(world, files, tmp_path):
    """A regulator copies the four modules and needs nothing else of TrustLabel."""
    package = tmp_path / "copy" / "trustlabel" / "ledger"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    source = Path(verify.__file__).parent
    for name in ("merkle.py", "note.py", "proofbundle.py", "verify.py"):
        shutil.copy(source / name, package / name)
    # Run from the copy's directory: the copy, not the installed project, is imported.
    code = (
        "import sys, trustlabel.ledger.verify as v\n"
        "assert v.__file__.startswith(sys.argv[1]), v.__file__\n"
        "sys.exit(v.main(sys.argv[2:]))"
    )
    bundle, entry = str(files / "entry.tlog-proof"), str(files / "entry.bin")
    result = subprocess.run(
        [sys.executable, "-c", code, str(package), bundle, entry, "--key", world.vkey],
        cwd=tmp_path / "copy",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: entry 321")
