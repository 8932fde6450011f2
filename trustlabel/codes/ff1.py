"""NIST SP 800-38G FF1 with AES, radix 10, vectorised over numpy arrays.

FF1 is the standard format-preserving encryption: a keyed bijection on n-digit numbers.
We use it to turn internal serials (0, 1, 2, …) into printed serials that look random.
This implementation is specialised to what the codec needs: an even number of decimal
digits (n <= 18, so each half fits comfortably in a uint64) and an empty tweak. With those,
each round's PRF input is one AES block, so a round over a million serials is one call into
OpenSSL: AES-ECB over a million blocks.

Known-answer tests against NIST's published samples, and a comparison with a plain
reading of the standard, are in tests/test_ff1.py.
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
        # With at most 9 digits a half, b <= 4 and d = 8: the round value y is the first
        # 64-bit word of one AES block.
        assert self.b <= 4 and self.d == 8
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

    def _rounds(
        self, a: np.ndarray, b: np.ndarray, decrypting: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run the Feistel rounds over the halves (a, b), each an array of uint64 < m.

        A round's PRF block is two big-endian 64-bit words, AES(P) xor Q with
        Q = [0]^(15-b) || [i] || NUM(B) as b bytes, so only the second word varies. The
        block buffers are made once per call (not per object: a CodeKey is shared by
        threads) and reused by all ten rounds.
        """
        count = a.shape[0]
        m = np.uint64(self.modulus)
        blocks = np.empty((count, 2), dtype=">u8")
        blocks[:, 0] = self._y0_words[0]
        # update_into wants room for one block more than it writes.
        out = np.empty((count + 1, 2), dtype=">u8")
        words = out[:count, 0]
        in_bytes, out_bytes = memoryview(blocks).cast("B"), memoryview(out).cast("B")
        for i in reversed(range(ROUNDS)) if decrypting else range(ROUNDS):
            feed = a if decrypting else b
            blocks[:, 1] = feed ^ (self._y0_words[1] ^ np.uint64(i << (8 * self.b)))
            self._ecb.encryptor().update_into(in_bytes, out_bytes)
            y = words.astype(np.uint64)
            # y mod m as y - (y // m) * m: numpy divides by a scalar quickly but has no
            # fast path for the remainder.
            y -= (y // m) * m
            if decrypting:
                c = b + m - y  # c = (B - y) mod m
                c -= m * (c >= m)
                a, b = c, a
            else:
                y += a  # c = (A + y) mod m
                y -= m * (y >= m)
                a, b = b, y
        return a, b

    def encrypt_halves(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The encrypted values as their high and low halves (each < 10^(digits/2))."""
        x = np.asarray(x, dtype=np.uint64)
        m = np.uint64(self.modulus)
        high = x // m
        return self._rounds(high, x - high * m, decrypting=False)

    def encrypt(self, x: np.ndarray) -> np.ndarray:
        a, b = self.encrypt_halves(x)
        return a * np.uint64(self.modulus) + b

    def decrypt(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.uint64)
        m = np.uint64(self.modulus)
        high = x // m
        a, b = self._rounds(high, x - high * m, decrypting=True)
        return a * m + b
