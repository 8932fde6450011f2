"""C2SP tlog-proof bundles: an offline-checkable proof that an entry is in the ledger.

The text, lines ending in a newline (U+000A):

    c2sp.org/tlog-proof@v1
    extra <base64 of opaque, unauthenticated data>        (optional)
    index <zero-based index of the entry, decimal>
    <base64 inclusion proof hash, leaf's sibling first>   (zero or more)
    <empty line>
    <the signed checkpoint, verbatim, with any cosignatures>

Files of this kind end in `.tlog-proof`. Only the standard library here: the stand-alone
verifier imports this module.
"""

import base64
import binascii
from dataclasses import dataclass

from .merkle import HASH_SIZE, MAX_PROOF_HASHES

HEADER = "c2sp.org/tlog-proof@v1"
FILE_EXTENSION = ".tlog-proof"
MEDIA_TYPE = "text/plain; charset=utf-8"


class BundleError(ValueError):
    """A proof bundle that is not in the tlog-proof format; the message says where."""


@dataclass(frozen=True)
class ProofBundle:
    index: int
    inclusion_proof: tuple[bytes, ...]
    checkpoint: bytes  # the signed note, as the log served it
    extra: bytes | None = None

    def format(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            if not self.extra:
                raise BundleError("extra data, when present, must not be empty")
            lines.append("extra " + base64.b64encode(self.extra).decode("ascii"))
        lines.append(f"index {self.index}")
        lines.extend(base64.b64encode(h).decode("ascii") for h in self.inclusion_proof)
        head = "\n".join(lines) + "\n\n"
        return head.encode("ascii") + self.checkpoint


def _decode_base64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BundleError(f"{what} is not base64") from exc
    if base64.b64encode(data).decode("ascii") != text:
        raise BundleError(f"{what} is not in canonical base64")
    return data


def parse(data: bytes) -> ProofBundle:
    """Read a tlog-proof bundle; BundleError unless it follows the format exactly."""
    split = data.find(b"\n\n")
    if split < 0:
        raise BundleError("no empty line before the checkpoint")
    checkpoint = data[split + 2 :]
    if not checkpoint:
        raise BundleError("no checkpoint after the empty line")
    try:
        lines = data[:split].decode("ascii").split("\n")
    except UnicodeDecodeError as exc:
        raise BundleError("the lines before the checkpoint must be ASCII") from exc
    if lines[0] != HEADER:
        raise BundleError(f"first line is not {HEADER}")
    position = 1
    extra = None
    if position < len(lines) and lines[position].startswith("extra "):
        extra = _decode_base64(lines[position][len("extra ") :], "extra data")
        if not extra:
            raise BundleError("empty extra data")
        position += 1
    if position >= len(lines) or not lines[position].startswith("index "):
        raise BundleError("no index line")
    index_text = lines[position][len("index ") :]
    if not index_text.isdigit() or str(int(index_text)) != index_text:
        raise BundleError(f"bad index {index_text!r}")
    hashes = []
    for number, line in enumerate(lines[position + 1 :], start=1):
        digest = _decode_base64(line, f"proof hash {number}")
        if len(digest) != HASH_SIZE:
            raise BundleError(f"proof hash {number} is not a SHA-256 hash")
        hashes.append(digest)
    if len(hashes) > MAX_PROOF_HASHES:
        raise BundleError(f"{len(hashes)} proof hashes is more than any tree needs")
    return ProofBundle(int(index_text), tuple(hashes), checkpoint, extra)
