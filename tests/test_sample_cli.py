"""``yinsi sample seed``: the demo's sample stores, data map and environment file; both
demo commands without ``yinsi[demo]`` installed."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.declaration.datamap_checks import load_data_map


def test_sample_seed_writes_stores_map_env_and_subjects(tmp_path: Path) -> None:
    prefix = f"yinsi_t_{secrets.token_hex(4)}:"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        result = CliRunner().invoke(
            app, ["sample", "seed", str(tmp_path), "--subjects", "5", "--prefix", prefix]
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "core.db").is_file() and (tmp_path / "risk.db").is_file()
        data_map = load_data_map(tmp_path / "datamap.yaml")
        assert all(d.key.startswith(prefix) for d in data_map.datasets if d.key)
        env = (tmp_path / "env").read_text(encoding="utf-8")
        assert f"sqlite:///{tmp_path / 'core.db'}" in env and "YINSI_SAMPLE_CACHE_URL" in env
        rows = (tmp_path / "subjects.tsv").read_text(encoding="utf-8").splitlines()
        assert rows[0] == "profile\tuser_id\tid_suffix" and len(rows) == 6
        assert list(client.scan_iter(match=prefix + "*"))
        bad = CliRunner().invoke(app, ["sample", "seed", str(tmp_path), "--prefix", "no colon"])
        assert bad.exit_code == 1 and "prefix" in bad.output + str(bad.stderr_bytes or b"")
    finally:
        stale = list(client.scan_iter(match=prefix + "*"))
        if stale:
            client.delete(*stale)
        client.close()


@pytest.mark.parametrize(
    "args", [["sample", "seed", "unused"], ["demo", "seed", "unused", "--url", "sqlite://"]]
)
def test_without_the_demo_installed_says_how_to_install_it(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import yinsi_demo…` fail as if yinsi[demo] were missing
    for name in [m for m in sys.modules if m == "yinsi_demo" or m.startswith("yinsi_demo.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "yinsi_demo", None)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pip install 'yinsi[demo]'" in lines[0], result.output
    assert "Traceback" not in result.output and not (tmp_path / "unused").exists()
