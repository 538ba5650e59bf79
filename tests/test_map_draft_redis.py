"""``yinsi map draft --redis``: Redis keys grouped into patterns, tied to the subject root
by the overlap of their variable part with the root's columns (issue 17)."""

from __future__ import annotations

import json
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
        profile = json.dumps({"name": person.name, "tel": person.phone}, ensure_ascii=False)
        client.set(f"{prefix}profile:{person.uid}", profile)  # a JSON document
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
    profile = keys[f"{prefix}profile:{{user_id}}"].fields[0]
    assert (profile.field, profile.format) == ("value", "json")  # no correction writes into it
    assert profile.element in ("name", "mobile_number")
    assert f"{prefix}otp:{{sjh}}" in keys
    root = data_map.datasets[0]
    assert root.provides == {"sjh": "sjh"}
    assert "sjh" in data_map.identities
    text = out.read_text(encoding="utf-8")
    assert not [v for v in secrets_written if v in text or v in result.output]
    assert _row_count(url) == 20  # read-only


def test_keys_no_single_part_ties_to_a_person_are_named_for_the_pi_they_hold(
    tmp_path: Path, redis_prefix: tuple[redis.Redis, str], redis_url: str
) -> None:
    """A fixed key holding many people's ID numbers (a set), a queue of phone numbers (a
    list) and keys a partial overlap does not tie are named with why and what PI they
    hold; a fixed key with no PI (a config value) and one whose parts all vary are not."""
    client, prefix = redis_prefix
    url = f"sqlite:///{tmp_path / 'lender.db'}"
    lender = lender_schema.build(url, users_count=10)
    people = lender.people
    client.sadd(f"{prefix}blacklist:idcard", *[p.id_number for p in people[:5]])
    client.rpush(f"{prefix}queue:sms", *[p.phone for p in people[:5]])
    client.set(f"{prefix}config:version", "3")
    for n, person in enumerate(people[:5]):  # 3 of 5 are the subjects' ids: not a link
        uid = person.uid if n < 3 else 900000 + n
        client.hset(f"{prefix}profile:{uid}", mapping={"mobile": person.phone})
    out = tmp_path / "draft.yaml"
    args = ["map", "draft", "--store", f"core={url}", "--redis", f"cache={redis_url}"]
    result = CliRunner().invoke(app, [*args, "--redis-match", f"{prefix}*", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    loose = text.split("# Redis keys not tied to the subject:", 1)[1].split("\n\n", 1)[0]
    lines = {line.split(": ", 1)[0].removeprefix("#   "): line for line in loose.splitlines()}
    assert "one key for many people" in lines[f"{prefix}blacklist:idcard"]
    assert "value → id_number" in lines[f"{prefix}blacklist:idcard"]
    assert "value → mobile_number" in lines[f"{prefix}queue:sms"]
    assert "only 3/5 sampled key parts found in users.uid" in lines[f"{prefix}profile:{{}}"]
    assert "mobile → mobile_number" in lines[f"{prefix}profile:{{}}"]
    assert f"{prefix}config:version" not in text
    assert not [p.id_number for p in people if p.id_number in text]


def _row_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one())
    finally:
        engine.dispose()
