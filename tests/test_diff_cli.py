"""``yinsi diff``: text and JSON output, exit codes (0, 1, 3), no tracebacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from yinsi.cli.app import app

BASE_FILE = Path(__file__).parent / "data" / "diff" / "base.yaml"

runner = CliRunner()


def variant(tmp_path: Path, name: str, edit: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of the base declaration file with ``edit`` applied to its data."""
    data = yaml.safe_load(BASE_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def material(tmp_path: Path) -> Path:
    return variant(tmp_path, "material.yaml", lambda d: d["app"].update(service_model="自营放贷"))


@pytest.fixture
def editorial(tmp_path: Path) -> Path:
    return variant(
        tmp_path, "editorial.yaml", lambda d: d["consents"][0].update(label="隐私权政策")
    )


def test_diff_prints_text(material: Path) -> None:
    result = runner.invoke(app, ["diff", str(BASE_FILE), str(material)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("1 change, 1 material")
    assert "service_model: 为用户提供借款信息撮合与贷后管理服务 → 自营放贷" in result.stdout
    assert "! material" in result.stdout


def test_diff_of_a_file_with_itself(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(BASE_FILE), str(BASE_FILE), "--exit-code"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no changes (无变更)"


def test_diff_json(material: Path, editorial: Path) -> None:
    result = runner.invoke(app, ["diff", "--json", str(BASE_FILE), str(material)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["material"] is True
    assert report["summary"]["total"] == 1
    assert report["changes"][0]["section"] == "app"

    result = runner.invoke(app, ["diff", "--json", str(BASE_FILE), str(editorial)])
    assert json.loads(result.stdout)["material"] is False


def test_x03_exit_code_3_when_material(material: Path) -> None:
    result = runner.invoke(app, ["diff", "--exit-code", str(BASE_FILE), str(material)])
    assert result.exit_code == 3
    result = runner.invoke(app, ["diff", "--exit-code", "--json", str(BASE_FILE), str(material)])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["material"] is True


def test_exit_code_0_when_only_editorial(editorial: Path) -> None:
    result = runner.invoke(app, ["diff", "--exit-code", str(BASE_FILE), str(editorial)])
    assert result.exit_code == 0, result.output
    assert "1 change, 0 material" in result.stdout


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["diff", str(BASE_FILE), str(missing)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"{missing}" in result.stderr
    assert "file not found" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_invalid_declaration_is_a_user_error(tmp_path: Path) -> None:
    broken = variant(tmp_path, "broken.yaml", lambda d: d["app"].pop("service_model"))
    result = runner.invoke(app, ["diff", str(broken), str(BASE_FILE)])
    assert result.exit_code == 1
    assert "missing required key 'service_model'" in result.stderr
    assert "Traceback" not in result.output


def _add_contacts_permission(d: dict[str, Any]) -> None:
    d["scenarios"][0].setdefault("permissions", []).append({"permission": "contacts"})


def _make_required(d: dict[str, Any]) -> None:
    d["scenarios"][1]["elements"] = [
        {"id": e, "required": True} if isinstance(e, str) else {**e, "required": True}
        for e in d["scenarios"][1]["elements"]
    ]


def _start_at_cancellation(d: dict[str, Any]) -> None:
    rule = next(r for r in d["retention"] if r["id"] == "browse_data")
    rule.update(period="1m", bound="at_most", starts="account_cancellation")


def _optional(d: dict[str, Any]) -> None:
    d["scenarios"][1]["elements"] = [
        {"id": e, "required": False} if isinstance(e, str) else {**e, "required": False}
        for e in d["scenarios"][1]["elements"]
    ]


def _start_at_collection(d: dict[str, Any]) -> None:
    rule = next(r for r in d["retention"] if r["id"] == "browse_data")
    rule.update(period="1m", bound="at_most", starts="collection")


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        pytest.param(None, _add_contacts_permission, "通讯录", id="contacts-permission-added"),
        pytest.param(
            _optional, _make_required, "可选个人信息改为必填", id="optional-made-required"
        ),
        pytest.param(
            _start_at_collection, _start_at_cancellation, "起算点推后", id="start-moved-later"
        ),
    ],
)
def test_issue_regressions_exit_3_and_name_the_effect(
    tmp_path: Path,
    before: Callable[[dict[str, Any]], object] | None,
    after: Callable[[dict[str, Any]], object],
    reason: str,
) -> None:
    """The three changes ``yinsi diff`` used to call editorial: no re-consent was asked."""
    old = variant(tmp_path, "old.yaml", before or (lambda d: None))
    new = variant(tmp_path, "new.yaml", lambda d: (before and before(d), after(d)))
    result = runner.invoke(app, ["diff", "--exit-code", str(old), str(new)])
    assert result.exit_code == 3, result.output
    assert "! material" in result.stdout and reason in result.stdout
    result = runner.invoke(app, ["diff", "--exit-code", str(new), str(old)])
    assert result.exit_code == 0, result.output
