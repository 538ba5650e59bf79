"""Settings (yinsi.settings): environment, settings file, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from yinsi.settings import Settings, SettingsError, load_settings


def test_defaults_are_production_not_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YINSI_DEMO", raising=False)
    monkeypatch.delenv("YINSI_SETTINGS_FILE", raising=False)
    assert load_settings().demo is False


def test_environment_sets_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINSI_DEMO", "true")
    assert load_settings().demo is True


def test_keyword_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINSI_DEMO", "false")
    assert load_settings(demo=True).demo is True


@pytest.mark.parametrize(
    ("name", "text"), [("s.toml", "demo = true\n"), ("s.yaml", "demo: true\n")]
)
def test_a_settings_file_in_toml_or_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    monkeypatch.delenv("YINSI_DEMO", raising=False)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert load_settings(path).demo is True
    monkeypatch.setenv("YINSI_SETTINGS_FILE", str(path))
    assert load_settings().demo is True


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.toml"
    path.write_text("demo = true\n", encoding="utf-8")
    monkeypatch.setenv("YINSI_DEMO", "false")
    assert load_settings(path).demo is False


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")


def test_an_unknown_or_bad_setting_names_the_setting_and_its_variable(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('demo = "perhaps"\nnonsense = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    assert "demo (YINSI_DEMO)" in message
    assert "nonsense (YINSI_NONSENSE)" in message


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.demo = True  # type: ignore[misc]
