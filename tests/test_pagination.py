"""Issue 14 Build 7: cursor pagination on every list route (``limit``, ``cursor``,
``X-Next-Cursor``), on SQLite and PostgreSQL; the HTTP client walks the pages."""

from __future__ import annotations

from typing import Any

from conftest import EXAMPLES
from test_api_fixtures import Service, service
from yinsi.client import YinsiClient
from yinsi.consent import Channel, Evidence
from yinsi.security.api_keys import Scope
from yinsi.services.consent import Engine

pytest_plugins = ["storage_fixtures"]
__all__ = ["service"]

APP = "xiaoying_kadai"
EVENTS = f"/v1/apps/{APP}/subjects/s1/events"
EVIDENCE = Evidence(Channel.APP, account="acct-1")


def _ledger(service: Service, grants: int) -> int:
    """Publish 小赢卡贷 and write 2 × ``grants`` events for s1 after its acceptance;
    the number of events in its ledger."""
    with Engine(service.url, actor="test") as engine:
        engine.publish(EXAMPLES / "xiaoying-kadai.yaml")
        engine.accept_policy(APP, "s1", evidence=EVIDENCE)
        for _ in range(grants):
            engine.grant(APP, "s1", "location", evidence=EVIDENCE)
            engine.withdraw(APP, "s1", "location", evidence=EVIDENCE)
        return len(engine.events(APP, "s1"))


def _walk(service: Service, path: str, scope: Scope, **params: Any) -> list[list[Any]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = service.client.get(path, params=query, headers=service.auth(scope))
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = answer.headers.get("X-Next-Cursor")
        if cursor is None:
            assert "Link" not in answer.headers
            return pages
        assert answer.headers["Link"].endswith('rel="next"')


def test_events_come_a_page_at_a_time_in_ledger_order(service: Service) -> None:
    total = _ledger(service, 55)
    assert 100 < total < 120
    pages = _walk(service, EVENTS, Scope.AUDITOR)
    assert [len(p) for p in pages] == [100, total - 100]  # default limit 100
    assert [e["seq"] for p in pages for e in p] == list(range(1, total + 1))
    small = _walk(service, EVENTS, Scope.BACKEND, limit=30)
    assert [len(p) for p in small] == [30, 30, 30, total - 90]
    assert [e["seq"] for p in small for e in p] == list(range(1, total + 1))
    exact = _walk(service, EVENTS, Scope.BACKEND, limit=total)
    assert [len(p) for p in exact] == [total]  # no empty page after an exact fit


def test_limits_are_bounded_and_foreign_cursors_refused(service: Service) -> None:
    _ledger(service, 2)
    c, auditor = service.client, service.auth(Scope.AUDITOR)
    assert c.get(EVENTS, params={"limit": 0}, headers=auditor).status_code == 422
    assert c.get(EVENTS, params={"limit": 1001}, headers=auditor).status_code == 422
    assert c.get(EVENTS, params={"limit": 1000}, headers=auditor).status_code == 200
    keys = c.get("/v1/keys", params={"limit": 1}, headers=service.auth(Scope.ADMIN))
    foreign = keys.headers["X-Next-Cursor"]
    for cursor in (foreign, "not-a-cursor", "e30", "%%%"):
        refused = c.get(EVENTS, params={"cursor": cursor}, headers=auditor)
        assert refused.status_code == 400, cursor
        assert "X-Next-Cursor" in refused.json()["detail"]


def test_keys_and_policies_lists_are_paginated(service: Service) -> None:
    _ledger(service, 0)
    keys = _walk(service, "/v1/keys", Scope.ADMIN, limit=2)
    assert [len(p) for p in keys] == [2, 1]
    assert len({k["id"] for p in keys for k in p}) == 3
    policies = _walk(service, f"/v1/apps/{APP}/policies", Scope.AUDITOR, limit=1)
    assert [len(p) for p in policies] == [1]


def test_every_list_route_declares_limit_and_cursor(service: Service) -> None:
    document = service.client.get("/openapi.json").json()
    lists = []
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        schema = get["responses"].get("200", {}).get("content", {})
        schema = schema.get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            lists.append(path)
            names = {p["name"] for p in get.get("parameters", [])}
            assert {"limit", "cursor"} <= names, path
            assert "X-Next-Cursor" in get["responses"]["200"]["headers"], path
            assert "400" in get["responses"], path
    assert len(lists) == 10, lists  # events, keys, policies, requests, steps, provisions,
    # incidents, sdk-manifest, acquisitions, sources


def test_the_client_walks_every_page(service: Service) -> None:
    total = _ledger(service, 20)
    client = YinsiClient("http://testserver", service.keys[Scope.AUDITOR], http=service.client)
    walked = list(client.iter_events(APP, "s1", page_size=7))
    assert [e.seq for e in walked] == list(range(1, total + 1))
    assert [e.seq for e in client.events(APP, "s1")] == list(range(1, total + 1))
