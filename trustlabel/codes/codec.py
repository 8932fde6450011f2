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
functions with arrays of one.
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
        return out[:count, 0].astype(np.uint64) % np.uint64(10**MAC_DIGITS)

    def code_digits(self, serials: np.ndarray) -> np.ndarray:
        """The (N, 20) digit matrix of the codes of the given internal serials."""
        count = serials.shape[0]
        digits = np.empty((count, CODE_LENGTH), dtype=np.uint8)
        digits[:, 0] = self.digit
        digits[:, 1 : 1 + SERIAL_DIGITS] = to_digits(
            self._serial_ff1.encrypt(serials), SERIAL_DIGITS
        )
        digits[:, 1 + SERIAL_DIGITS : -1] = to_digits(self.macs(serials), MAC_DIGITS)
        digits[:, -1] = damm_interim(digits[:, :-1])
        return digits

    def public_serial_digits(self, serials: np.ndarray) -> np.ndarray:
        count = serials.shape[0]
        digits = np.empty((count, PUBLIC_LENGTH), dtype=np.uint8)
        digits[:, 0] = self.digit
        digits[:, 1:-1] = to_digits(self._public_ff1.encrypt(serials), SERIAL_DIGITS)
        digits[:, -1] = damm_interim(digits[:, :-1])
        return digits

    def code(self, serial: int) -> str:
        return digits_to_text(self.code_digits(np.array([serial], dtype=np.uint64)))[0]

    def public_serial(self, serial: int) -> str:
        return digits_to_text(self.public_serial_digits(np.array([serial], dtype=np.uint64)))[0]

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
