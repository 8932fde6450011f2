"""Check a ledger proof bundle offline, without trusting TrustLabel.

Given a C2SP tlog-proof bundle, the entry it is about (its bytes, or its RFC 6962 leaf
hash) and the log's public key pinned beforehand, this checks that the log signed the
checkpoint, that the entry sits at the bundle's index in the tree the checkpoint commits
to, and, with a witness policy, that at least k of the given witnesses cosigned that
checkpoint (C2SP tlog-cosignature/v1), so that the log cannot show this entry to one
person and a different history to everyone else.

Needs only the standard library and `cryptography`, and imports nothing from TrustLabel
but merkle, note and proofbundle: a regulator can copy these four files into an empty
trustlabel/ledger/ package (with empty __init__.py files) and run

    python -m trustlabel.ledger.verify entry.tlog-proof entry.json --key-file ledger.vkey
"""

import argparse
import base64
import binascii
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import merkle, note, proofbundle


class VerificationError(Exception):
    """The bundle does not prove what it claims; the message says what failed, in words."""


@dataclass(frozen=True)
class VerifiedProof:
    origin: str
    index: int
    size: int
    root_hash: bytes
    cosigned_by: tuple[str, ...]  # names of the policy's witnesses whose cosignature verified


def _verifier(key: str | note.Verifier, what: str) -> note.Verifier:
    if isinstance(key, note.Verifier):
        return key
    try:
        return note.verifier_from_vkey(key.strip())
    except note.NoteError as exc:
        raise VerificationError(f"the {what} {key.strip()!r} is not a valid key: {exc}") from exc


def verify_bundle(
    bundle: bytes | proofbundle.ProofBundle,
    leaf_hash: bytes,
    log_key: str | note.Verifier,
    witnesses: Sequence[str | note.Verifier] = (),
    threshold: int = 0,
    origin: str | None = None,
) -> VerifiedProof:
    """Check `bundle` for the entry with RFC 6962 leaf hash `leaf_hash`; VerificationError if not.

    log_key is the log's verifier key (vkey text); witnesses the cosigners' vkeys, of which
    `threshold` must have cosigned. `origin` defaults to the log key's name.
    """
    log = _verifier(log_key, "log key")
    if log.algorithm != note.ALG_ED25519:
        raise VerificationError(f"the log key {log.name} is not an Ed25519 note key")
    policy: dict[str, note.Verifier] = {}
    for key in witnesses:
        witness = _verifier(key, "witness key")
        if witness.algorithm != note.ALG_COSIGNATURE_V1:
            raise VerificationError(f"the witness key {witness.name} is not a cosignature/v1 key")
        policy[witness.vkey] = witness
    if not 0 <= threshold <= len(policy):
        raise VerificationError(
            f"a witness threshold of {threshold} cannot be met by {len(policy)} witness keys"
        )
    if len(leaf_hash) != merkle.HASH_SIZE:
        raise VerificationError("the leaf hash must be 32 bytes (SHA-256)")

    if not isinstance(bundle, proofbundle.ProofBundle):
        try:
            bundle = proofbundle.parse(bundle)
        except proofbundle.BundleError as exc:
            raise VerificationError(f"the proof bundle is malformed: {exc}") from exc

    try:
        checkpoint, signed = note.open_checkpoint(
            bundle.checkpoint, log, policy.values(), origin=origin
        )
    except note.UnverifiedNoteError as exc:
        raise VerificationError(
            f"the checkpoint carries no signature by the log key {log.name}+{log.key_id:08x}"
        ) from exc
    except note.InvalidSignatureError as exc:
        raise VerificationError(
            f"the checkpoint's signature by {exc.name}+{exc.key_id:08x} is invalid: "
            "the checkpoint or its signature was altered"
        ) from exc
    except note.NoteError as exc:
        raise VerificationError(f"the checkpoint is not acceptable: {exc}") from exc

    witness_ids = {(w.name, w.key_id) for w in policy.values()}
    cosigned_by = tuple(s.name for s in signed.sigs if (s.name, s.key_id) in witness_ids)
    if len(cosigned_by) < threshold:
        raise VerificationError(
            f"only {len(cosigned_by)} of the {len(policy)} trusted witnesses cosigned the "
            f"checkpoint; the policy needs {threshold}"
        )

    if bundle.index >= checkpoint.size:
        raise VerificationError(
            f"index {bundle.index} is beyond the checkpoint's tree of {checkpoint.size} entries"
        )
    try:
        merkle.verify_inclusion(
            leaf_hash, bundle.index, checkpoint.size, bundle.inclusion_proof, checkpoint.root_hash
        )
    except merkle.ProofError as exc:
        raise VerificationError(
            f"the entry is not at index {bundle.index} of the log at size {checkpoint.size}: "
            f"{exc} (the entry, the index or the proof differs from what the log signed)"
        ) from exc
    return VerifiedProof(
        checkpoint.origin, bundle.index, checkpoint.size, checkpoint.root_hash, cosigned_by
    )


