"""``yinsi keys`` and ``yinsi serve`` on the command line; the key store itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.security.api_keys import Scope
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

runner = CliRunner()


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'yinsi.db'}"


def test_create_list_revoke(tmp_path: Path) -> None:
    url = _url(tmp_path)
    upgrade(url)
    created = runner.invoke(
        app,
        ["keys", "create", "loan-backend", "--scope", "backend", "--scope", "admin", "--url", url],
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    # never "-" first (a key starting with it broke `--key KEY` on a command line)
    assert secret.startswith("yk_") and len(secret) == 3 + 43
    engine = create_engine(url)
    with SqlUnitOfWork(engine) as uow:
        key = uow.api_keys.verify(secret)
    assert key is not None and key.scopes == {Scope.BACKEND, Scope.ADMIN}
    listed = runner.invoke(app, ["keys", "list", "--url", url])
    assert key.id in listed.stdout and secret not in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", key.id, "--url", url]).exit_code == 0
    with SqlUnitOfWork(engine) as uow:
        assert uow.api_keys.verify(secret) is None
        actions = [e.action for e in uow.audit.entries()]
    engine.dispose()
    assert actions == ["api_key.created", "api_key.revoked"]
    assert "revoked" in runner.invoke(app, ["keys", "list", "--url", url]).stdout


def test_revoke_unknown_id_exits_1(tmp_path: Path) -> None:
    url = _url(tmp_path)
    upgrade(url)
    result = runner.invoke(app, ["keys", "revoke", "key_nope", "--url", url])
    assert result.exit_code == 1 and "yinsi keys list" in result.stderr


def test_keys_on_unmigrated_database_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "list", "--url", _url(tmp_path)])
    assert result.exit_code == 1 and "yinsi db upgrade" in result.stderr


def test_unknown_scope_is_refused(tmp_path: Path) -> None:
    url = _url(tmp_path)
    upgrade(url)
    result = runner.invoke(app, ["keys", "create", "x", "--scope", "root", "--url", url])
    assert result.exit_code == 2
    engine = create_engine(url)
    with SqlUnitOfWork(engine) as uow, pytest.raises(ValueError):
        uow.api_keys.create("x", ["root"])
    engine.dispose()


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--url", _url(tmp_path)])
    assert result.exit_code == 1
    assert "yinsi db upgrade" in result.stderr
