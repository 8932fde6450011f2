"""Signed notes, checkpoints and cosignatures, against Go's sumdb/note test vectors.

The keys, note text and signatures below are those of golang.org/x/mod/sumdb/note's
note_test.go, reproduced exactly: a note we sign must be byte for byte what Go signs, and
every note Go's Open refuses we refuse too.
"""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustlabel.ledger import note

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"  # noqa: E501
SIGNED = TEXT + "\n" + PETER_SIG

PETER = note.Signature(
    "PeterNeumann",
    0xC74F20A3,
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
)
ENOCH = note.Signature(
    "EnochRoot",
    0xAF0CFE78,
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=",
)


def _manglings(key: str):
    """Every proper substring of key, and key with each byte incremented (as Go's tests)."""
    raw = key.encode()
    for i in range(len(raw) + 1):
        for j in range(i + 1, len(raw) + 1):
            if (i, j) != (0, len(raw)):
                yield raw[i:j].decode(errors="replace")
    for i in range(len(raw)):
        yield (raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :]).decode(errors="replace")


def test_it_reads_go_verifier_keys_and_refuses_every_mangling():
    verifier = note.verifier_from_vkey(PETER_VKEY)
    assert (verifier.name, verifier.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert verifier.vkey == PETER_VKEY
    for bad in _manglings(PETER_VKEY):
        with pytest.raises(note.NoteError):
            note.verifier_from_vkey(bad)
    # Wrong key length and unknown algorithm, each with a key ID that matches.
    with pytest.raises(note.NoteError):
        note.verifier_from_vkey(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
    with pytest.raises(note.NoteError, match="unknown key algorithm"):
        note.verifier_from_vkey(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        )


def test_it_reads_go_signer_keys_and_refuses_every_mangling():
    signer = note.Signer.from_key(PETER_SKEY)
    assert signer.vkey == PETER_VKEY
    assert signer.skey == PETER_SKEY
    for bad in _manglings(PETER_SKEY):
        with pytest.raises(note.NoteError):
            note.Signer.from_key(bad)


def test_key_ids_are_the_first_bytes_of_the_key_hash():
    verifier = note.verifier_from_vkey(PETER_VKEY)
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + verifier.public_key).digest()
    assert verifier.key_id == int.from_bytes(digest[:4], "big") == 0xC74F20A3


def test_generated_keys_sign_and_verify():
    skey, vkey = note.generate_key("EnochRoot")
    signer, verifier = note.Signer.from_key(skey), note.verifier_from_vkey(vkey)
    assert (signer.name, signer.key_id) == (verifier.name, verifier.key_id)
    signature = signer.sign(b"hi")
    assert verifier.verify(b"hi", signature)
    assert not verifier.verify(b"hi", bytes([signature[0] ^ 1]) + signature[1:])
    assert not verifier.verify(b"hj", signature)


def test_it_signs_exactly_as_go():
    signer = note.Signer.from_key(PETER_SKEY)
    assert note.sign_note(note.Note(TEXT), [signer]).decode() == SIGNED
    # An existing signature by the same key is replaced.
    stale = note.Note(TEXT, sigs=[note.Signature("PeterNeumann", 0xC74F20A3, "BADSIGN=")])
    assert note.sign_note(stale, [signer]).decode() == SIGNED


def test_it_refuses_to_sign_bad_notes():
    signer = note.Signer.from_key(PETER_SKEY)
    with pytest.raises(note.MalformedNoteError):
        note.sign_note(note.Note("abc"), [signer])
    with pytest.raises(note.MalformedNoteError):
        note.sign_note(note.Note(TEXT, sigs=[note.Signature("a+b", 0, "ABCD")]), [])
    with pytest.raises(note.MalformedNoteError):
        note.sign_note(
            note.Note(TEXT, sigs=[note.Signature("PeterNeumann", 0xC74F20A3, "BADHASH=")]), []
        )


def test_verifier_lists_find_keys_by_name_and_id():
    peter = note.verifier_from_vkey(PETER_VKEY)
    enoch = note.verifier_from_vkey(ENOCH_VKEY)
    known = note.VerifierList([peter, enoch, enoch])
    assert known.lookup("PeterNeumann", 0xC74F20A3) is peter
    assert known.lookup("PeterNeumann", 0xC74F20A4) is None
    assert known.lookup("PeterNeuman", 0xC74F20A3) is None
    with pytest.raises(note.AmbiguousKeyError, match="ambiguous key EnochRoot\\+af0cfe78"):
        known.lookup("EnochRoot", 0xAF0CFE78)


def _insert_abcd(signature_line: str) -> bytes:
    """Go's test inserts ABCD at byte 60 of a signature line (the em dash is 3 bytes)."""
    raw = signature_line.encode()
    return raw[:60] + b"ABCD" + raw[60:]


def test_it_opens_notes_as_go():
    peter = note.verifier_from_vkey(PETER_VKEY)
    enoch = note.verifier_from_vkey(ENOCH_VKEY)
    both = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()

    opened = note.open_note(both, [peter])
    assert opened.text == TEXT
    assert opened.sigs == [PETER]
    assert opened.unverified_sigs == [ENOCH]

    opened = note.open_note(both, [peter, enoch])
    assert opened.sigs == [PETER, ENOCH]
    assert opened.unverified_sigs == []

    with pytest.raises(note.UnverifiedNoteError, match="no verifiable signatures") as caught:
        note.open_note(both, [])
    assert caught.value.note.unverified_sigs == [PETER, ENOCH]

    with pytest.raises(note.AmbiguousKeyError):
        note.open_note((TEXT + "\n" + ENOCH_SIG).encode(), [enoch, peter, enoch])
    note.open_note((TEXT + "\n" + PETER_SIG).encode(), [enoch, peter, enoch])

    with pytest.raises(note.MalformedNoteError):
        note.open_note((TEXT + "\n" + PETER_SIG * 101).encode(), [peter])
    with pytest.raises(note.MalformedNoteError):
        note.open_note((TEXT + "\n" + PETER_SIG * 101).encode(), [])

    altered = TEXT.encode() + b"\n" + _insert_abcd(PETER_SIG)
    with pytest.raises(note.InvalidSignatureError, match="PeterNeumann\\+c74f20a3"):
        note.open_note(altered, [peter])

    # Repeated signatures are dropped; an unknown key's altered signature is kept, unchecked.
    enoch_abcd = note.Signature(
        "EnochRoot", 0xAF0CFE78, ENOCH.base64[:46] + "ABCD" + ENOCH.base64[46:]
    )
    repeated = (TEXT + "\n" + PETER_SIG * 2 + ENOCH_SIG * 2).encode() + _insert_abcd(ENOCH_SIG)
    opened = note.open_note(repeated, [peter])
    assert opened.sigs == [PETER]
    assert opened.unverified_sigs == [ENOCH, enoch_abcd]


@pytest.mark.parametrize(
    "message",
    [
        TEXT.encode(),
        (TEXT + "\n").encode(),
        (TEXT + "\n" + PETER_SIG[:-1]).encode(),
        ("\x01" + TEXT + "\n" + PETER_SIG).encode(),
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        (TEXT + "\n" + "— Bad Name " + PETER.base64).encode(),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n").encode(),
        (TEXT + "\n" + "— PeterNeumann AAAA\n").encode(),
        (TEXT + "\n" + "- PeterNeumann " + PETER.base64 + "\n").encode(),
    ],
)
def test_it_refuses_malformed_notes(message):
    with pytest.raises(note.MalformedNoteError):
        note.open_note(message, [note.verifier_from_vkey(PETER_VKEY)])


# Checkpoints --------------------------------------------------------------------------

ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")


def test_checkpoints_format_and_parse():
    checkpoint = note.Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert checkpoint.text() == text
    assert note.Checkpoint.parse(text) == checkpoint
    extended = note.Checkpoint("log.example", 0, ROOT, ("ext one", "ext two"))
    assert note.Checkpoint.parse(extended.text()) == extended


@pytest.mark.parametrize(
    "text",
    [
        "log.example\n5\n",
        "log.example\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log.example\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log.example\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log.example\n５\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "log.example\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
        "log.example\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
        "log.example\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nextension\n",
    ],
)
def test_it_refuses_malformed_checkpoints(text):
    with pytest.raises(note.MalformedNoteError):
        note.Checkpoint.parse(text)


@pytest.fixture
def log_signer():
    skey, _ = note.generate_key("ledger.example/log")
    return note.Signer.from_key(skey)


def test_signed_checkpoints_open_with_the_log_key(log_signer):
    checkpoint = note.Checkpoint("ledger.example/log", 42, ROOT)
    signed = note.sign_checkpoint(checkpoint, log_signer)
    assert signed.startswith(checkpoint.text().encode() + b"\n\xe2\x80\x94 ledger.example/log ")
    opened, signatures = note.open_checkpoint(signed, log_signer.verifier())
    assert opened == checkpoint
    assert [s.name for s in signatures.sigs] == ["ledger.example/log"]


@pytest.mark.parametrize(
    "old, new",
    [
        (b"\n42\n", b"\n43\n"),
        (b"ledger.example/log\n4", b"ledger.example/lag\n4"),
        (b"CsUY", b"DsUY"),
        (b"=\n\n", b"=\nextension\n\n"),
    ],
)
def test_an_altered_checkpoint_line_is_caught(log_signer, old, new):
    signed = note.sign_checkpoint(note.Checkpoint("ledger.example/log", 42, ROOT), log_signer)
    assert old in signed
    with pytest.raises(note.InvalidSignatureError):
        note.open_checkpoint(signed.replace(old, new, 1), log_signer.verifier())


def test_a_signature_by_another_key_of_the_same_name_is_not_the_logs(log_signer):
    impostor = note.Signer.from_key(note.generate_key("ledger.example/log")[0])
    signed = note.sign_checkpoint(note.Checkpoint("ledger.example/log", 42, ROOT), impostor)
    with pytest.raises(note.UnverifiedNoteError):
        note.open_checkpoint(signed, log_signer.verifier())


def test_a_checkpoint_for_another_origin_is_refused(log_signer):
    signed = note.sign_checkpoint(note.Checkpoint("other.example/log", 42, ROOT), log_signer)
    with pytest.raises(note.NoteError, match="origin"):
        note.open_checkpoint(signed, log_signer.verifier())
    opened, _ = note.open_checkpoint(signed, log_signer.verifier(), origin="other.example/log")
    assert opened.origin == "other.example/log"


# Cosignatures -------------------------------------------------------------------------


@pytest.fixture
def witness():
    skey, _ = note.generate_key("witness.example/w1", note.ALG_COSIGNATURE_V1)
    return note.CosignatureSigner.from_key(skey)


def test_cosigner_keys_use_algorithm_4(witness):
    vkey = witness.vkey
    name, hex_id, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x04 and len(raw) == 33
    digest = hashlib.sha256(name.encode() + b"\n\x04" + raw[1:]).digest()
    assert int(hex_id, 16) == int.from_bytes(digest[:4], "big") == witness.key_id
    assert isinstance(note.verifier_from_vkey(vkey), note.CosignatureVerifier)
    with pytest.raises(note.NoteError):
        note.Signer.from_key(witness.skey)
    with pytest.raises(note.NoteError):
        note.CosignatureSigner.from_key(PETER_SKEY)


def test_cosignatures_round_trip(log_signer, witness):
    checkpoint = note.Checkpoint("ledger.example/log", 42, ROOT)
    signed = note.sign_checkpoint(checkpoint, log_signer)
    line = note.cosign(signed, witness, timestamp=1679315147)
    assert line.startswith("— witness.example/w1 ") and line.endswith("\n")
    cosigned = note.add_signature_lines(signed, [line])
    assert note.add_signature_lines(cosigned, [line]) == cosigned

    opened, signatures = note.open_checkpoint(cosigned, log_signer.verifier(), [witness.verifier()])
    assert opened == checkpoint
    [_, witness_sig] = signatures.sigs
    assert witness_sig.name == "witness.example/w1"
    assert note.cosignature_timestamp(witness_sig) == 1679315147


def test_a_cosignature_signs_the_header_the_time_and_the_checkpoint(witness):
    checkpoint_text = note.Checkpoint("ledger.example/log", 42, ROOT).text().encode()
    raw = base64.b64decode(note.cosign(checkpoint_text + b"\n", witness, 1679315147).split()[2])
    assert raw[:4] == witness.key_id.to_bytes(4, "big")
    assert raw[4:12] == (1679315147).to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + checkpoint_text
    Ed25519PublicKey.from_public_bytes(witness.public_key).verify(raw[12:], message)


def test_an_altered_cosignature_timestamp_is_caught(log_signer, witness):
    signed = note.sign_checkpoint(note.Checkpoint("ledger.example/log", 42, ROOT), log_signer)
    name, encoded = note.cosign(signed, witness, 1679315147)[2:].split()
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 1
    forged = f"— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(note.InvalidSignatureError):
        note.open_checkpoint(
            note.add_signature_lines(signed, [forged]),
            log_signer.verifier(),
            [witness.verifier()],
        )