def verify_entry(bundle: bytes, entry: bytes, log_key: str, **policy) -> VerifiedProof:
    """verify_bundle for the entry's own bytes: its leaf hash is SHA-256(0x00 || entry)."""
    return verify_bundle(bundle, merkle.leaf_hash(entry), log_key, **policy)


def parse_leaf_hash(text: str) -> bytes:
    """A leaf hash given as 64 hex digits or as base64."""
    text = text.strip()
    try:
        digest = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise VerificationError("the leaf hash must be 64 hex digits or base64") from exc
    if len(digest) != merkle.HASH_SIZE:
        raise VerificationError("the leaf hash must be 32 bytes (SHA-256)")
    return digest


class _UsageError(Exception):
    pass


class _ArgumentParser(argparse.ArgumentParser):
    # argparse exits with status 2 on a usage error; the command promises 0 or 1.
    def error(self, message):
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="trustlabel-verify-proof",
        description="Check a TrustLabel ledger proof bundle (C2SP tlog-proof) offline.",
    )
    parser.add_argument("bundle", type=Path, help="the .tlog-proof file")
    parser.add_argument("entry", type=Path, nargs="?", help="the entry's bytes, as logged")
    parser.add_argument("--leaf-hash", help="the entry's leaf hash instead (hex or base64)")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--key", help="the log's verifier key (name+id+base64)")
    keys.add_argument("--key-file", type=Path, help="a file holding the log's verifier key")
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="VKEY",
        help="a trusted witness's cosignature/v1 verifier key (repeatable)",
    )
    parser.add_argument(
        "--witness-threshold",
        type=int,
        metavar="K",
        help="how many of the witnesses must have cosigned (default: all given)",
    )
    parser.add_argument("--origin", help="the log's origin line (default: the key's name)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The trustlabel-verify-proof command: 0 when the proof holds, 1 otherwise."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if (args.entry is None) == (args.leaf_hash is None):
            raise _UsageError("give either the entry file or --leaf-hash")
        if args.witness_threshold is not None and not args.witness:
            raise _UsageError("--witness-threshold needs at least one --witness")
    except _UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"trustlabel-verify-proof: error: {exc}", file=sys.stderr)
        return 1
    try:
        key = args.key if args.key is not None else _read_text(args.key_file, "key file")
        bundle = _read_bytes(args.bundle, "proof bundle")
        if args.leaf_hash is not None:
            leaf = parse_leaf_hash(args.leaf_hash)
        else:
            leaf = merkle.leaf_hash(_read_bytes(args.entry, "entry file"))
        threshold = args.witness_threshold
        if threshold is None:
            threshold = len(set(args.witness))
        result = verify_bundle(bundle, leaf, key, args.witness, threshold, args.origin)
    except VerificationError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(
        f"OK: entry {result.index} is in {result.origin} at tree size {result.size} "
        f"(root {base64.b64encode(result.root_hash).decode()})"
    )
    if args.witness:
        names = ", ".join(result.cosigned_by) or "none"
        print(f"cosigned by {len(result.cosigned_by)} trusted witnesses: {names}")
    return 0


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot read the {what} {path}: {exc.strerror}") from exc


def _read_text(path: Path, what: str) -> str:
    try:
        return _read_bytes(path, what).decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise VerificationError(f"the {what} {path} is not UTF-8 text") from exc


if __name__ == "__main__":
    sys.exit(main())
