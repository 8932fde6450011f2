"""The label code: what is printed, how it is made, how it is read back.

A code is 20 digits (docs/codes.md explains every choice):

    V SSSSSSSSSS MMMMMMMM C
    |     |         |     `- Damm check digit over the 19 before it
    |     |         `------- MAC: AES-128 of the internal serial, reduced to 8 digits
    |     `----------------- printed serial: FF1 (keyed bijection) of the internal serial
    `----------------------- key version digit

A scratch-off label also carries a 12-digit public serial, V PPPPPPPPPP C, made with an
independent FF1 key, so the public serial on the outside tells nothing about the code
under the coating.

Everything here works on numpy arrays, so an order of 10^8 codes is a few hundred calls
into OpenSSL and numpy rather than 10^8 Python loops; checking one code uses the same
functions with arrays of one. Making codes in bulk formats them with lookup tables: the
ASCII of every 4-digit group, and the Damm interim after every 5-digit (or 4-digit) group
from every interim, so a 20-digit code costs four table look-ups instead of 19.
"""

import hmac
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .ff1 import FF1
from .keyring import subkey

SERIAL_DIGITS = 10
MAC_DIGITS = 8
CODE_LENGTH = 1 + SERIAL_DIGITS + MAC_DIGITS + 1
PUBLIC_LENGTH = 1 + SERIAL_DIGITS + 1
SERIAL_SPACE = 10**SERIAL_DIGITS
# Allocation stops at this many serials per key version (then rotate), which keeps a
# forger's chance per guessed code at most 5e8/1e10 * 1e-8 = 5e-10 (docs/codes.md).
MAX_SERIALS_PER_VERSION = 5 * 10**8
_MAC_TAG = int.from_bytes(b"TL-MAC-1", "big")

