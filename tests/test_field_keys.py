"""Key rings and key sources of field protection: validation, rotation, env and 0600 file."""

from __future__ import annotations

import base64
import os
import re
import secrets
import stat
from pathlib import Path

import pytest

from yinsi.security.crypto_errors import KeyConfigError, KeyFileExposed, UnknownKeyId
from yinsi.security.keys import (
    EnvKeySource,
    FileKeySource,
    Key,
    KeyPurpose,
    KeyRing,
    KeySet,
    KeyState,
    decode_key,
    generate_key,
)

ENC = KeyPurpose.ENCRYPTION
IDX = KeyPurpose.BLIND_INDEX


def secret() -> bytes:
    return secrets.token_bytes(32)


def key_set() -> KeySet:
    return KeySet(
        encryption=KeyRing([Key("k1", secret(), KeyState.ACTIVE)], purpose=ENC),
        blind_index=KeyRing([Key("b1", secret(), KeyState.ACTIVE)], purpose=IDX),
    )


def test_generate_key_is_32_random_bytes() -> None:
    keys = {generate_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(k)) == 32 for k in keys)
    assert decode_key(next(iter(keys)), where="x") == base64.b64decode(next(iter(keys)))


def test_url_safe_and_unpadded_keys_are_read() -> None:
    raw = b"\xfb\xff" * 16
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert decode_key(encoded, where="x") == raw


@pytest.mark.parametrize(
    ("text", "problem"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "5 bytes")],
)
def test_bad_key_text_is_named_without_echoing(text: str, problem: str) -> None:
    with pytest.raises(KeyConfigError, match=problem) as caught:
        decode_key(text, where="YINSI_KEYS, entry 1")
    assert text not in str(caught.value) and "generate_key" in str(caught.value)


def test_key_repr_hides_the_secret() -> None:
    key = Key("k1", secret(), KeyState.ACTIVE)
    assert repr(key.secret) not in repr(key)
    ring = KeyRing([key], purpose=ENC)
    assert repr(key.secret) not in repr(ring) and "k1" in repr(ring)


@pytest.mark.parametrize("kid", ["", "k.1", "k 1", "x" * 33, "密钥"])
def test_key_ids_are_short_and_dot_free(kid: str) -> None:
    with pytest.raises(KeyConfigError, match="key id"):
        Key(kid, secret(), KeyState.ACTIVE)


def test_ring_needs_exactly_one_active_key() -> None:
    with pytest.raises(KeyConfigError, match="found none"):
        KeyRing([Key("k1", secret(), KeyState.RETIRED)], purpose=ENC)
    with pytest.raises(KeyConfigError, match="found 'k1', 'k2'"):
        KeyRing(
            [Key("k1", secret(), KeyState.ACTIVE), Key("k2", secret(), KeyState.ACTIVE)],
            purpose=ENC,
        )


def test_ring_refuses_duplicate_ids_and_secrets() -> None:
    s = secret()
    with pytest.raises(KeyConfigError, match="appears twice"):
        KeyRing([Key("k1", s, KeyState.ACTIVE), Key("k1", secret())], purpose=ENC)
    with pytest.raises(KeyConfigError, match="same key"):
        KeyRing([Key("k1", s, KeyState.ACTIVE), Key("k2", s)], purpose=ENC)


def test_x25_rotation_steps() -> None:
    keys = key_set()
    staged = keys.encryption.add("k2", secret())
    assert staged.active.kid == "k1" and staged.get("k2").state is KeyState.RETIRED
    rotated = keys.rotate_encryption("k2")  # a fresh random key
    assert rotated.encryption.active.kid == "k2"
    assert rotated.encryption.active.secret != keys.encryption.active.secret
    assert rotated.encryption.kids == ("k2", "k1")
    assert rotated.encryption.get("k1").state is KeyState.RETIRED
    assert keys.encryption.active.kid == "k1"  # immutable: the old set is unchanged
    with pytest.raises(KeyConfigError, match="active and cannot be dropped"):
        rotated.drop_encryption("k2")
    done = rotated.drop_encryption("k1")
    assert done.encryption.kids == ("k2",) and "k1" not in done.encryption
    with pytest.raises(UnknownKeyId, match="'k1'") as caught:
        done.encryption.get("k1")
    assert caught.value.known == ("k2",)
    index_rotated = keys.rotate_blind_index("b2").drop_blind_index("b1")
    assert index_rotated.blind_index.kids == ("b2",)


