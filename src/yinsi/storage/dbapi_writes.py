"""Writes compiled once and run on the DBAPI cursor of a unit of work's SQLite connection.

The provision write (issue 15's overhead target) runs five short statements on SQLite:
through the ORM session each costs several times what SQLite spends on it. A
:class:`DbapiStatement` compiles its Core statement once per dialect, converts the values
with the columns' own SQLAlchemy types (the same bind processors the session would use:
UTC timestamps, JSON) and runs it on the raw cursor of the session's connection, so it
belongs to the unit of work's transaction (opened ``BEGIN IMMEDIATE``: the write lock is
held) and commits or rolls back with it.

A driver error is raised as SQLAlchemy's own exception type (``IntegrityError``, …),
built with the parameters hidden, as every yinsi pool does (``hide_parameters``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

__all__ = ["DbapiStatement", "dbapi_cursor"]

Processor = Callable[[Any], Any]


class _Compiled:
    """One statement's SQL for one dialect, its parameter order and bind processors."""

    __slots__ = ("names", "processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        order = compiled.positiontup
        if order is None:  # pragma: no cover - pysqlite is positional (qmark)
            raise NotImplementedError(f"{dialect.name} does not take positional parameters")
        self.sql = compiled.string
        self.names = tuple(order)
        self.processors: tuple[Processor | None, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        )

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in zip(self.names, self.processors, strict=True)
        )


class DbapiStatement:
    """A Core statement with bound parameters (``bindparam`` names), run on a cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def run(self, cursor: Any, dialect: Dialect, values: Mapping[str, Any]) -> Any:
        """Execute on ``cursor`` (from :func:`dbapi_cursor`); the cursor, to fetch from."""
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _Compiled(self._statement, dialect)
        parameters = compiled.parameters(values)
        try:
            cursor.execute(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(
                compiled.sql,
                parameters,
                error,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                dialect=dialect,
            ) from error
        return cursor


def dbapi_cursor(session: Session) -> tuple[Any, Dialect]:
    """A cursor of the DBAPI connection the session's transaction runs on (begun now when
    not yet: on SQLite ``BEGIN IMMEDIATE``), with that connection's dialect."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("the unit of work's connection is closed")
    return driver.cursor(), connection.dialect
