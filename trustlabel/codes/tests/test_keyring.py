"""The key ring: secrets stored only wrapped, a clear error for the wrong master key, and
rotation and retirement from the command line."""

import base64
import io
import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from trustlabel.codes import actions as codes
from trustlabel.codes import keyring
from trustlabel.codes.keys import code_key, forget_cached_keys
from trustlabel.codes.models import KeyVersion


@pytest.fixture
def fresh_keys():
    forget_cached_keys()
    yield
    forget_cached_keys()


def test_it_stores_the_secret_only_wrapped(world):
    kv = world.open_order.key_version
    master = keyring.load_master_key()
    secret = keyring.unwrap_secret(master, kv.version, bytes(kv.wrapped_secret))
    assert len(secret) == 32
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {KeyVersion._meta.db_table}")  # noqa: S608
        rows = cursor.fetchall()
    stored = b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for row in rows
        for value in row
    )
    for form in (secret, secret.hex().encode(), base64.b64encode(secret), master, master.hex()):
        assert (form if isinstance(form, bytes) else form.encode()) not in stored
    assert bytes(kv.wrapped_secret) != secret
    # The master key's fingerprint is stored, the master key never.
    assert kv.master_fingerprint == keyring.master_fingerprint(master)


def test_it_refuses_a_wrong_master_key_clearly(world, monkeypatch, fresh_keys):
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY", secrets.token_hex(32))
    with pytest.raises(ImproperlyConfigured, match="wrapped by another master key"):
        code_key(world.open_order.key_version)


def test_it_refuses_to_unwrap_with_a_wrong_key_or_for_another_version(world):
    kv = world.open_order.key_version
    wrapped = bytes(kv.wrapped_secret)
    with pytest.raises(keyring.KeyRingError, match="does not open with this master key"):
        keyring.unwrap_secret(secrets.token_bytes(32), kv.version, wrapped)
    # The version is authenticated: a wrapped key moved to another version does not open.
    with pytest.raises(keyring.KeyRingError):
        keyring.unwrap_secret(keyring.load_master_key(), kv.version + 1, wrapped)


def test_it_wraps_each_time_with_a_fresh_nonce():
    master, secret = secrets.token_bytes(32), secrets.token_bytes(32)
    first, second = keyring.wrap_secret(master, 1, secret), keyring.wrap_secret(master, 1, secret)
    assert first != second
    assert keyring.unwrap_secret(master, 1, first) == keyring.unwrap_secret(master, 1, second)


def test_it_explains_a_missing_or_malformed_master_key(monkeypatch):
    monkeypatch.delenv("TRUSTLABEL_MASTER_KEY", raising=False)
    monkeypatch.delenv("TRUSTLABEL_MASTER_KEY_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set TRUSTLABEL_MASTER_KEY"):
        keyring.load_master_key()
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY", "too short")
    with pytest.raises(ImproperlyConfigured, match="32 random bytes"):
        keyring.load_master_key()


def test_it_reads_the_master_key_from_a_file(monkeypatch, tmp_path):
    master = secrets.token_bytes(32)
    path = tmp_path / "master.key"
    path.write_text(base64.b64encode(master).decode() + "\n")
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY_FILE", str(path))
    assert keyring.load_master_key() == master
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="TRUSTLABEL_MASTER_KEY_FILE"):
        keyring.load_master_key()


def test_it_derives_a_separate_key_for_each_purpose():
    secret = secrets.token_bytes(32)
    keys = {keyring.subkey(secret, p) for p in ("code serial", "public serial", "code mac")}
    assert len(keys) == 3
    assert all(len(k) == 16 for k in keys)


def test_it_rotates_and_retires_from_the_command_line(world, fresh_keys):
    first = world.open_order.key_version.version
    call_command("rotate_keys", stdout=(out := io.StringIO()))
    assert f"Key version {first + 1}" in out.getvalue()
    active = KeyVersion.objects.get(is_active=True)
    assert active.version == first + 1
    assert KeyVersion.objects.get(pk=first).retired_at is None  # old codes keep verifying

    call_command("rotate_keys", "--retire", str(first), stdout=(out := io.StringIO()))
    assert KeyVersion.objects.get(pk=first).retired_at is not None
    assert KeyVersion.objects.get(is_active=True).version == first + 2

    with pytest.raises(CommandError, match="does not exist"):
        call_command("rotate_keys", "--retire", "999")


def test_it_never_gives_two_live_versions_the_same_digit(world, fresh_keys):
    for _ in range(8):
        codes.do_rotate_keys()
    assert KeyVersion.objects.get(is_active=True).version == 9
    codes.do_rotate_keys()  # version 10, digit 0
    with pytest.raises(CommandError, match="share its leading digit with live version 1"):
        call_command("rotate_keys")
    call_command("rotate_keys", "--retire", "1", stdout=io.StringIO())
    assert KeyVersion.objects.get(is_active=True).version == 11


def test_it_moves_the_key_ring_to_a_new_master_key(world, monkeypatch, tmp_path, fresh_keys):
    from trustlabel.verify.core import verify

    code = world.code(index=11)
    old = keyring.load_master_key()
    old_file = tmp_path / "old.key"
    old_file.write_text(old.hex())
    new = secrets.token_bytes(32)
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY", new.hex())
    out = io.StringIO()
    call_command("rewrap_keys", "--old-key-file", str(old_file), stdout=out)
    assert out.getvalue().startswith("1 key versions")
    kv = KeyVersion.objects.get()
    assert kv.master_fingerprint == keyring.master_fingerprint(new)
    forget_cached_keys()
    assert verify(code).kind == "genuine"
    # Running it again changes nothing; the old key no longer opens the ring.
    call_command("rewrap_keys", "--old-key-file", str(old_file), stdout=io.StringIO())
    with pytest.raises(keyring.KeyRingError):
        keyring.unwrap_secret(old, kv.version, bytes(kv.wrapped_secret))


def test_it_refuses_to_rewrap_with_the_wrong_old_key(world, monkeypatch, tmp_path):
    wrong = tmp_path / "wrong.key"
    wrong.write_text(secrets.token_hex(32))
    monkeypatch.setenv("TRUSTLABEL_MASTER_KEY", secrets.token_hex(32))
    before = bytes(KeyVersion.objects.get().wrapped_secret)
    with pytest.raises(CommandError, match="wrapped by neither master key"):
        call_command("rewrap_keys", "--old-key-file", str(wrong))
    with pytest.raises(CommandError, match=r"missing\.key"):
        call_command("rewrap_keys", "--old-key-file", str(tmp_path / "missing.key"))
    assert bytes(KeyVersion.objects.get().wrapped_secret) == before
