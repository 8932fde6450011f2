"""Collecting witnesses' cosignatures for the log's checkpoints (C2SP tlog-witness).

Each witness in settings.TRUSTLABEL_LEDGER_WITNESSES, a list of (URL, vkey) pairs, gets
the new checkpoint with a consistency proof from the size it cosigned last (WitnessState);
the cosignatures that verify with its key are added to the checkpoint's note, so
/ledger/checkpoint and every proof bundle carry them. In the environment:

    TRUSTLABEL_LEDGER_WITNESSES="https://w1.example/witness w1.example+1a2b3c4d+BK...;https://..."

(pairs separated by `;`, URL and vkey by a space; the URL is the witness's submission
prefix, to which `/add-checkpoint` is added).

A witness that is down, slow or refuses is logged and skipped: witnesses add assurance,
they never stop the log. Call request_cosignatures outside the writer's transaction.
"""

import base64
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from . import merkle, note
from .actions import read_hashes
from .models import Checkpoint, WitnessState
from .witness import SIZE_CONTENT_TYPE

logger = logging.getLogger("trustlabel.ledger")

TIMEOUT = 5  # seconds a witness may take; the log moves on without it
MAX_ANSWER = 64 * 1024


class WitnessUnavailable(Exception):
    """The witness did not cosign this time; the message says why."""


class SizeConflict(WitnessUnavailable):
    def __init__(self, size: int):
        super().__init__(f"the witness is at size {size}")
        self.size = size


def configured_witnesses() -> list[tuple[str, note.Verifier]]:
    """The witnesses to ask, with their cosignature/v1 verifier keys."""
    witnesses = []
    for url, vkey in getattr(settings, "TRUSTLABEL_LEDGER_WITNESSES", []):
        try:
            key = note.verifier_from_vkey(vkey)
        except note.NoteError as e:
            raise ImproperlyConfigured(f"TRUSTLABEL_LEDGER_WITNESSES: {url}: {e}") from e
        if key.algorithm != note.ALG_COSIGNATURE_V1:
            raise ImproperlyConfigured(
                f"TRUSTLABEL_LEDGER_WITNESSES: {url}: {key.name} is not a cosignature/v1 key"
            )
        witnesses.append((url, key))
    return witnesses


def request_cosignatures(checkpoint: Checkpoint) -> int:
    """Ask every configured witness to cosign `checkpoint` and add the cosignatures that
    verify to its note; how many were added."""
    lines = []
    for url, key in configured_witnesses():
        try:
            lines += _cosignatures_from(url, key, checkpoint)
        except WitnessUnavailable as e:
            logger.warning("ledger: witness %s did not cosign size %d: %s", url, checkpoint.size, e)
    if not lines:
        return 0
    with transaction.atomic():
        # Lock the row: another round may be adding other witnesses' lines to the same note.
        stored = Checkpoint.objects.select_for_update().get(pk=checkpoint.pk)
        stored.note = note.add_signature_lines(stored.note.encode(), lines).decode()
        stored.save(update_fields=["note"])
    checkpoint.note = stored.note
    return len(lines)


def _cosignatures_from(url: str, key: note.Verifier, checkpoint: Checkpoint) -> list[str]:
    state, _ = WitnessState.objects.get_or_create(url=url)
    if state.size > checkpoint.size:
        raise WitnessUnavailable(f"it has already cosigned size {state.size}")
    try:
        answer = _add_checkpoint(url, state.size, checkpoint)
    except SizeConflict as conflict:
        # We lost track (a restored database, a witness that was reset, a first contact):
        # the witness says where it is, so try once from there.
        _remember(url, conflict.size)
        if conflict.size > checkpoint.size:
            raise
        answer = _add_checkpoint(url, conflict.size, checkpoint)
    # The witness stored this size whether or not its answer proves usable.
    _remember(url, checkpoint.size)
    return _verified_lines(answer, key, checkpoint)


def _remember(url: str, size: int) -> None:
    WitnessState.objects.filter(url=url).update(size=size)


def _add_checkpoint(url: str, old: int, checkpoint: Checkpoint) -> bytes:
    proof = merkle.consistency_proof(old, checkpoint.size, read_hashes)
    body = "".join([f"old {old}\n", *(_proof_line(h) for h in proof), "\n", checkpoint.note])
    request = urllib.request.Request(  # noqa: S310 - the operator configures http(s) URLs
        url.rstrip("/") + "/add-checkpoint",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": "trustlabel"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.read(MAX_ANSWER)
    except urllib.error.HTTPError as e:
        detail = e.read(1000).decode(errors="replace").strip()
        if e.code == 409 and e.headers.get_content_type() == SIZE_CONTENT_TYPE:
            size = detail if detail.isascii() and detail.isdigit() else ""
            if size:
                raise SizeConflict(int(size)) from None
        if e.code in (409, 422):
            # The witness holds a checkpoint of ours that this one contradicts: either
            # someone else holds our key, or we lost signed history. Loudly.
            logger.error("ledger: witness %s saw a different history: %s", url, detail)
        raise WitnessUnavailable(f"HTTP {e.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as e:
        raise WitnessUnavailable(str(getattr(e, "reason", e))) from None


def _proof_line(digest: bytes) -> str:
    return base64.b64encode(digest).decode() + "\n"


def _verified_lines(answer: bytes, key: note.Verifier, checkpoint: Checkpoint) -> list[str]:
    """The answer's cosignature lines by `key` that verify over this checkpoint."""
    try:
        lines = answer.decode("utf-8").splitlines(keepends=True)
        signed = note.add_signature_lines(checkpoint.note.encode(), lines)
        opened = note.open_note(signed, [key])
    except (UnicodeDecodeError, note.NoteError) as e:
        raise WitnessUnavailable(f"its answer holds no valid cosignature: {e}") from None
    return [s.line() for s in opened.sigs]
