"""The sharing gate's unit of work (:class:`~.lifecycle_ports.ProvisionUnit`) on SQL.

One provision is decided on the consent state read inside the transaction that stores it,
so a withdrawal cannot slip between the decision and the record:

- **SQLite** (:class:`SqliteProvisionUnit`): the transaction opens ``BEGIN IMMEDIATE``, as
  every yinsi write does (:mod:`.database`), so it holds the write lock before it reads the
  state; a consent write waits for it. It runs on the driver's connection taken from the
  pool, without an ORM session: the state read, the app row, the provision row and its
  audit entry are compiled statements (:mod:`.dbapi_writes`), about 0.3 ms a provision
  less than the same statements through a session (issue 15's overhead target).
- **PostgreSQL, MariaDB** (:class:`SessionProvisionUnit`): a unit of work that reads the
  subject's state row ``FOR SHARE`` (``LOCK IN SHARE MODE`` on MariaDB). A withdrawal
  locks that row ``FOR UPDATE``, so it waits until the provision is committed; both take
  the state row before the audit head, so they cannot deadlock on each other.

:func:`provision_unit` picks the one for the database.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from yinsi.consent import ConsentState
from yinsi.lifecycle.sharing import Provision
from yinsi.security import JsonValue
from yinsi.storage.audit import append_on_cursor
from yinsi.storage.dbapi_writes import DbapiStatement
from yinsi.storage.lifecycle_ports import ProvisionUnit
from yinsi.storage.mapping import state_from_row
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.provisions import record_on_cursor
from yinsi.storage.queries import STATE_BY_SUBJECT, state_of_row
from yinsi.storage.statements import Clock
from yinsi.storage.tables import ConsentStateRow
from yinsi.storage.uow import SqlUnitOfWork

__all__ = ["SessionProvisionUnit", "SqliteProvisionUnit", "provision_unit"]

_BEGIN = DbapiStatement(text("BEGIN IMMEDIATE"))
_COMMIT = DbapiStatement(text("COMMIT"))
_ROLLBACK = DbapiStatement(text("ROLLBACK"))
_READ_STATE = DbapiStatement(STATE_BY_SUBJECT)


class SqliteProvisionUnit(ProvisionUnit):
    """:class:`ProvisionUnit` on the driver's connection of a SQLite pool (see module)."""

    def __init__(self, database: Engine, clock: Clock) -> None:
        require_up_to_date(database)
        self._clock = clock
        self._database = database
        self._dialect = database.dialect
        self._connection = database.raw_connection()
        self._open = False
        self._apps_known: set[str] = set()
        """Apps whose row a state row read here references (the foreign key): no upsert."""
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


def provision_unit(database: Engine, clock: Clock) -> ProvisionUnit:
    """The :class:`ProvisionUnit` for ``database``'s backend."""
    if database.dialect.name == "sqlite":
        return SqliteProvisionUnit(database, clock)
    return SessionProvisionUnit(database, clock)
