"""The code codec, checked through the real verification core.

The promises of docs/codes.md, as properties: every issued code verifies; every typo a
person can make (one wrong digit, two neighbours swapped) is answered "mistyped" and never
"fake"; a forged MAC or an unissued serial is "unknown"; and codes keep verifying across
key rotation. The fast table-driven formatting must stay bit-identical to the plain
definition, or printed labels would stop verifying.
"""

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import damm

from trustlabel.codes import actions as codes
from trustlabel.codes import codec
from trustlabel.codes.codec import CodeKey
from trustlabel.codes.keyring import subkey
from trustlabel.codes.keys import code_key
from trustlabel.verify.core import CheckContext, verify

from .test_ff1 import ff1_reference

FIXTURE_CHECKS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Codes made by the first release of the codec, for a fixed secret. Labels printed with
# them must keep verifying, so these never change.
KNOWN_SECRET = bytes(range(32))
KNOWN_CODES = {
    (1, 0): "18466336470967229231",
    (1, 1): "15746930705671758098",
    (1, 4999999999): "18003298559186287662",
    (1, 9999999999): "13909559566110439805",
    (12, 0): "28466336470967229236",
    (12, 1): "25746930705671758092",
}
KNOWN_PUBLIC = {
    (1, 0): "169378364176",
    (1, 1): "173693825847",
    (1, 9999999999): "134339754268",
    (12, 0): "269378364173",
}


@pytest.fixture
def checks_unlimited(settings):
    """Many checks from one test client: lift the rate and copy limits."""
    settings.TRUSTLABEL_RATE_PER_CLIENT = 10**9
    settings.TRUSTLABEL_RATE_PER_CODE = 10**9
    settings.TRUSTLABEL_COPY_CHECK_LIMIT = 10**9


def with_check_digit(body: str) -> str:
    return body + damm.calc_check_digit(body)


# --- bit-identical to the definition --------------------------------------------------------


@pytest.mark.parametrize(("version_serial", "code"), sorted(KNOWN_CODES.items()))
def test_it_still_makes_the_codes_it_made_before(version_serial, code):
    version, serial = version_serial
    assert CodeKey(version, KNOWN_SECRET).code(serial) == code


@pytest.mark.parametrize(("version_serial", "public"), sorted(KNOWN_PUBLIC.items()))
def test_it_still_makes_the_public_serials_it_made_before(version_serial, public):
    version, serial = version_serial
    assert CodeKey(version, KNOWN_SECRET).public_serial(serial) == public


def reference_code(secret: bytes, version: int, serial: int) -> str:
    """The code as docs/codes.md defines it, one value at a time with Python integers."""
    printed = ff1_reference(subkey(secret, "code serial"), b"", str(serial).zfill(10))
    block = int.from_bytes(b"TL-MAC-1", "big").to_bytes(8, "big") + serial.to_bytes(8, "big")
    enc = Cipher(algorithms.AES(subkey(secret, "code mac")), modes.ECB()).encryptor()  # noqa: S305
    mac = int.from_bytes((enc.update(block) + enc.finalize())[:8], "big") % 10**8
    return with_check_digit(f"{version % 10}{printed}{mac:08d}")


def reference_public_serial(secret: bytes, version: int, serial: int) -> str:
    printed = ff1_reference(subkey(secret, "public serial"), b"", str(serial).zfill(10))
    return with_check_digit(f"{version % 10}{printed}")


@settings(max_examples=30, deadline=None)
@given(
    secret=st.binary(min_size=32, max_size=32),
    version=st.integers(1, 99),
    serials=st.lists(st.integers(0, codec.SERIAL_SPACE - 1), min_size=1, max_size=5),
)
def test_it_makes_codes_as_defined(secret, version, serials):
    key = CodeKey(version, secret)
    batch = key.code_ascii(np.array(serials, dtype=np.uint64))
    public = key.public_serial_ascii(np.array(serials, dtype=np.uint64))
    for row, public_row, serial in zip(batch, public, serials, strict=True):
        assert row.tobytes().decode() == reference_code(secret, version, serial)
        assert public_row.tobytes().decode() == reference_public_serial(secret, version, serial)
    digits = key.code_digits(np.array(serials, dtype=np.uint64))
    assert (digits + ord("0") == batch).all()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_it_computes_damm_like_stdnum(number):
    digits = np.frombuffer(number.encode(), dtype=np.uint8) - ord("0")
    assert int(codec.damm_interim(digits[None, :])[0]) == damm.checksum(number)
    assert codec.damm_valid(number) == damm.is_valid(number)


def test_it_checks_digits_with_the_group_tables_like_stdnum():
    rng = np.random.default_rng(7)
    for width, table in ((4, codec._DAMM4), (5, codec._DAMM5)):
        values = rng.integers(0, 10**width, 500)
        starts = rng.integers(0, 10, 500)
        for start, value in zip(starts.tolist(), values.tolist(), strict=True):
            # Starting from interim `start` is the same as first feeding a digit that
            # takes interim 0 to `start`.
            lead = int(np.nonzero(codec.DAMM_TABLE[0] == start)[0][0])
            assert table[start, value] == damm.checksum(f"{lead}{value:0{width}d}")


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 19), data=st.data())
def test_it_formats_digits_like_python(width, data):
    values = data.draw(st.lists(st.integers(0, 10**width - 1), min_size=1, max_size=20))
    rows = np.full((len(values), width + 4), ord("x"), dtype=np.uint8)
    codec.put_digits(rows, 2, width, np.array(values, dtype=np.uint64))
    for row, value in zip(rows, values, strict=True):
        assert row.tobytes().decode() == f"xx{value:0{width}d}xx"


