"""Time the offline check of one proof bundle in a log of 10 million entries.

    .venv/bin/python -m trustlabel.ledger.bench_verify [--runs N]

The target is under 1 ms a bundle. The bundle carries what a real one does at that size:
an inclusion proof of 24 hashes and a checkpoint signed by the log, then the same with
three witness cosignatures checked against a 2-of-3 policy. Its proof hashes are random
and its root is the one they lead to, which is the root of some tree of 10 million
entries: the verifier does exactly the work it does on a real bundle, without building
a 10-million-entry tree first. Each timed call starts from the bundle's bytes and the
keys' text, as the trustlabel-verify-proof command does.
"""

import argparse
import os
import statistics
import time

from trustlabel.ledger import merkle, note, proofbundle, verify

SIZE = 10_000_000
INDEX = 7_654_321
ORIGIN = "ledger.example/trustlabel"


def make_bundle(witness_count: int) -> tuple[bytes, bytes, str, list[str]]:
    """A bundle for entry INDEX at SIZE, with its leaf hash, log vkey and witness vkeys."""
    leaf = merkle.leaf_hash(b"bench entry")
    # A hash reader that makes up every stored hash gives a proof of the right shape.
    proof = merkle.inclusion_proof(SIZE, INDEX, lambda indexes: [os.urandom(32) for _ in indexes])
    root = merkle.root_from_inclusion_proof(leaf, INDEX, SIZE, proof)
    signer = note.Signer.from_key(note.generate_key(ORIGIN)[0])
    checkpoint = note.sign_checkpoint(note.Checkpoint(ORIGIN, SIZE, root), signer)
    witnesses = [
        note.CosignatureSigner.from_key(
            note.generate_key(f"witness{i}.example", note.ALG_COSIGNATURE_V1)[0]
        )
        for i in range(witness_count)
    ]
    lines = [note.cosign(checkpoint, w) for w in witnesses]
    checkpoint = note.add_signature_lines(checkpoint, lines)
    bundle = proofbundle.ProofBundle(INDEX, tuple(proof), checkpoint).format()
    return bundle, leaf, signer.vkey, [w.vkey for w in witnesses]


def median_microseconds(runs: int, witness_count: int, threshold: int) -> tuple[float, int]:
    bundle, leaf, vkey, witness_vkeys = make_bundle(witness_count)
    proof_length = len(proofbundle.parse(bundle).inclusion_proof)
    timings = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        verify.verify_bundle(bundle, leaf, vkey, witness_vkeys, threshold)
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000, proof_length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    for witness_count, threshold in [(0, 0), (3, 2)]:
        micros, proof_length = median_microseconds(args.runs, witness_count, threshold)
        policy = f"{witness_count} witness cosignatures, {threshold}-of-{witness_count} policy"
        print(
            f"size {SIZE:,}, proof of {proof_length} hashes, log signature"
            f"{', ' + policy if witness_count else ''}: median {micros:.0f} µs per bundle"
        )


if __name__ == "__main__":
    main()