# The Damm quasigroup of order 10 (Damm 2004): T[interim][digit] -> next interim.
DAMM_TABLE = np.array(
    [
        [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
        [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
        [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
        [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
        [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
        [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
        [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
        [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
        [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
        [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
    ],
    dtype=np.uint8,
)


def _damm_groups(width: int) -> np.ndarray:
    """table[i, n]: the Damm interim after the `width` digits of n, starting from interim i."""
    table = np.arange(10, dtype=np.uint8)[:, None]  # after no digits: i itself
    for w in range(1, width + 1):
        n = np.arange(10**w)
        table = DAMM_TABLE[table[:, n // 10], n % 10]
    return table


_DAMM4 = _damm_groups(4)  # (10, 10^4)
_DAMM5 = _damm_groups(5)  # (10, 10^5), 1 MB
# The four ASCII digits of every n < 10^4, as one native uint32 each.
_ASCII4 = (
    (np.arange(10**4)[:, None] // np.array([1000, 100, 10, 1]) % 10 + ord("0"))
    .astype(np.uint8)
    .view(np.uint32)[:, 0]
    .copy()
)


def damm_interim(digits: np.ndarray, start: np.ndarray | int = 0) -> np.ndarray:
    """Run the Damm table over the columns of an (N, k) digit matrix."""
    interim = np.broadcast_to(np.asarray(start, dtype=np.uint8), digits.shape[:1]).copy()
    for column in range(digits.shape[1]):
        interim = DAMM_TABLE[interim, digits[:, column]]
    return interim


def to_digits(values: np.ndarray, width: int) -> np.ndarray:
    """An (N, width) uint8 matrix of the decimal digits of each value, zero-padded."""
    powers = np.uint64(10) ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    return ((values.astype(np.uint64)[:, None] // powers) % np.uint64(10)).astype(np.uint8)


def from_digits(digits: np.ndarray) -> np.ndarray:
    powers = np.uint64(10) ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.uint64)
    return (digits.astype(np.uint64) * powers).sum(axis=1, dtype=np.uint64)


def put_digits(rows: np.ndarray, offset: int, width: int, values: np.ndarray) -> None:
    """Write each value as `width` zero-padded ASCII digits into rows[:, offset:offset+width].

    `rows` is an (N, L) uint8 matrix and every value is below 10^width. Four digits go in
    at a time from a lookup table, right to left; when the width is not a multiple of
    four, the leftmost group overlaps its neighbour and writes the same digits again.
    """
    values = np.asarray(values, dtype=np.uint64)
    if width < 4:
        for k in range(width):
            column = values // np.uint64(10 ** (width - 1 - k)) % np.uint64(10)
            rows[:, offset + k] = column + ord("0")
        return
    end = offset + width
    starts = list(range(end - 4, offset - 1, -4))
    if starts[-1] != offset:
        starts.append(offset)
    group_size = np.uint64(10**4)
    for start in starts:
        group = values // np.uint64(10 ** (end - start - 4)) if start != end - 4 else values
        group = group - group // group_size * group_size
        rows[:, start : start + 4].view(np.uint32)[:, 0] = _ASCII4[group]


def damm_valid(text: str) -> bool:
    digits = np.frombuffer(text.encode("ascii"), dtype=np.uint8) - ord("0")
    return int(damm_interim(digits[None, :])[0]) == 0


@dataclass(frozen=True)
class ParsedCode:
    digit: int  # key version digit
    printed_serial: int
    mac: int


@dataclass(frozen=True)
class ParsedPublicSerial:
    digit: int
    public_serial: int


class CodeKey:
    """One key version's codec: its FF1 permutations and MAC key."""

    def __init__(self, version: int, secret: bytes):
        self.version = version
        self.digit = version % 10
        self._serial_ff1 = FF1(subkey(secret, "code serial"), SERIAL_DIGITS)
        self._public_ff1 = FF1(subkey(secret, "public serial"), SERIAL_DIGITS)
        self._mac_cipher = Cipher(algorithms.AES(subkey(secret, "code mac")), modes.ECB())  # noqa: S305 - a PRF on single blocks

    def macs(self, serials: np.ndarray) -> np.ndarray:
        """The MAC digits of each internal serial: AES_k(tag || serial) mod 10^8."""
        count = serials.shape[0]
        blocks = np.empty((count, 2), dtype=">u8")
        blocks[:, 0] = _MAC_TAG
        blocks[:, 1] = serials
        out = np.empty((count + 1, 2), dtype=">u8")
        self._mac_cipher.encryptor().update_into(
            memoryview(blocks).cast("B"), memoryview(out).cast("B")
        )
        # 2^64 is not a multiple of 10^8; the bias this leaves is below 10^-10.
        words = out[:count, 0].astype(np.uint64)
        modulus = np.uint64(10**MAC_DIGITS)
        words -= words // modulus * modulus  # the remainder, by numpy's fast scalar division
        return words

    def code_ascii(self, serials: np.ndarray) -> np.ndarray:
        """The (N, 20) uint8 matrix of the codes of the given internal serials, as ASCII."""
        serials = np.asarray(serials, dtype=np.uint64)
        high, low = self._serial_ff1.encrypt_halves(serials)
        mac = self.macs(serials)
        mac_high = mac // np.uint64(10**4)
        mac_low = mac - mac_high * np.uint64(10**4)
        text = np.empty((serials.shape[0], CODE_LENGTH), dtype=np.uint8)
        text[:, 0] = ord("0") + self.digit
        put_digits(text, 1, 5, high)
        put_digits(text, 6, 5, low)
        put_digits(text, 11, 4, mac_high)
        put_digits(text, 15, 4, mac_low)
        interim = _DAMM5[DAMM_TABLE[0, self.digit], high]
        interim = _DAMM5[interim, low]
        interim = _DAMM4[interim, mac_high]
        text[:, -1] = _DAMM4[interim, mac_low] + ord("0")
        return text

    def public_serial_ascii(self, serials: np.ndarray) -> np.ndarray:
        """The (N, 12) uint8 matrix of the public serials of the given serials, as ASCII."""
        serials = np.asarray(serials, dtype=np.uint64)
        high, low = self._public_ff1.encrypt_halves(serials)
        text = np.empty((serials.shape[0], PUBLIC_LENGTH), dtype=np.uint8)
        text[:, 0] = ord("0") + self.digit
        put_digits(text, 1, 5, high)
        put_digits(text, 6, 5, low)
        interim = _DAMM5[DAMM_TABLE[0, self.digit], high]
        text[:, -1] = _DAMM5[interim, low] + ord("0")
        return text

    def code_digits(self, serials: np.ndarray) -> np.ndarray:
        """The (N, 20) digit matrix of the codes of the given internal serials."""
        return self.code_ascii(serials) - np.uint8(ord("0"))

    def public_serial_digits(self, serials: np.ndarray) -> np.ndarray:
        return self.public_serial_ascii(serials) - np.uint8(ord("0"))

    def code(self, serial: int) -> str:
        return self.code_ascii(np.array([serial], dtype=np.uint64))[0].tobytes().decode("ascii")

    def public_serial(self, serial: int) -> str:
        text = self.public_serial_ascii(np.array([serial], dtype=np.uint64))
        return text[0].tobytes().decode("ascii")

    def serial_of(self, parsed: ParsedCode) -> int | None:
        """The internal serial of a well-formed code, or None when its MAC is wrong."""
        serial = self._serial_ff1.decrypt(np.array([parsed.printed_serial], dtype=np.uint64))
        expected = int(self.macs(serial)[0])
        # Constant-time comparison: response timing must not leak MAC digits.
        if not hmac.compare_digest(expected.to_bytes(8, "big"), parsed.mac.to_bytes(8, "big")):
            return None
        return int(serial[0])

    def serial_of_public(self, parsed: ParsedPublicSerial) -> int:
        return int(self._public_ff1.decrypt(np.array([parsed.public_serial], dtype=np.uint64))[0])


def digits_to_text(digits: np.ndarray) -> list[str]:
    ascii_rows = (digits + ord("0")).astype(np.uint8)
    return [row.tobytes().decode("ascii") for row in ascii_rows]


def parse_code(text: str) -> ParsedCode:
    """Split a 20-digit string whose check digit is right. The caller checks the length
    and runs `damm_valid` first."""
    return ParsedCode(
        digit=int(text[0]),
        printed_serial=int(text[1 : 1 + SERIAL_DIGITS]),
        mac=int(text[1 + SERIAL_DIGITS : -1]),
    )


def parse_public_serial(text: str) -> ParsedPublicSerial:
    return ParsedPublicSerial(digit=int(text[0]), public_serial=int(text[1:-1]))
