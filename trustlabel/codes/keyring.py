"""The master key and the versioned key ring.

Each key version holds one random 256-bit secret, stored only wrapped (AES-256-GCM) by the
master key, with the version number as associated data so a wrapped key cannot be moved to
another version. The master key comes from TRUSTLABEL_MASTER_KEY (base64 or hex of 32
bytes) or the file named by TRUSTLABEL_MASTER_KEY_FILE, never from the database.

Unwrapped secrets are cached per version in the process: a version's secret never changes
once written, so the cache cannot go stale.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured


class KeyRingError(Exception):
    pass


def decode_master_key(text: str, source: str) -> bytes:
    text = text.strip()
    for decode in (bytes.fromhex, base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    raise ImproperlyConfigured(
        f"{source} must hold 32 random bytes as hex or base64 "
        "(make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
    )


def load_master_key() -> bytes:
    if (path := os.environ.get("TRUSTLABEL_MASTER_KEY_FILE")) is not None:
        try:
            return decode_master_key(Path(path).read_text(), "TRUSTLABEL_MASTER_KEY_FILE")
        except OSError as e:
            raise ImproperlyConfigured(f"TRUSTLABEL_MASTER_KEY_FILE={path}: {e.strerror}") from e
    if value := os.environ.get("TRUSTLABEL_MASTER_KEY"):
        return decode_master_key(value, "TRUSTLABEL_MASTER_KEY")
    raise ImproperlyConfigured(
        "Set TRUSTLABEL_MASTER_KEY or TRUSTLABEL_MASTER_KEY_FILE: label codes cannot be "
        "made or checked without the master key"
    )


def master_fingerprint(master: bytes) -> str:
    """A short public tag of the master key, to say plainly when the wrong one is loaded."""
    return hmac.new(master, b"trustlabel master key fingerprint", hashlib.sha256).hexdigest()[:16]


def _aad(version: int) -> bytes:
    return f"trustlabel key version {version}".encode()


def wrap_secret(master: bytes, version: int, secret: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(master).encrypt(nonce, secret, _aad(version))


def unwrap_secret(master: bytes, version: int, wrapped: bytes) -> bytes:
    try:
        return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], _aad(version))
    except InvalidTag:
        raise KeyRingError(
            f"key version {version} does not open with this master key "
            "(is TRUSTLABEL_MASTER_KEY the one the key ring was made with?)"
        ) from None


def new_secret() -> bytes:
    return secrets.token_bytes(32)


@functools.lru_cache(maxsize=64)
def subkey(secret: bytes, purpose: str) -> bytes:
    """An independent AES-128 key for one purpose, derived from a version's secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=16, salt=None, info=f"trustlabel {purpose}".encode()
    ).derive(secret)