# --- through the verification core --------------------------------------------------------


@FIXTURE_CHECKS
@given(data=st.data())
def test_it_verifies_every_issued_code(world, checks_unlimited, data):
    order = data.draw(st.sampled_from([world.open_order, world.scratch_order]))
    index = data.draw(st.integers(0, order.quantity - 1))
    code = world.code(order=order, index=index)
    assert len(code) == 20 and damm.is_valid(code)
    verdict = verify(code)
    assert verdict.is_genuine
    assert verdict.order == order


@FIXTURE_CHECKS
@given(index=st.integers(0, 499))
def test_it_opens_a_scratch_label_with_its_hidden_code(world, checks_unlimited, index):
    order = world.scratch_order
    public = world.public_serial(order=order, index=index)
    assert verify(public).kind == "pin_required"
    hidden = world.code(order=order, index=index)
    assert verify(hidden, CheckContext(public_serial=public)).is_genuine
    other = world.code(order=order, index=(index + 1) % order.quantity)
    assert verify(other, CheckContext(public_serial=public)).kind == "unknown"


def typos(code: str) -> list[str]:
    """Every single-digit error and every adjacent transposition of `code`."""
    out = []
    for i, digit in enumerate(code):
        out += [code[:i] + d + code[i + 1 :] for d in "0123456789" if d != digit]
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            out.append(code[:i] + code[i + 1] + code[i] + code[i + 2 :])
    return out


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(index=st.integers(0, 999))
def test_it_calls_every_typo_mistyped(world, checks_unlimited, index):
    code = world.code(index=index)
    variants = typos(code)
    assert len(variants) >= 180
    assert {verify(v).kind for v in variants} == {"mistyped"}


def test_it_catches_every_typo_of_many_codes_with_the_check_digit():
    key = CodeKey(3, KNOWN_SECRET)
    for code in codec.digits_to_text(key.code_digits(np.arange(0, 10**9, 10**7, dtype=np.uint64))):
        assert damm.is_valid(code)
        assert not any(damm.is_valid(v) for v in typos(code))


@FIXTURE_CHECKS
@given(index=st.integers(0, 999), position=st.integers(11, 18), shift=st.integers(1, 9))
def test_it_calls_a_changed_pin_unknown(world, checks_unlimited, index, position, shift):
    code = world.code(index=index)
    digit = str((int(code[position]) + shift) % 10)
    forged = with_check_digit(code[:position] + digit + code[position + 1 : -1])
    assert verify(forged).kind == "unknown"


@FIXTURE_CHECKS
@given(serial=st.integers(0, codec.SERIAL_SPACE - 1))
def test_it_calls_an_unissued_serial_unknown(world, checks_unlimited, serial):
    issued = range(world.open_order.serial_start, world.scratch_order.serial_end)
    if serial in issued:
        serial += len(issued)
    code = code_key(world.open_order.key_version).code(serial)
    assert verify(code).kind == "unknown"


def test_it_keeps_verifying_old_codes_after_rotation(
    world, checks_unlimited, django_capture_on_commit_callbacks
):
    old = world.code(index=11)
    with django_capture_on_commit_callbacks(execute=True):
        new_version = codes.do_rotate_keys()
    assert new_version.version == world.open_order.key_version.version + 1
    actor = world.enterprise.actor
    order = codes.do_create_label_order(actor, world.product, world.lot, 10, "open", "issue")
    assert order.key_version == new_version and order.serial_start == 0
    new = world.code(order=order, index=0)
    assert new[0] == str(new_version.digit) != old[0]
    assert verify(old).is_genuine
    assert verify(new).is_genuine

    with django_capture_on_commit_callbacks(execute=True):
        codes.do_retire_key(world.open_order.key_version.version)
    assert verify(old).kind == "unknown"
    assert verify(new).is_genuine


def test_it_compares_macs_in_constant_time(monkeypatch):
    compared = []
    real = codec.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codec.hmac, "compare_digest", spy)
    key = CodeKey(1, KNOWN_SECRET)
    parsed = codec.parse_code(key.code(42))
    assert key.serial_of(parsed) == 42
    assert key.serial_of(codec.ParsedCode(parsed.digit, parsed.printed_serial, 0)) is None
    assert len(compared) == 2


def test_it_uses_independent_keys_for_the_code_and_the_public_serial():
    key = CodeKey(1, KNOWN_SECRET)
    serials = np.arange(1000, dtype=np.uint64)
    code_serials = key.code_digits(serials)[:, 1:11]
    public_serials = key.public_serial_digits(serials)[:, 1:11]
    # Unrelated permutations: they agree on no serial here (chance ~ 1000 / 10^10).
    assert not (code_serials == public_serials).all(axis=1).any()
