"""Connection pools (SQLAlchemy engines) set up for yinsi's transactions on each backend.

SQLite: the ``sqlite3`` driver's own (legacy) transaction control is switched off and
every transaction opens with ``BEGIN IMMEDIATE``, the hooks SQLAlchemy documents for
pysqlite. The write lock is then taken when a unit of work starts instead of half-way
through it, so two writers queue on the busy timeout rather than deadlock, and a read
followed by a write in one unit of work sees no other writer in between. A read-only
unit of work (``SqlUnitOfWork(database, read_only=True)``) opens a deferred ``BEGIN``
instead: with WAL, readers run beside the writer.
PostgreSQL: psycopg 3, READ COMMITTED; the ledger locks a subject's row explicitly.

Every pool hides statement parameters from its errors and logs (``hide_parameters``): a
failed statement's message names the SQL, never the values bound to it (client IPs,
accounts, user agents are PI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from yinsi.storage.url import normalize

READ_ONLY = "yinsi_read_only"
"""Execution option of a read-only unit of work: on SQLite its transaction is deferred, so
concurrent readers (every decision, every API-key check) do not take the write lock."""

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for the write lock before giving up."""


def create_engine(url: str | URL) -> Engine:
    """The connection pool (SQLAlchemy engine) for ``url``; a SQLite file's folder is
    created when missing."""
    parsed = make_url(normalize(url) if isinstance(url, str) else url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, hide_parameters=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    pool = sa.create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, hide_parameters=True
    )
    _take_sqlite_transactions(pool, wal=not in_memory)
    return pool


def _take_sqlite_transactions(database: Engine, *, wal: bool) -> None:
    @event.listens_for(database, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:  # readers never wait for the writer
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(database, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # deferred: a reader never queues behind a writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
