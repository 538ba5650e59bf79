"""Issue 14 Build 7: ``/healthz`` answers for the process, ``/readyz`` for its dependencies
(yinsi's database on SQLite and PostgreSQL, the broker when configured), 503 naming what failed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from test_api_fixtures import Service, service
from yinsi.server import create_app
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.operations import OperationsSettings
from yinsi.storage import create_engine, upgrade

pytest_plugins = ["storage_fixtures"]
__all__ = ["service"]


@contextmanager
def _admin() -> Iterator[sa.Connection]:
    from storage_fixtures import POSTGRES_ADMIN_URL

    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            yield connection
    finally:
        admin.dispose()


@contextmanager
def _client(url: str, broker: str | None = None) -> Iterator[TestClient]:
    settings = Settings(operations=OperationsSettings(broker_url=broker, readiness_timeout_s=2))
    database = create_engine(url)
    try:
        with TestClient(create_app(Services(database, settings=settings))) as client:
            yield client
    finally:
        database.dispose()


def test_healthz_and_readyz_answer_on_a_working_database(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": [{"name": "database", "ok": True, "detail": "ok"}],
    }


def test_readyz_is_503_naming_the_database_when_it_goes_down(postgres_url: str) -> None:
    name = make_url(postgres_url).database
    with _client(postgres_url) as client:
        assert client.get("/readyz").status_code == 200
        with _admin() as admin:  # the database refuses new connections, open ones end
            admin.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        try:
            assert client.get("/healthz").status_code == 200  # the process itself is fine
            ready = client.get("/readyz")
        finally:
            with _admin() as admin:
                admin.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"][0]["name"] == "database"
    assert body["checks"][0]["ok"] is False
    assert "数据库不可用" in body["checks"][0]["detail"]


@pytest.mark.parametrize(
    "broker", ["redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//"]
)
def test_readyz_checks_a_configured_broker(tmp_path: pytest.TempPathFactory, broker: str) -> None:
    url = f"sqlite:///{tmp_path}/yinsi.db"
    upgrade(url)
    with _client(url, broker) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert [c["name"] for c in ready.json()["checks"]] == ["database", "broker"]


@pytest.mark.parametrize(
    "broker",
    [
        "redis://:secret-pw@127.0.0.1:1/0",
        "amqp://guest:secret-pw@127.0.0.1:1//",
        "amqp://guest:secret-pw@127.0.0.1:6379//",  # a port that is no AMQP broker
    ],
)
def test_readyz_is_503_naming_the_broker_without_its_password(
    tmp_path: pytest.TempPathFactory, broker: str
) -> None:
    url = f"sqlite:///{tmp_path}/yinsi.db"
    upgrade(url)
    with _client(url, broker) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    failed = ready.json()["checks"][1]
    assert failed["name"] == "broker" and failed["ok"] is False
    assert "127.0.0.1" in failed["detail"]
    assert "secret-pw" not in ready.text
