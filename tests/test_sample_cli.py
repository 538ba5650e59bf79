"""``yinsi sample seed``: the demo's sample stores, data map and environment file."""

from __future__ import annotations

import secrets
from pathlib import Path

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
