"""The tamper-evident ledger: a Merkle-tree log with signed checkpoints and proofs.

merkle, note, proofbundle and verify import nothing from Django, so that the stand-alone
verifier can run anywhere; keep this file free of imports.
"""
