"""The sharing gate's unit of work (:class:`~.lifecycle_ports.ProvisionUnit`) on SQL.

One provision is decided on the consent state read inside the transaction that stores it,
so a withdrawal cannot slip between the decision and the record:

- **SQLite** (:class:`SqliteProvisionUnit`): the transaction opens ``BEGIN IMMEDIATE``, as
  every yinsi write does (:mod:`.database`), so it holds the write lock before it reads the
  state; a consent write waits for it. It runs on the driver's connection taken from the
  pool, without an ORM session: the state read, the app row, the provision row and its
  audit entry are compiled statements (:mod:`.dbapi_writes`), about 0.3 ms a provision
  less than the same statements through a session (issue 15's overhead target).
- **SQLite, joined** (:func:`joined_provision_unit`): the same statements on the caller's
  connection to the *same* database file, inside the caller's transaction. An app that keeps
  yinsi's tables in its own SQLite database stores its row and yinsi's provision in one
  transaction: one durable commit for both, and neither without the other. The unit never
  commits or rolls back (the caller's transaction does); it begins the transaction
  ``BEGIN IMMEDIATE`` when the caller has not begun one yet, and refuses a connection to
  another file or one that syncs less than yinsi's own (``PRAGMA synchronous``).
- **PostgreSQL, MariaDB** (:class:`SessionProvisionUnit`): a unit of work that reads the
  subject's state row ``FOR SHARE`` (``LOCK IN SHARE MODE`` on MariaDB). A withdrawal
  locks that row ``FOR UPDATE``, so it waits until the provision is committed; both take
  the state row before the audit head, so they cannot deadlock on each other.

:func:`provision_unit` picks the one for the database.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Mapping

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from yinsi.consent import ConsentState
from yinsi.lifecycle.sharing import Provision
from yinsi.security import JsonValue
from yinsi.storage.audit import append_on_cursor
from yinsi.storage.database import sqlite_synchronous
from yinsi.storage.dbapi_writes import DbapiStatement
from yinsi.storage.lifecycle_ports import JoinRefused, ProvisionUnit
from yinsi.storage.mapping import state_from_row
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.provisions import record_on_cursor
from yinsi.storage.queries import STATE_BY_SUBJECT, state_of_row
from yinsi.storage.statements import Clock
from yinsi.storage.tables import ConsentStateRow
from yinsi.storage.uow import SqlUnitOfWork

__all__ = [
    "JoinRefused",
    "SessionProvisionUnit",
    "SqliteProvisionUnit",
    "joined_provision_unit",
    "provision_unit",
]

_BEGIN = DbapiStatement(text("BEGIN IMMEDIATE"))
_COMMIT = DbapiStatement(text("COMMIT"))
_ROLLBACK = DbapiStatement(text("ROLLBACK"))
_READ_STATE = DbapiStatement(STATE_BY_SUBJECT)


_SYNC_LEVELS = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}
_SYNC_ORDER = ("OFF", "NORMAL", "FULL", "EXTRA")


class SqliteProvisionUnit(ProvisionUnit):
    """:class:`ProvisionUnit` on the driver's connection of a SQLite pool, or joined to the
    caller's own connection to the same file (``joined``; see module)."""

    def __init__(
        self, database: Engine, clock: Clock, *, joined: sqlite3.Connection | None = None
    ) -> None:
        require_up_to_date(database)
        self._clock = clock
        self._database = database
        self._dialect = database.dialect
        self._joined = joined is not None
        self._open = False
        self._apps_known: set[str] = set()
        """Apps whose row a state row read here references (the foreign key): no upsert."""
        if joined is not None:
            self._connection = None
            self._cursor = joined.cursor()
            if not joined.in_transaction:  # take the write lock before the state read
                _BEGIN.run(self._cursor, self._dialect, {})
            return
        self._connection = database.raw_connection()
        try:
            self._cursor = self._connection.driver_connection.cursor()  # type: ignore[union-attr]
            _BEGIN.run(self._cursor, self._dialect, {})  # waits on the busy timeout
            self._open = True
        except BaseException:
            self._connection.close()
            raise

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        params = {"app_id": app_id, "subject_id": subject_id}
        found = _READ_STATE.run(self._cursor, self._dialect, params).fetchone()
        if found is not None:
            self._apps_known.add(app_id)
        return state_of_row(self._database, app_id, subject_id, found)

    def refuse(
        self, actor: str, app_id: str, subject_id: str, details: Mapping[str, JsonValue]
    ) -> None:
        append_on_cursor(
            self._cursor,
            self._dialect,
            self._clock,
            actor,
            "provision.refused",
            app_id,
            subject_id,
            details,
        )

    def record(self, provision: Provision) -> Provision:
        known = provision.app_id in self._apps_known
        return record_on_cursor(
            self._cursor, self._dialect, self._clock, provision, app_known=known
        )

    def commit(self) -> None:
        if self._joined:
            return  # the caller's transaction commits the provision with its own rows
        _COMMIT.run(self._cursor, self._dialect, {})
        self._open = False

    def close(self) -> None:
        try:
            if self._open:
                self._open = False
                _ROLLBACK.run(self._cursor, self._dialect, {})
        finally:
            try:
                self._cursor.close()
            finally:
                if self._connection is not None:
                    self._connection.close()  # back to the pool