def test_w17_encryption_and_blind_index_never_share_a_key() -> None:
    s = secret()
    with pytest.raises(KeyConfigError, match="also used as a blind-index key"):
        KeySet(
            encryption=KeyRing([Key("k1", s, KeyState.ACTIVE)], purpose=ENC),
            blind_index=KeyRing([Key("b1", s, KeyState.ACTIVE)], purpose=IDX),
        )
    with pytest.raises(KeyConfigError, match="distinct ids"):
        KeySet(
            encryption=KeyRing([Key("k1", secret(), KeyState.ACTIVE)], purpose=ENC),
            blind_index=KeyRing([Key("k1", secret(), KeyState.ACTIVE)], purpose=IDX),
        )
    keys = key_set()
    with pytest.raises(KeyConfigError, match="ring was built for"):
        KeySet(encryption=keys.blind_index, blind_index=keys.encryption)


def test_env_source_first_key_is_active() -> None:
    k1, k2, b1 = generate_key(), generate_key(), generate_key()
    keys = EnvKeySource(
        {"YINSI_KEYS": f" k2:{k2} , k1:{k1}", "YINSI_BLIND_INDEX_KEYS": f"b1:{b1}"}
    ).load()
    assert keys.encryption.kids == ("k2", "k1")
    assert keys.encryption.active.secret == base64.b64decode(k2)
    assert keys.encryption.get("k1").state is KeyState.RETIRED
    assert keys.blind_index.active.kid == "b1"


def test_env_source_names_the_missing_variable() -> None:
    with pytest.raises(KeyConfigError, match="YINSI_BLIND_INDEX_KEYS: it is not set"):
        EnvKeySource({"YINSI_KEYS": f"k1:{generate_key()}"}).load()


def test_env_source_names_the_bad_entry_without_the_key() -> None:
    good, bad = generate_key(), generate_key()[:20]
    env = {"YINSI_KEYS": f"k1:{good},k2{bad}", "YINSI_BLIND_INDEX_KEYS": f"b1:{generate_key()}"}
    with pytest.raises(KeyConfigError, match="YINSI_KEYS, entry 2") as caught:
        EnvKeySource(env).load()
    assert good not in str(caught.value) and bad not in str(caught.value)


def test_x25_file_source_saves_0600_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    keys = key_set().rotate_encryption("k2", secret())
    FileKeySource(path).save(keys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = FileKeySource(path).load()
    for ring, original in (
        (loaded.encryption, keys.encryption),
        (loaded.blind_index, keys.blind_index),
    ):
        assert [(k.kid, k.secret, k.state) for k in ring] == [
            (k.kid, k.secret, k.state) for k in original
        ]
    FileKeySource(path).save(loaded.drop_encryption("k1"))  # replaces atomically
    assert FileKeySource(path).load().encryption.kids == ("k2",)
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_w17_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    FileKeySource(path).save(key_set())
    os.chmod(path, mode)
    with pytest.raises(KeyFileExposed, match=re.escape(f"chmod 600 {path}")) as caught:
        FileKeySource(path).load()
    assert caught.value.mode == mode and f"{mode:04o}" in str(caught.value)


def test_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="does not exist"):
        FileKeySource(tmp_path / "nope.json").load()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "other"}', "not a yinsi-keys/1 key file"),
        ('{"format": "yinsi-keys/1", "encryption": []}', '"encryption" is missing or empty'),
        (
            '{"format": "yinsi-keys/1", "encryption": [{"kid": "k1"}]}',
            "needs string kid, state and key",
        ),
        (
            '{"format": "yinsi-keys/1", "encryption": '
            '[{"kid": "k1", "state": "on", "key": "AAAA"}]}',
            "state 'on' is unknown",
        ),
    ],
)
def test_bad_key_file_is_explained(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(KeyConfigError, match=problem):
        FileKeySource(path).load()
