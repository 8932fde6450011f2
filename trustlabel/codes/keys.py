"""Code keys at run time: which CodeKey opens a code, with unwrapped keys cached.

A version's secret never changes, so `CodeKey` objects are cached for the life of the
process. The map from version digit to version changes only when a version is retired and
its digit reused ten rotations later; it is re-read every minute.
"""

import threading
import time

from django.core.exceptions import ImproperlyConfigured

from .codec import CodeKey
from .keyring import load_master_key, master_fingerprint, unwrap_secret
from .models import KeyVersion

_DIGIT_MAP_TTL = 60.0
_lock = threading.Lock()
_code_keys: dict[int, CodeKey] = {}
_digit_map: tuple[float, dict[int, int]] = (0.0, {})


def code_key(version: KeyVersion) -> CodeKey:
    key = _code_keys.get(version.version)
    if key is None:
        master = load_master_key()
        if version.master_fingerprint != master_fingerprint(master):
            raise ImproperlyConfigured(
                f"key version {version.version} was wrapped by another master key "
                f"(fingerprint {version.master_fingerprint}, loaded {master_fingerprint(master)})"
            )
        secret = unwrap_secret(master, version.version, bytes(version.wrapped_secret))
        key = CodeKey(version.version, secret)
        with _lock:
            _code_keys[version.version] = key
    return key


def code_key_for_digit(digit: int) -> CodeKey | None:
    """The live key version whose codes start with `digit`, or None."""
    global _digit_map
    loaded_at, mapping = _digit_map
    if time.monotonic() - loaded_at > _DIGIT_MAP_TTL or digit not in mapping:
        mapping = {}
        for kv in KeyVersion.objects.filter(retired_at__isnull=True).order_by("version"):
            mapping[kv.digit] = kv.version
        _digit_map = (time.monotonic(), mapping)
    version = mapping.get(digit)
    if version is None:
        return None
    key = _code_keys.get(version)
    if key is None:
        key = code_key(KeyVersion.objects.get(pk=version))
    return key


def forget_cached_keys() -> None:
    """After rotation or retirement in this process (and in tests)."""
    global _digit_map
    with _lock:
        _code_keys.clear()
        _digit_map = (0.0, {})
