"""``yinsi audit verify``: intact, tampered, and not migrated (exit codes and messages)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from audit_tamper import fill, set_field, tamper
from yinsi.cli.app import app

pytest_plugins = ["storage_fixtures"]

runner = CliRunner()


def test_an_intact_chain_exits_0(engine: Engine) -> None:
    stored = fill(engine, 3)
    result = runner.invoke(app, ["audit", "verify", "--url", engine.url.render_as_string(False)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit chain intact: 3 entries, head {stored[-1].hash[:12]}"


def test_a_tampered_chain_prints_every_break_and_exits_1(engine: Engine) -> None:
    stored = fill(engine, 4)
    tamper(engine, set_field(2, actor="key_evil"), set_field(4, seq=7))
    result = runner.invoke(app, ["audit", "verify", "--url", engine.url.render_as_string(False)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    head = stored[-1].hash[:12]
    assert lines[:3] == [
        f"seq 2: entry edited: its content does not match its hash "
        f"(expected hash {stored[1].hash[:12]}, found hash {lines[0][-13:-1]})",
        "seq 4: entry moved to another seq (expected seq 4, found seq 7)",
        f"seq 7: last entry is not the recorded head (expected seq 4 hash {head}, "
        f"found seq 7 hash {head})",
    ]
    assert "audit chain broken: 3 breaks in 4 entries" in result.output
    assert "Traceback" not in result.output


def test_an_unmigrated_database_says_to_upgrade_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--url", f"sqlite:///{tmp_path / 'yinsi.db'}"])
    assert result.exit_code == 1
    assert "run `yinsi db upgrade`" in result.output
    assert "Traceback" not in result.output


def test_the_default_url_comes_from_the_environment(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINSI_DATABASE_URL", engine.url.render_as_string(False))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "0 entries, head 000000000000" in result.output