class SessionProvisionUnit(ProvisionUnit):
    """:class:`ProvisionUnit` on a unit of work (PostgreSQL, MariaDB; see module)."""

    def __init__(self, database: Engine, clock: Clock) -> None:
        self._uow = SqlUnitOfWork(database, clock=clock)
        self._session = self._uow.session

    def state(self, app_id: str, subject_id: str) -> ConsentState:
        query = (
            select(ConsentStateRow)
            .where(ConsentStateRow.app_id == app_id, ConsentStateRow.subject_id == subject_id)
            .with_for_update(read=True)
        )
        row = self._session.scalars(query).one_or_none()
        return ConsentState(app_id, subject_id) if row is None else state_from_row(row)

    def refuse(
        self, actor: str, app_id: str, subject_id: str, details: Mapping[str, JsonValue]
    ) -> None:
        self._uow.audit.append(actor, "provision.refused", app_id, subject_id, details)

    def record(self, provision: Provision) -> Provision:
        return self._uow.provisions.record(provision)

    def commit(self) -> None:
        self._uow.commit()

    def close(self) -> None:
        self._uow.__exit__(None, None, None)


def joined_provision_unit(database: Engine, clock: Clock, connection: object) -> ProvisionUnit:
    """A :class:`ProvisionUnit` inside the caller's transaction on ``connection`` (a
    SQLAlchemy ``Connection`` or a ``sqlite3`` connection) to yinsi's own SQLite file.

    Raises :class:`JoinRefused` when yinsi's database is not SQLite, when ``connection``
    is to another file, or when it syncs less than yinsi does (the provision would be less
    durable joined than alone)."""
    if database.dialect.name != "sqlite":
        raise JoinRefused(
            "only a SQLite database can join a provision to the caller's transaction; "
            f"yinsi's database is {database.dialect.name}"
        )
    dbapi, info = _sqlite_connection(connection)
    ours = _real_path(database.url.database or "")
    cursor = dbapi.cursor()
    try:
        if not ours or info.get(_JOINS) != ours:  # a connection's file never changes
            files = {name: file for _, name, file in cursor.execute("PRAGMA database_list")}
            theirs = _real_path(files.get("main") or "")
            if not ours or ours != theirs:
                raise JoinRefused(
                    f"the connection is to {theirs or 'an in-memory database'!r}, yinsi's "
                    f"database is {ours!r}: a provision joins only a transaction on yinsi's "
                    "own file"
                )
            info[_JOINS] = ours
        (level,) = cursor.execute("PRAGMA synchronous").fetchone()
    finally:
        cursor.close()
    wanted = sqlite_synchronous()
    given = _SYNC_LEVELS.get(str(level), "OFF")
    if _SYNC_ORDER.index(given) < _SYNC_ORDER.index(wanted):
        raise JoinRefused(
            f"the connection syncs at PRAGMA synchronous = {given}, below yinsi's {wanted}: "
            f"set PRAGMA synchronous = {wanted} on the app's connections"
        )
    return SqliteProvisionUnit(database, clock, joined=dbapi)


@functools.lru_cache(maxsize=64)
def _real_path(path: str) -> str:
    """``os.path.realpath``, once per path (it asks the file system for every part of the
    path, ≈ 40 µs: a provision joined on every request would pay it twice)."""
    return os.path.realpath(path) if path else ""


_JOINS = "yinsi.joins_file"
"""Key of the pool's per-connection ``info``: the yinsi file the connection was checked to
be on (the check reads ``PRAGMA database_list``; a connection's file never changes)."""


def _sqlite_connection(connection: object) -> tuple[sqlite3.Connection, dict[str, object]]:
    """The ``sqlite3`` connection under a SQLAlchemy ``Connection`` (or given as it is),
    and the pool's ``info`` dict that lives as long as it (a new dict for a bare one)."""
    found = connection
    info: dict[str, object] = {}
    if hasattr(found, "connection"):  # sqlalchemy.engine.Connection → pool's proxy
        found = found.connection
    if hasattr(found, "driver_connection"):  # the pool's proxy → the driver's connection
        info = getattr(found, "info", info)
        found = found.driver_connection
    if not isinstance(found, sqlite3.Connection):
        raise JoinRefused(f"a provision joins a SQLite connection, not {type(connection).__name__}")
    return found, info


def provision_unit(database: Engine, clock: Clock) -> ProvisionUnit:
    """The :class:`ProvisionUnit` for ``database``'s backend."""
    if database.dialect.name == "sqlite":
        return SqliteProvisionUnit(database, clock)
    return SessionProvisionUnit(database, clock)
