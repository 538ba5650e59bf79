"""Connection pools (SQLAlchemy engines) set up for yinsi's transactions on each backend.

SQLite: the ``sqlite3`` driver's own (legacy) transaction control is switched off and
every transaction opens with ``BEGIN IMMEDIATE``, the hooks SQLAlchemy documents for
pysqlite. The write lock is then taken when a unit of work starts instead of half-way
through it, so two writers queue on the busy timeout rather than deadlock, and a read
followed by a write in one unit of work sees no other writer in between. A read-only
unit of work (``SqlUnitOfWork(database, read_only=True)``) opens a deferred ``BEGIN``
instead: with WAL, readers run beside the writer.
PostgreSQL: psycopg 3, READ COMMITTED; the ledger locks a subject's row explicitly.

A SQLite file runs in WAL mode with ``PRAGMA synchronous`` from ``YINSI_SQLITE_SYNCHRONOUS``
(:data:`SYNCHRONOUS_ENV`): ``FULL`` (the default) syncs the WAL to disk at every commit,
so a committed transaction survives a power loss or an OS crash; ``NORMAL`` syncs only at
checkpoints — a commit still survives the process crashing or being killed, and the file
is never corrupted, but the last transactions before a power loss or OS crash may be
rolled back. ``NORMAL`` saves one disk sync per write (about 0.3 ms on an idle SSD, many
ms on a busy disk); choose it only where that risk is acceptable.

Every pool hides statement parameters from its errors and logs (``hide_parameters``): a
failed statement's message names the SQL, never the values bound to it (client IPs,
accounts, user agents are PI).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url

from yinsi.storage.url import normalize

READ_ONLY = "yinsi_read_only"
"""Execution option of a read-only unit of work: on SQLite its transaction is deferred, so
concurrent readers (every decision, every API-key check) do not take the write lock."""

SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for the write lock before giving up."""

SYNCHRONOUS_ENV = "YINSI_SQLITE_SYNCHRONOUS"
SYNCHRONOUS_LEVELS = ("FULL", "NORMAL")


class Timeouts(NamedTuple):
    """Statement and lock timeouts in seconds (0: no limit)."""

    statement_s: float
    lock_s: float


class SynchronousSettingInvalid(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"{SYNCHRONOUS_ENV}={value!r} is not a SQLite sync level yinsi accepts; set "
            "FULL (every commit synced to disk, the default) or NORMAL (synced at "
            "checkpoints: survives a process crash, not a power loss)"
        )


def sqlite_synchronous() -> str:
    """The ``PRAGMA synchronous`` level of yinsi's SQLite files (``FULL`` when unset)."""
    value = os.environ.get(SYNCHRONOUS_ENV, "").strip()
    level = value.upper() or "FULL"
    if level not in SYNCHRONOUS_LEVELS:
        raise SynchronousSettingInvalid(value)
    return level


def create_engine(url: str | URL, *, timeouts: Timeouts | None = None) -> Engine:
    """The connection pool (SQLAlchemy engine) for ``url``; a SQLite file's folder is
    created when missing. ``timeouts`` (statement, lock; seconds, 0 = none) are set on
    every PostgreSQL or MariaDB connection of the pool (:func:`_postgres_options`,
    :func:`_apply_mariadb_timeouts`); ``yinsi serve``'s pool gets them (``settings.database``)."""
    parsed = make_url(normalize(url) if isinstance(url, str) else url)
    if parsed.get_backend_name() != "sqlite":
        if timeouts is not None and parsed.get_backend_name() == "postgresql":
            return sa.create_engine(
                parsed, hide_parameters=True, connect_args=_postgres_options(parsed, timeouts)
            )
        pool = sa.create_engine(parsed, hide_parameters=True)
        if timeouts is not None:
            _apply_mariadb_timeouts(pool, timeouts)
        return pool
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    pool = sa.create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, hide_parameters=True
    )
    _take_sqlite_transactions(pool, wal=not in_memory, synchronous=sqlite_synchronous())
    return pool


def _take_sqlite_transactions(database: Engine, *, wal: bool, synchronous: str) -> None:
    @event.listens_for(database, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:  # readers never wait for the writer
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")  # one of SYNCHRONOUS_LEVELS
        cursor.close()

    @event.listens_for(database, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # deferred: a reader never queues behind a writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_options(url: URL, timeouts: Timeouts) -> dict[str, str]:
    """libpq ``options`` setting ``statement_timeout`` and ``lock_timeout`` (ms) at connect
    time (no extra round trip), after any ``options`` the URL carries."""
    statement_ms, lock_ms = (round(t * 1000) for t in timeouts)
    given = url.query.get("options", "")
    mine = f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms}"
    return {"options": f"{given} {mine}".strip() if isinstance(given, str) else mine}


def _apply_mariadb_timeouts(database: Engine, timeouts: Timeouts) -> None:
    """``SET SESSION`` the timeouts on each new MariaDB connection: ``max_statement_time``
    (s), ``lock_wait_timeout`` and ``innodb_lock_wait_timeout`` (whole s, at least 1).
    MySQL has no statement timeout for writes and is left alone."""
    if database.dialect.name not in ("mysql", "mariadb"):
        return

    @event.listens_for(database, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT VERSION()")
            if "mariadb" not in str(cursor.fetchone()[0]).lower():
                return
            if timeouts.statement_s:
                cursor.execute(f"SET SESSION max_statement_time = {float(timeouts.statement_s)}")
            if timeouts.lock_s:
                lock = max(1, round(timeouts.lock_s))
                cursor.execute(f"SET SESSION lock_wait_timeout = {int(lock)}")
                cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {int(lock)}")
        finally:
            cursor.close()
