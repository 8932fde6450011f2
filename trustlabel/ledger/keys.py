"""The log's signing key: TRUSTLABEL_LEDGER_KEY (or TRUSTLABEL_LEDGER_KEY_FILE), a signed-
note Ed25519 private key (`PRIVATE+KEY+<name>+<id>+<key>`, as `trustlabel ledger_key`
makes it). Its name is the log's origin, the first line of every checkpoint; its public
half (the vkey) is published at /ledger/key and in docs/ledger.md."""

import functools

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .note import NoteError, Signer


class LedgerNotConfigured(ImproperlyConfigured):
    pass


@functools.cache
def _signer(key_text: str) -> Signer:
    try:
        return Signer.from_key(key_text)
    except NoteError as e:
        raise ImproperlyConfigured(f"TRUSTLABEL_LEDGER_KEY: not a signed-note key ({e})") from e


def signer() -> Signer:
    """The log's signer; LedgerNotConfigured when no key is set."""
    if not settings.TRUSTLABEL_LEDGER_KEY:
        raise LedgerNotConfigured(
            "TRUSTLABEL_LEDGER_KEY (or TRUSTLABEL_LEDGER_KEY_FILE) is not set: "
            "make one with `trustlabel ledger_key NAME`"
        )
    return _signer(settings.TRUSTLABEL_LEDGER_KEY)
