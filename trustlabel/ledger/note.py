"""C2SP signed notes, checkpoints and cosignatures, with Ed25519 keys.

Byte for byte what Go's golang.org/x/mod/sumdb/note writes and reads, so any conforming
tool can check the ledger's checkpoints:

- a key ID is the first four bytes (big-endian uint32) of
  SHA-256(name || 0x0A || algorithm byte || public key); 0x01 is a note's Ed25519, 0x04 a
  tlog-cosignature/v1 Ed25519 cosigner;
- a verifier key reads `<name>+<8 hex key ID>+<base64(algorithm byte || public key)>`, a
  signer key `PRIVATE+KEY+<name>+<8 hex key ID>+<base64(algorithm byte || 32-byte seed)>`;
- a note is its text (ending in a newline), an empty line, then one line per signature:
  `— <name> <base64(key ID || signature)>` with the em dash U+2014;
- a checkpoint's text is the origin, the tree size in decimal, the root hash in base64,
  then optional extension lines;
- a cosignature/v1 signs `cosignature/v1\\ntime <t>\\n` followed by the checkpoint text, and
  its signature bytes are the 8-byte big-endian timestamp then the Ed25519 signature.

Only the standard library and `cryptography` here: the stand-alone verifier imports this.
"""

import base64
import binascii
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
# Go's note.Open refuses more; the signed-note spec asks verifiers to accept at least 16.
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "— "  # em dash U+2014, then a space
COSIGNATURE_HEADER = b"cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


class NoteError(ValueError):
    """A note, key or checkpoint that cannot be used; the message says why."""


class MalformedNoteError(NoteError):
    def __init__(self, detail: str = ""):
        super().__init__("malformed note" + (f": {detail}" if detail else ""))


class UnverifiedNoteError(NoteError):
    """The note parsed, but no known key signed it; the parsed note is in `note`."""

    def __init__(self, note: "Note"):
        super().__init__("note has no verifiable signatures")
        self.note = note


class InvalidSignatureError(NoteError):
    def __init__(self, name: str, key_id: int):
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


class AmbiguousKeyError(NoteError):
    def __init__(self, name: str, key_id: int):
        super().__init__(f"ambiguous key {name}+{key_id:08x}")


def key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || algorithm || public key), first four bytes, big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode spaces and no plus signs."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 section 4, padded), as Go's StdEncoding reads it."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("bad base64") from exc


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Keys -------------------------------------------------------------------------------


class Verifier:
    """Checks Ed25519 note signatures by one named key (algorithm 0x01)."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, public_key: bytes):
        if not is_valid_name(name):
            raise NoteError(f"invalid key name {name!r}")
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, self.algorithm, public_key)
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @property
    def vkey(self) -> str:
        """The verifier key text: `<name>+<key ID>+<base64(algorithm || public key)>`."""
        encoded = _b64encode(bytes([self.algorithm]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether `signature` (without the key ID) signs `message`, the note text."""
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.key_id:08x}>"


class CosignatureVerifier(Verifier):
    """Checks C2SP tlog-cosignature/v1 Ed25519 cosignatures (algorithm 0x04)."""

    algorithm = ALG_COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        return super().verify(cosigned_message(message, timestamp), signature[8:])


