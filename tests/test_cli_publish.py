"""`yinsi publish`: an immutable policy version per declaration, clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DATA, EXAMPLES
from yinsi.cli.app import app

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    return url


def test_x01_publish_keeps_each_version_and_reports_material_changes(url: str) -> None:
    first = runner.invoke(app, ["publish", str(EXAMPLES / "xiaoying-kadai.yaml"), "--url", url])
    assert first.exit_code == 0, first.output
    assert "published xiaoying_kadai 1.3 sha256:" in first.output
    second = runner.invoke(app, ["publish", str(DATA / "xiaoying-kadai-v1.4.yaml"), "--url", url])
    assert second.exit_code == 0, second.output
    assert "1.4" in second.output and "since 1.3: 7 changes, 3 material" in second.output


def test_publish_refuses_an_invalid_declaration_with_file_line(url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "base.yaml").read_text(encoding="utf-8").replace("function: basic", "function: x")
    )
    result = runner.invoke(app, ["publish", str(bad), "--url", url])
    assert result.exit_code == 1 and f"{bad}:" in result.output and "Traceback" not in result.output


def test_publish_on_an_unmigrated_database_names_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["publish", str(DATA / "base.yaml"), "--url", url])
    assert result.exit_code == 1 and "yinsi db upgrade" in result.output
