"""Code keys at run time: which CodeKey opens a code, with unwrapped keys cached.

A version's secret never changes, so `CodeKey` objects are cached for the life of the
process. The map from version digit to version changes only when a version is retired and
its digit reused ten rotations later; it is re-read every minute.

Checking one code is the hot path of every consumer check: `serial_of` opens one code with
plain integers and one AES call per FF1 round instead of numpy arrays of one (a fifth of
the time), giving exactly what `CodeKey.serial_of` gives.
"""

import hmac
import math
import threading
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured

from . import codec
from .codec import CodeKey
from .ff1 import ROUNDS
from .keyring import load_master_key, master_fingerprint, subkey, unwrap_secret
from .models import KeyVersion

_DIGIT_MAP_TTL = 60.0
_lock = threading.Lock()
_code_keys: dict[int, CodeKey] = {}
_openers: dict[int, "OneCodeOpener"] = {}
_digit_map: tuple[float, dict[int, int]] = (0.0, {})
_DAMM = tuple(tuple(int(x) for x in row) for row in codec.DAMM_TABLE)
_ZERO = ord("0")


def damm_valid(text: str) -> bool:
    """`codec.damm_valid` for one ASCII digit string, without numpy."""
    interim = 0
    for char in text.encode("ascii"):
        interim = _DAMM[interim][char - _ZERO]
    return interim == 0


class OneCodeOpener:
    """Opens one code of one key version: FF1 decryption of the printed serial (NIST SP
    800-38G, radix 10, empty tweak, as `ff1.FF1`) and the MAC check, on Python ints."""

    def __init__(self, serial_key: bytes, mac_key: bytes):
        self._ff1 = Cipher(algorithms.AES(serial_key), modes.ECB())  # noqa: S305 - FF1's PRF
        self._mac = Cipher(algorithms.AES(mac_key), modes.ECB())  # noqa: S305 - a PRF on one block
        digits = codec.SERIAL_DIGITS
        half = digits // 2
        self._modulus = 10**half
        # As in ff1.FF1: b bytes hold NUM(B) of a half, d bytes of each PRF block are used.
        b = math.ceil(math.ceil(half * math.log2(10)) / 8)
        if 4 * math.ceil(b / 4) + 4 != 8:
            raise ValueError("the one-code path takes halves of up to 9 digits (d = 8)")
        p = (
            bytes([1, 2, 1])
            + (10).to_bytes(3, "big")
            + bytes([10, half % 256])
            + digits.to_bytes(4, "big")
            + (0).to_bytes(4, "big")
        )
        # ECB contexts keep no state between whole blocks: each thread keeps its own two
        # and reuses them for every code it opens (making them costs more than a round).
        self._contexts = threading.local()
        enc = self._ff1.encryptor()
        y0 = enc.update(p) + enc.finalize()
        self._y0_head = y0[:8]
        self._y0_tail = int.from_bytes(y0[8:], "big")
        self._round_shift = 8 * b

    @classmethod
    def of_secret(cls, secret: bytes) -> "OneCodeOpener":
        """The opener of a key version's codes, with CodeKey's subkeys."""
        return cls(subkey(secret, "code serial"), subkey(secret, "code mac"))

    def _encryptors(self):
        """This thread's (FF1, MAC) AES-ECB encryption contexts."""
        contexts = self._contexts
        try:
            return contexts.pair
        except AttributeError:
            contexts.pair = (self._ff1.encryptor(), self._mac.encryptor())
            return contexts.pair

    def decrypt(self, printed_serial: int) -> int:
        """FF1 decryption, as `ff1.FF1.decrypt` of an array of one."""
        m = self._modulus
        a, b = divmod(printed_serial, m)
        enc = self._encryptors()[0]
        head, tail, shift = self._y0_head, self._y0_tail, self._round_shift
        for i in reversed(range(ROUNDS)):
            # PRF(P || Q) = AES(AES(P) xor Q); Q's last 8 bytes hold the round and NUM(A).
            block = enc.update(head + (a ^ tail ^ (i << shift)).to_bytes(8, "big"))
            b, a = a, (b - int.from_bytes(block[:8], "big") % m) % m
        return a * m + b

    def serial_of(self, printed_serial: int, mac: int) -> int | None:
        serial = self.decrypt(printed_serial)
        block = self._encryptors()[1].update(
            codec._MAC_TAG.to_bytes(8, "big") + serial.to_bytes(8, "big")
        )
        expected = int.from_bytes(block[:8], "big") % 10**codec.MAC_DIGITS
        # Constant-time comparison: response timing must not leak MAC digits.
        if not hmac.compare_digest(expected.to_bytes(8, "big"), mac.to_bytes(8, "big")):
            return None
        return serial


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
            _openers[version.version] = OneCodeOpener.of_secret(secret)
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
    return code_key_of_version(version)


def code_key_of_version(version: int) -> CodeKey:
    """The key of a version by its number: from the cache, else unwrapped once."""
    key = _code_keys.get(version)
    if key is None:
        key = code_key(KeyVersion.objects.get(pk=version))
    return key


def serial_of(key: CodeKey, code: str) -> int | None:
    """The internal serial of a well-formed 20-digit code of `key` (from
    `code_key_for_digit`), or None when its MAC is wrong: `key.serial_of(parse_code(code))`
    without numpy."""
    parsed = codec.parse_code(code)
    opener = _openers.get(key.version)
    if opener is None:  # forgotten by another thread since `key` was handed out
        return key.serial_of(parsed)
    return opener.serial_of(parsed.printed_serial, parsed.mac)


def forget_cached_keys() -> None:
    """After rotation or retirement in this process (and in tests)."""
    global _digit_map
    with _lock:
        _openers.clear()
        _code_keys.clear()
        _digit_map = (0.0, {})
