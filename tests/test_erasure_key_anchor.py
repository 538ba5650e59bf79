"""Issue 14 Build 7: the erasure key is anchored in yinsi's database. Started from another
folder, a process gets the same key (same keyed-hash tokens) or refuses clearly; it never
mints a new key silently. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from yinsi.services.erasure_keys import (
    ANCHOR_ACTION,
    ErasureKeyMismatch,
    ErasureKeyMissing,
    fingerprint,
)
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

RELATIVE = {"YINSI_HOME": ".yinsi"}  # the default: relative to the working directory


def _token(key: bytes, value: str = "13800138000") -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _key(engine: Engine, environ: dict[str, str]) -> bytes:
    return Services(engine, environ=environ, actor="test").erasure_key


def _anchors(engine: Engine) -> list[dict[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT details FROM audit_entries WHERE action = :a ORDER BY seq"),
            {"a": ANCHOR_ACTION},
        ).scalars()
        return [json.loads(r) for r in rows]


def test_another_folder_refuses_instead_of_minting_a_new_key(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, other = tmp_path / "first", tmp_path / "other"
    first.mkdir()
    other.mkdir()
    monkeypatch.chdir(first)
    key = _key(engine, RELATIVE)
    assert _anchors(engine) == [{"fingerprint": fingerprint(key), "source": "file"}]
    monkeypatch.chdir(other)
    with pytest.raises(ErasureKeyMissing, match="YINSI_HOME") as refused:
        _key(engine, RELATIVE)
    assert str(other / ".yinsi" / "erasure.key") in str(refused.value)
    assert not (other / ".yinsi" / "erasure.key").exists()  # nothing minted
    monkeypatch.chdir(first)
    assert _token(_key(engine, RELATIVE)) == _token(key)  # the same tokens again
    absolute = {"YINSI_HOME": str(first / ".yinsi")}
    monkeypatch.chdir(other)
    assert _key(engine, absolute) == key  # anchored by YINSI_HOME: any folder works
    assert len(_anchors(engine)) == 1


def test_a_different_key_is_refused_naming_the_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    key = _key(engine, {"YINSI_HOME": "a"})
    stray = tmp_path / "b" / "erasure.key"
    stray.parent.mkdir()
    stray.write_bytes(b"\x01" * 32)
    with pytest.raises(ErasureKeyMismatch) as refused:
        _key(engine, {"YINSI_HOME": "b"})
    message = str(refused.value)
    assert str(stray) in message and fingerprint(key) in message
    assert key.hex() not in message and base64.b64encode(key).decode() not in message
    env_key = {"YINSI_ERASURE_KEY": base64.b64encode(key).decode(), "YINSI_HOME": "b"}
    assert _key(engine, env_key) == key  # the same key given another way is accepted


def test_an_existing_key_file_is_migrated_unchanged(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    old = tmp_path / ".yinsi" / "erasure.key"
    old.parent.mkdir()
    old.write_bytes(b"\x07" * 32)  # made by a version without the anchor
    assert _anchors(engine) == []
    assert _key(engine, RELATIVE) == b"\x07" * 32  # no token changes on upgrade
    assert _anchors(engine) == [{"fingerprint": fingerprint(b"\x07" * 32), "source": "file"}]
    assert all(len(a["fingerprint"]) == 32 for a in _anchors(engine))


def test_an_explicit_hash_key_is_not_anchored(engine: Engine) -> None:
    services = Services(engine, hash_key=b"\x09" * 32, actor="test")
    assert services.erasure_key == b"\x09" * 32
    assert _anchors(engine) == []
