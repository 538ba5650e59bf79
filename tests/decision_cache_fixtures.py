"""Shared pieces of the decision-cache tests (imported by the test modules): a published
scratch PostgreSQL database with an API-like root, and the change listeners' connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage.notify import APPLICATION_NAME

EXAMPLE = Path(__file__).resolve().parent.parent / "examples/declarations/xiaoying-kadai.yaml"


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, Services]]:
    """A published scratch PostgreSQL database and an API-like root with its cache."""
    with Engine(postgres_url) as engine:
        engine.publish(EXAMPLE)
    services = Services.open(postgres_url, actor="api", settings=Settings())
    try:
        yield postgres_url, services
    finally:
        services.close()


def listeners(url: str, *, kill: bool = False) -> list[int]:
    """The pids of the change listeners' connections (terminated with ``kill``)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    what = "pid, pg_terminate_backend(pid)" if kill else "pid"
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT {what} FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )
            return sorted(row.pid for row in rows)
    finally:
        admin.dispose()
