"""Fixtures of the storage tests: a fresh database per test on SQLite and on PostgreSQL.

PostgreSQL databases are created as ``yinsi_test_<random>`` through the ``postgres``
maintenance database and dropped ``WITH (FORCE)`` afterwards, so runs never collide.
Test modules load this file with ``pytest_plugins = ["storage_fixtures"]``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from yinsi.consent import Channel, ConsentEvent, EventKind, Evidence
from yinsi.storage import create_engine, upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "YINSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on leaving."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"yinsi_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - depends on the machine
        admin.dispose()  # a test that needs PostgreSQL fails without it, never skips
        pytest.fail(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'yinsi.db'}"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A never-migrated database on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = create_engine(empty_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A migrated database on each backend."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database, for tests that need several processes."""
    with postgres_database() as url:
        upgrade(url)
        yield url


EventFactory = Callable[..., ConsentEvent]


@pytest.fixture
def new_event() -> EventFactory:
    """``new_event(kind, consent_id, subject_id=…, at=…)``: an event not yet stored."""
    return make_event


def make_event(
    kind: EventKind = EventKind.CONSENT_GRANTED,
    consent_id: str | None = "marketing",
    *,
    app_id: str = "xiaoying_kadai",
    subject_id: str = "subj_0001",
    policy_version: str = "1.3",
    at: datetime | None = None,
) -> ConsentEvent:
    return ConsentEvent(
        app_id=app_id,
        subject_id=subject_id,
        kind=kind,
        policy_version=policy_version,
        at=at or datetime.now(UTC),
        evidence=Evidence(Channel.APP),
        consent_id=consent_id,
    )
