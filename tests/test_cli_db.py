"""`yinsi db upgrade` / `yinsi db current` on the embedded SQLite default and an explicit URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app

runner = CliRunner()


def test_db_upgrade_on_the_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("YINSI_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["db", "current"]).exit_code == 1
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "empty ->" in first.output and (tmp_path / ".yinsi" / "yinsi.db").exists()
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and "already up to date" in again.output
    assert runner.invoke(app, ["db", "current"]).exit_code == 0


def test_db_upgrade_reports_an_unreachable_database_without_traceback(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    result = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 1
    assert "cannot migrate" in result.output and "secret" not in result.output
    assert "Traceback" not in result.output
