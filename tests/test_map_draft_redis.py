"""``yinsi map draft --redis``: Redis keys grouped into patterns, tied to the subject root
by the overlap of their variable part with the root's columns (issue 17)."""

from __future__ import annotations

import random
from pathlib import Path

import redis
import sqlalchemy as sa
from typer.testing import CliRunner

import lender_schema
from yinsi.cli.app import app
from yinsi.declaration.datamap_checks import load_data_map

pytest_plugins = ["services"]


def test_redis_keys_become_datasets_found_by_the_subjects_identities(
    tmp_path: Path, redis_prefix: tuple[redis.Redis, str], redis_url: str
) -> None:
    client, prefix = redis_prefix
    url = f"sqlite:///{tmp_path / 'lender.db'}"
    lender = lender_schema.build(url, users_count=20)
    rng = random.Random(5)
    secrets_written: set[str] = set()
    for person in lender.people:
        ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        device = f"dev-{rng.randrange(10**12):012d}"
        client.hset(f"{prefix}session:{person.uid}", mapping={"ip": ip, "device_id": device})
        code = f"{rng.randrange(10**6):06d}"
        client.set(f"{prefix}otp:{person.phone}", code)
        secrets_written |= {ip, device, code, person.phone, person.name, person.id_number}
    client.set(f"{prefix}config", "x")  # nothing varies: not a pattern
    out = tmp_path / "draft.yaml"
    args = ["map", "draft", "--store", f"core={url}", "--redis", f"cache={redis_url}"]
    result = CliRunner().invoke(app, [*args, "--redis-match", f"{prefix}*", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data_map = load_data_map(out)
    keys = {d.key: d for d in data_map.datasets if d.key is not None}
    session = keys[f"{prefix}session:{{user_id}}"]
    assert {(f.field, f.element) for f in session.fields} >= {
        ("ip", "ip_address"),
        ("device_id", "device_id"),
    }
    assert f"{prefix}otp:{{sjh}}" in keys
    root = data_map.datasets[0]
    assert root.provides == {"sjh": "sjh"}
    assert "sjh" in data_map.identities
    text = out.read_text(encoding="utf-8")
    assert not [v for v in secrets_written if v in text or v in result.output]
    assert _row_count(url) == 20  # read-only


def _row_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one())
    finally:
        engine.dispose()
