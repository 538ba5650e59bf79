"""``yinsi map check`` on Redis, webhook and SQLite stores, and the static hold warnings."""

from __future__ import annotations

import socket
from pathlib import Path

import redis

import lender_schema
from yinsi.services.datamap_check import check_map

pytest_plugins = ["services"]


def _map(tmp_path: Path, extra_stores: str, extra_datasets: str) -> Path:
    text = lender_schema.data_map_text("LENDER_DB_URL")
    text = text.replace("datasets:\n", extra_stores + "datasets:\n", 1) + extra_datasets
    path = tmp_path / "datamap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_redis_keys_are_sampled_and_a_missing_hash_field_is_reported(
    tmp_path: Path, redis_prefix: tuple[redis.Redis, str], redis_url: str
) -> None:
    client, prefix = redis_prefix
    client.hset(f"{prefix}session:10001", mapping={"device_id": "D-1", "ip": "1.2.3.4"})
    client.hset(f"{prefix}session:10002", mapping={"device_id": "D-2", "ip": "1.2.3.5"})
    lender = lender_schema.build(f"sqlite:///{tmp_path / 'lender.db'}")
    stores = "  - {id: cache, kind: redis, url: '${CACHE_URL}'}\n"
    datasets = f"""\
  - id: sessions
    label: 会话
    store: cache
    key: "{prefix}session:{{user_id}}"
    erase: row
    fields:
      - {{field: device_id, element: device_id}}
      - {{field: ip_address, element: ip_address}}
  - id: pushes
    label: 推送令牌
    store: cache
    key: "{prefix}push:{{user_id}}"
    erase: row
"""
    path = _map(tmp_path, stores, datasets)
    env = {"LENDER_DB_URL": lender.url, "CACHE_URL": redis_url}
    report = check_map(path, connect=True, environ=env)
    found = {p.path: (p.severity, p.message, p.line) for p in report.problems}
    assert ("datasets", 9, "fields", 1, "field") in found, [str(p) for p in report.problems]
    severity, message, line = found[("datasets", 9, "fields", 1, "field")]
    assert severity == "error" and "no sampled hash" in message and "'ip_address'" in message
    assert "(has: device_id, ip)" in message  # field names, never values
    assert (
        line
        == path.read_text(encoding="utf-8")
        .splitlines()
        .index("      - {field: ip_address, element: ip_address}")
        + 1
    )
    severity, message, _ = found[("datasets", 10, "key")]
    assert severity == "warning" and "no key matches" in message
    assert [(s.store, s.reachable) for s in report.stores] == [("core", True), ("cache", True)]
    assert "D-1" not in str(report) and "1.2.3.4" not in str(report)


def test_an_unreachable_webhook_and_redis_are_errors(tmp_path: Path) -> None:
    lender = lender_schema.build(f"sqlite:///{tmp_path / 'lender.db'}")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    stores = (
        f"  - {{id: cache, kind: redis, url: 'redis://127.0.0.1:{port}/0'}}\n"
        f"  - {{id: agency, kind: webhook, url: 'http://127.0.0.1:{port}/yinsi', "
        "secret: '${AGENCY_KEY}'}\n"
    )
    path = _map(tmp_path, stores, "")
    report = check_map(path, connect=True, environ={"LENDER_DB_URL": lender.url})
    unreachable = {p.path for p in report.errors}
    assert unreachable == {("stores", 1, "url"), ("stores", 2, "url")}
    assert [s.reachable for s in report.stores] == [True, False, False]


def test_a_hold_that_keeps_nothing_and_a_held_row_losing_its_parent_are_warned(
    tmp_path: Path,
) -> None:
    text = lender_schema.data_map_text("LENDER_DB_URL")
    text = text.replace("erase: fields  # a held loan keeps", "erase: row  # a held loan keeps")
    text = text.replace(
        "holds:\n      - {rule: account_data, since: settle_date, "
        "while: \"loan_status = 'outstanding'\"}",
        "holds:\n      - {rule: account_data, since: settle_date}\n      - {rule: account_data}",
    )
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    report = check_map(path)
    warned = {p.path: p.message for p in report.problems if p.severity == "warning"}
    assert "never keeps a row" in warned[("datasets", 3, "holds", 1)]
    parent = warned[("datasets", 3, "holds")]
    assert "hang off dataset 'applications'" in parent and "erase: row" in parent
    assert not report.errors