def cosigned_message(checkpoint_text: bytes, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header, the time line, then the checkpoint text."""
    return COSIGNATURE_HEADER + b"time %d\n" % timestamp + checkpoint_text


def cosignature_timestamp(signature: "Signature") -> int:
    """The POSIX time a cosignature/v1 signature line carries."""
    raw = _b64decode(signature.base64)
    if len(raw) != 4 + 8 + 64:
        raise NoteError(f"not a cosignature/v1 signature: {signature.name}")
    return int.from_bytes(raw[4:12], "big")


def _split_key_text(text: str, parts: int) -> list[str]:
    # Go chops at the first `+` each time, so the base64 part may itself contain `+`.
    pieces = text.split("+", parts - 1)
    if len(pieces) != parts:
        raise NoteError("malformed key")
    return pieces


def _parse_key_fields(name: str, hex_id: str, encoded: str) -> tuple[int, int, bytes]:
    if len(hex_id) != 8 or not all(c in "0123456789abcdefABCDEF" for c in hex_id):
        raise NoteError("malformed key ID")
    try:
        raw = _b64decode(encoded)
    except ValueError as exc:
        raise NoteError("malformed key") from exc
    if not is_valid_name(name) or not raw:
        raise NoteError("malformed key")
    return int(hex_id, 16), raw[0], raw[1:]


_VERIFIER_CLASSES = {ALG_ED25519: Verifier, ALG_COSIGNATURE_V1: CosignatureVerifier}


def verifier_from_vkey(vkey: str) -> Verifier:
    """A verifier from its key text; NoteError if the text is malformed or inconsistent."""
    name, hex_id, encoded = _split_key_text(vkey, 3)
    claimed_id, algorithm, public_key = _parse_key_fields(name, hex_id, encoded)
    if claimed_id != key_id(name, algorithm, public_key):
        raise NoteError(f"key ID {hex_id} does not match key {name}")
    cls = _VERIFIER_CLASSES.get(algorithm)
    if cls is None:
        raise NoteError(f"unknown key algorithm {algorithm:#04x}")
    return cls(name, public_key)


class Signer:
    """Signs notes with one named Ed25519 key (algorithm 0x01), as Go's note.NewSigner."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, seed: bytes):
        if not is_valid_name(name):
            raise NoteError(f"invalid key name {name!r}")
        if len(seed) != 32:
            raise NoteError("an Ed25519 private key seed is 32 bytes")
        self.name = name
        self._seed = seed
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = key_id(name, self.algorithm, self.public_key)

    @classmethod
    def from_key(cls, skey: str) -> "Signer":
        """A signer from `PRIVATE+KEY+<name>+<key ID>+<base64(algorithm || seed)>`."""
        private, key, name, hex_id, encoded = _split_key_text(skey, 5)
        if private != "PRIVATE" or key != "KEY":
            raise NoteError("malformed signer key")
        claimed_id, algorithm, seed = _parse_key_fields(name, hex_id, encoded)
        if algorithm != cls.algorithm:
            raise NoteError(f"key algorithm {algorithm:#04x} is not {cls.algorithm:#04x}")
        signer = cls(name, seed)
        # The key ID hashes the public key: check it once the key is derived.
        if signer.key_id != claimed_id:
            raise NoteError(f"key ID {hex_id} does not match key {name}")
        return signer

    @property
    def skey(self) -> str:
        encoded = _b64encode(bytes([self.algorithm]) + self._seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    def verifier(self) -> Verifier:
        return _VERIFIER_CLASSES[self.algorithm](self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.key_id:08x}>"


class CosignatureSigner(Signer):
    """Makes C2SP tlog-cosignature/v1 cosignatures (algorithm 0x04) with a timestamp."""

    algorithm = ALG_COSIGNATURE_V1

    def sign(self, message: bytes, timestamp: int | None = None) -> bytes:
        """8-byte big-endian timestamp || Ed25519 signature of the cosigned message."""
        if timestamp is None:
            timestamp = int(time.time())
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise NoteError(f"timestamp {timestamp} out of range")
        signature = self._key.sign(cosigned_message(message, timestamp))
        return timestamp.to_bytes(8, "big") + signature


_SIGNER_CLASSES = {ALG_ED25519: Signer, ALG_COSIGNATURE_V1: CosignatureSigner}


def generate_key(name: str, algorithm: int = ALG_ED25519) -> tuple[str, str]:
    """A new (signer key, verifier key) pair in text form, as Go's note.GenerateKey."""
    signer = _SIGNER_CLASSES[algorithm](name, Ed25519PrivateKey.generate().private_bytes_raw())
    return signer.skey, signer.vkey


# Notes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: key name, key ID and the base64 of ID || signature."""

    name: str
    key_id: int
    base64: str

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {self.base64}\n"


@dataclass
class Note:
    """A note's text and its signatures: verified ones and those by unknown keys."""

    text: str
    sigs: list[Signature] = field(default_factory=list)
    unverified_sigs: list[Signature] = field(default_factory=list)


class VerifierList:
    """Known keys, looked up by (name, key ID) as Go's note.VerifierList."""

    def __init__(self, verifiers: Iterable[Verifier] = ()):
        self._by_key: dict[tuple[str, int], list[Verifier]] = {}
        for verifier in verifiers:
            self._by_key.setdefault((verifier.name, verifier.key_id), []).append(verifier)

    def lookup(self, name: str, key_id: int) -> Verifier | None:
        found = self._by_key.get((name, key_id))
        if not found:
            return None
        if len(found) > 1:
            raise AmbiguousKeyError(name, key_id)
        return found[0]


def open_note(message: bytes, known: VerifierList | Iterable[Verifier]) -> Note:
    """Parse a signed note and check the signatures of the known keys.

    Signatures by unknown keys are kept, unchecked, in `unverified_sigs`. A known key whose
    signature fails rejects the whole note (InvalidSignatureError); so does a note that no
    known key signed (UnverifiedNoteError) and any syntax error (MalformedNoteError).
    """
    if not isinstance(known, VerifierList):
        known = VerifierList(known)
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedNoteError("not UTF-8") from exc
    if any(c < " " and c != "\n" for c in decoded):
        raise MalformedNoteError("control character")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no signature block")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block does not end with a newline")
    note = Note(text=text)
    text_bytes = text.encode("utf-8")
    seen: set[tuple[str, int]] = set()
    seen_unverified: set[str] = set()
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError("too many signatures")
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNoteError("signature line without the em dash prefix")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = _b64decode(encoded)
        except ValueError as exc:
            raise MalformedNoteError("signature is not base64") from exc
        if not is_valid_name(name) or len(raw) < 5:
            raise MalformedNoteError("bad signature line")
        signature = Signature(name, int.from_bytes(raw[:4], "big"), encoded)
        verifier = known.lookup(name, signature.key_id)
        if verifier is None:
            if line not in seen_unverified:
                seen_unverified.add(line)
                note.unverified_sigs.append(signature)
            continue
        if (name, signature.key_id) in seen:
            continue
        seen.add((name, signature.key_id))
        if not verifier.verify(text_bytes, raw[4:]):
            raise InvalidSignatureError(name, signature.key_id)
        note.sigs.append(signature)
    if not note.sigs:
        raise UnverifiedNoteError(note)
    return note


def sign_note(note: Note, signers: Sequence[Signer]) -> bytes:
    """The note's text signed by `signers`, after its existing signatures.

    An existing signature by the same key as one of `signers` is replaced (Go's note.Sign).
    """
    if not note.text.endswith("\n"):
        raise MalformedNoteError("text must end with a newline")
    text = note.text.encode("utf-8")
    replaced = {(s.name, s.key_id) for s in signers}
    new_lines = []
    for signer in signers:
        if not is_valid_name(signer.name):
            raise NoteError("invalid signer")
        raw = signer.key_id.to_bytes(4, "big") + signer.sign(text)
        new_lines.append(Signature(signer.name, signer.key_id, _b64encode(raw)).line())
    out = [note.text, "\n"]
    for signature in [*note.sigs, *note.unverified_sigs]:
        if not is_valid_name(signature.name):
            raise MalformedNoteError("bad signature name")
        if (signature.name, signature.key_id) in replaced:
            continue
        try:
            raw = _b64decode(signature.base64)
        except ValueError as exc:
            raise MalformedNoteError("signature is not base64") from exc
        if len(raw) < 4 or int.from_bytes(raw[:4], "big") != signature.key_id:
            raise MalformedNoteError("signature does not carry its key ID")
        out.append(signature.line())
    out.extend(new_lines)
    return "".join(out).encode("utf-8")


def split_note(message: bytes) -> tuple[bytes, bytes]:
    """A signed note's text (with its final newline) and its signature lines, unchecked."""
    split = message.rfind(b"\n\n")
    if split < 0:
        raise MalformedNoteError("no signature block")
    return message[: split + 1], message[split + 2 :]


# Checkpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The text of a C2SP tlog-checkpoint: origin, tree size, root hash, extensions."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        """Read a checkpoint's note text; MalformedNoteError unless it is canonical."""
        if not text.endswith("\n"):
            raise MalformedNoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedNoteError("checkpoint needs an origin, a size and a root hash")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise MalformedNoteError("empty checkpoint origin")
        if not (size_text.isascii() and size_text.isdigit()) or str(int(size_text)) != size_text:
            raise MalformedNoteError(f"bad checkpoint size {size_text!r}")
        try:
            root_hash = _b64decode(root_text)
        except ValueError as exc:
            raise MalformedNoteError("checkpoint root hash is not base64") from exc
        if len(root_hash) != 32 or _b64encode(root_hash) != root_text:
            raise MalformedNoteError("checkpoint root hash is not a base64 SHA-256 hash")
        if any(not line for line in extensions):
            raise MalformedNoteError("empty checkpoint extension line")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> bytes:
    """The checkpoint as a signed note, signed by the log's key."""
    return sign_note(Note(checkpoint.text()), [signer])


def open_checkpoint(
    message: bytes, log: Verifier, others: Iterable[Verifier] = (), origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Check a signed checkpoint: the log's signature is required, others (witnesses) optional.

    The origin must equal `origin`, by default the log key's name (tlog-checkpoint: the
    log's key name SHOULD match the origin line).
    """
    note = open_note(message, [log, *others])
    if not any(s.name == log.name and s.key_id == log.key_id for s in note.sigs):
        raise UnverifiedNoteError(note)
    checkpoint = Checkpoint.parse(note.text)
    expected = log.name if origin is None else origin
    if checkpoint.origin != expected:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {expected!r}")
    return checkpoint, note


def cosign(
    checkpoint_note: bytes, cosigner: CosignatureSigner, timestamp: int | None = None
) -> str:
    """A cosignature/v1 line over a signed checkpoint, as a witness returns it."""
    text, _ = split_note(checkpoint_note)
    raw = cosigner.key_id.to_bytes(4, "big") + cosigner.sign(text, timestamp)
    return Signature(cosigner.name, cosigner.key_id, _b64encode(raw)).line()


def add_signature_lines(signed_note: bytes, lines: Iterable[str]) -> bytes:
    """Append signature lines (a witness's answer) to a signed note, dropping duplicates."""
    present = set(signed_note.decode("utf-8").splitlines())
    extra = [line for line in lines if line.rstrip("\n") not in present]
    return (
        signed_note
        + "".join(line if line.endswith("\n") else line + "\n" for line in extra).encode()
    )
