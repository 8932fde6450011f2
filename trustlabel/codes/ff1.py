"""NIST SP 800-38G FF1 with AES, radix 10, vectorised over numpy arrays.

FF1 is the standard format-preserving encryption: a keyed bijection on n-digit numbers.
We use it to turn internal serials (0, 1, 2, …) into printed serials that look random.
This implementation is specialised to what the codec needs: an even number of decimal
digits (n <= 18, so each half fits comfortably in a uint64) and an empty tweak. With those,
each round's PRF input is one AES block, so a round over a million serials is one call into
OpenSSL: AES-ECB over a million blocks.

Known-answer tests against NIST's published samples are in tests/test_ff1.py.
"""

import math

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ROUNDS = 10
RADIX = 10


class FF1:
    def __init__(self, key: bytes, digits: int):
        if digits % 2 or not 6 <= digits <= 18:
            raise ValueError("FF1 here takes an even number of digits from 6 to 18")
        self.digits = digits
        self.half = digits // 2
        self.modulus = RADIX**self.half
        # b: bytes needed for NUM(B) of the larger half; d: bytes of PRF output used.
        self.b = math.ceil(math.ceil(self.half * math.log2(RADIX)) / 8)
        self.d = 4 * math.ceil(self.b / 4) + 4
        if 1 + self.b > 16 or self.d > 16:
            raise ValueError("domain too large for the single-block PRF")
        self._ecb = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - FF1's PRF is AES per block
        p = (
            bytes([1, 2, 1])
            + RADIX.to_bytes(3, "big")
            + bytes([ROUNDS, self.half % 256])
            + digits.to_bytes(4, "big")
            + (0).to_bytes(4, "big")  # tweak length t = 0
        )
        # PRF(P || Q) is CBC-MAC with a zero IV: AES(AES(P) xor Q). AES(P) is a constant.
        y0 = self._aes(p)
        self._y0_words = (
            np.uint64(int.from_bytes(y0[:8], "big")),
            np.uint64(int.from_bytes(y0[8:], "big")),
        )

    def _aes(self, data: bytes) -> bytes:
        enc = self._ecb.encryptor()
        return enc.update(data) + enc.finalize()

    def _round_values(self, i: int, half: np.ndarray) -> np.ndarray:
        """y mod radix^m for round i, for every value of the half that feeds the PRF.

        A block is two big-endian 64-bit words: AES(P) xor Q, where
        Q = [0]^(15-b) || [i] || NUM(B) as b bytes. Only the second word varies.
        """
        count = half.shape[0]
        blocks = np.empty((count, 2), dtype=">u8")
        blocks[:, 0] = self._y0_words[0]
        blocks[:, 1] = half ^ (self._y0_words[1] ^ np.uint64(i << (8 * self.b)))
        # update_into wants room for one block more than it writes.
        out = np.empty((count + 1, 2), dtype=">u8")
        enc = self._ecb.encryptor()
        enc.update_into(memoryview(blocks).cast("B"), memoryview(out).cast("B"))
        out = out[:count]
        if self.d == 8:
            return out[:, 0].astype(np.uint64) % np.uint64(self.modulus)
        # d = 12 or 16: fold the 32-bit pieces modulo radix^m without overflow.
        m = np.uint64(self.modulus)
        words = out.view(">u4").reshape(count, 4)
        acc = np.zeros(count, dtype=np.uint64)
        for k in range(self.d // 4):
            acc = (acc * np.uint64(2**32 % self.modulus) + words[:, k].astype(np.uint64) % m) % m
        return acc

    def encrypt(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.uint64)
        m = np.uint64(self.modulus)
        a, b = x // m, x % m
        for i in range(ROUNDS):
            c = (a + self._round_values(i, b)) % m
            a, b = b, c
        return a * m + b

    def decrypt(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.uint64)
        m = np.uint64(self.modulus)
        a, b = x // m, x % m
        for i in reversed(range(ROUNDS)):
            c = (b + m - self._round_values(i, a)) % m
            b, a = a, c
        return a * m + b
