"""FF1 against NIST's samples and against a plain reading of SP 800-38G.

`ff1_reference` below follows Algorithm 7 of NIST SP 800-38G line by line, one value at a
time and with any tweak; the vectorised FF1 must agree with it everywhere.
"""

import math

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlabel.codes.ff1 import FF1

# NIST SP 800-38G, FF1-AES128 samples 1 and 2 (radix 10).
NIST_KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
NIST_SAMPLE_1 = ("0123456789", b"", "2433477484")
NIST_SAMPLE_2 = ("0123456789", bytes.fromhex("39383736353433323130"), "6124200773")


def _aes_block(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block
    return enc.update(block) + enc.finalize()


def ff1_reference(key: bytes, tweak: bytes, text: str, radix: int = 10) -> str:
    """FF1.Encrypt(K, T, X) exactly as SP 800-38G, Algorithm 7, writes it."""
    n, t = len(text), len(tweak)
    u, v = n // 2, n - n // 2
    a, b = text[:u], text[u:]
    b_len = math.ceil(math.ceil(v * math.log2(radix)) / 8)
    d = 4 * math.ceil(b_len / 4) + 4
    p = bytes([1, 2, 1]) + radix.to_bytes(3, "big") + bytes([10, u % 256])
    p += n.to_bytes(4, "big") + t.to_bytes(4, "big")
    for i in range(10):
        q = tweak + bytes((-t - b_len - 1) % 16) + bytes([i]) + int(b, radix).to_bytes(b_len, "big")
        r = bytes(16)
        message = p + q
        for j in range(0, len(message), 16):  # PRF: CBC-MAC with a zero IV
            r = _aes_block(key, bytes(x ^ y for x, y in zip(r, message[j : j + 16], strict=True)))
        s = r
        for j in range(1, math.ceil(d / 16)):
            counter = j.to_bytes(16, "big")
            s += _aes_block(key, bytes(x ^ y for x, y in zip(r, counter, strict=True)))
        y = int.from_bytes(s[:d], "big")
        m = u if i % 2 == 0 else v
        c = (int(a, radix) + y) % radix**m
        a, b = b, str(c).zfill(m)  # radix 10 only, which is all this file needs
    return a + b


def test_it_matches_nist_sample_1():
    plain, tweak, cipher = NIST_SAMPLE_1
    assert tweak == b""
    ff1 = FF1(NIST_KEY, 10)
    assert ff1.encrypt(np.array([int(plain)], dtype=np.uint64))[0] == int(cipher)
    assert ff1.decrypt(np.array([int(cipher)], dtype=np.uint64))[0] == int(plain)


@pytest.mark.parametrize("sample", [NIST_SAMPLE_1, NIST_SAMPLE_2])
def test_it_checks_the_reference_against_nist(sample):
    plain, tweak, cipher = sample
    assert ff1_reference(NIST_KEY, tweak, plain) == cipher


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    digits=st.sampled_from([6, 8, 10, 12, 14, 16, 18]),
    data=st.data(),
)
def test_it_agrees_with_the_reference(key, digits, data):
    values = data.draw(st.lists(st.integers(0, 10**digits - 1), min_size=1, max_size=8))
    ff1 = FF1(key, digits)
    out = ff1.encrypt(np.array(values, dtype=np.uint64))
    expected = [int(ff1_reference(key, b"", str(x).zfill(digits))) for x in values]
    assert out.tolist() == expected


@settings(max_examples=50, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    digits=st.sampled_from([6, 10, 18]),
    data=st.data(),
)
def test_it_round_trips(key, digits, data):
    values = data.draw(st.lists(st.integers(0, 10**digits - 1), min_size=1, max_size=50))
    x = np.array(values, dtype=np.uint64)
    ff1 = FF1(key, digits)
    y = ff1.encrypt(x)
    assert (y < 10**digits).all()
    assert ff1.decrypt(y).tolist() == values
    high, low = ff1.encrypt_halves(x)
    assert (high * np.uint64(10 ** (digits // 2)) + low).tolist() == y.tolist()


def test_it_is_a_bijection_on_the_whole_domain():
    ff1 = FF1(bytes(range(16)), 6)
    domain = np.arange(10**6, dtype=np.uint64)
    image = ff1.encrypt(domain)
    assert np.unique(image).size == 10**6
    assert image.max() < 10**6
    assert (ff1.decrypt(image) == domain).all()


@pytest.mark.parametrize("digits", [4, 7, 20])
def test_it_refuses_unsupported_lengths(digits):
    with pytest.raises(ValueError, match="even number of digits"):
        FF1(NIST_KEY, digits)
