"""Fixtures of the API tests (imported by the test modules): the service on SQLite and on
PostgreSQL (``empty_url`` of :mod:`storage_fixtures` is parametrised over both)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from yinsi.security.api_keys import Scope
from yinsi.server import create_app
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade


@dataclass(frozen=True)
class Service:
    client: TestClient
    keys: dict[Scope, str]
    key_ids: dict[Scope, str]
    url: str

    def auth(self, scope: Scope) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


@pytest.fixture
def service(empty_url: str) -> Iterator[Service]:
    upgrade(empty_url)
    url = empty_url
    engine = Engine(url, actor="test")
    db = create_engine(url)
    keys, ids = {}, {}
    with SqlUnitOfWork(db) as uow:
        for scope in Scope:
            key, secret = uow.api_keys.create(f"test-{scope.value}", [scope])
            keys[scope], ids[scope] = secret, key.id
        uow.commit()
    app = create_app(Services(db, actor="api"))
    with TestClient(app) as client:
        yield Service(client, keys, ids, url)
    db.dispose()
    engine.close()
