"""Scratch spaces on the machine's real MariaDB and Redis, so parallel runs never collide.

MariaDB: a database ``yinsi_t_<random>`` created as root on 127.0.0.1:3306 and dropped
afterwards. Redis: a random key prefix on 127.0.0.1:6379 whose keys are deleted
afterwards. PostgreSQL scratch databases come from ``storage_fixtures``.

Test modules load this file with ``pytest_plugins = ["services"]`` and use its fixtures
only: importing it (or ``storage_fixtures``) directly would make pytest refuse to load it
as a plugin in another module of the same run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

pytest_plugins = ["storage_fixtures"]

MARIADB_ADMIN_URL = os.environ.get("YINSI_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")
REDIS_URL = os.environ.get("YINSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SQL_BACKENDS = ["sqlite", "postgresql", "mariadb"]


@contextmanager
def mariadb_database() -> Iterator[str]:
    """The URL of a new, empty MariaDB database, dropped on leaving."""
    admin = sa.create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"yinsi_t_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield make_url(MARIADB_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A new, empty MariaDB database for one test."""
    with mariadb_database() as url:
        yield url


@pytest.fixture(scope="module", params=SQL_BACKENDS)
def sql_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One empty database per test module on each of SQLite, PostgreSQL and MariaDB."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'app.db'}"
    elif request.param == "postgresql":
        from storage_fixtures import postgres_database  # loaded as a plugin above

        with postgres_database() as url:
            yield url
    else:
        with mariadb_database() as url:
            yield url


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> Iterator[tuple[redis.Redis, str]]:
    """``(client, prefix)``: a client answering ``str`` and a fresh key prefix whose keys
    are deleted after the test. Write keys only under ``prefix``."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = f"yinsi_t:{secrets.token_hex(6)}:"
    try:
        yield client, prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
