"""A run's journal writes on SQLite's DBAPI cursor, one row at a time (issue 16).

A rights run writes a few short rows in each of its two commits (its claim, its move and
transition, its plan's steps). On SQLite, in process, SQLAlchemy's ``execute`` costs
several times what SQLite spends on such a row; :class:`~.dbapi_writes.DbapiStatement`
runs the same Core statement, compiled once, on the raw cursor of the unit of work's
connection: the same transaction (begun ``IMMEDIATE``, the write lock held), the same
bind processors (UTC timestamps, JSON), the same exception types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement

from yinsi.storage.dbapi_writes import DbapiStatement, dbapi_cursor

__all__ = ["dbapi_statement", "on_sqlite", "run_columns", "run_each"]

_BUILT: dict[int, tuple[ClauseElement, DbapiStatement]] = {}
"""DBAPI forms of statements built once at import or cached by their module (by id; the
statement itself is kept so its id is never reused)."""


def on_sqlite(session: Session) -> bool:
    """Whether the unit of work's database is SQLite (where :func:`run_each` applies)."""
    return session.get_bind().dialect.name == "sqlite"


def dbapi_statement(statement: ClauseElement) -> DbapiStatement:
    """The :class:`DbapiStatement` of a Core statement that lives as long as the process
    (a module constant, or one its module caches): made once."""
    found = _BUILT.get(id(statement))
    if found is None:
        found = _BUILT[id(statement)] = (statement, DbapiStatement(statement))
    return found[1]


def run_each(session: Session, statement: DbapiStatement, rows: Sequence[Mapping[str, Any]]) -> int:
    """``statement`` once per row on the cursor of the session's (SQLite) transaction, in
    one ``executemany`` (its loop in C); the number of rows it changed."""
    cursor, dialect = dbapi_cursor(session)
    try:
        if len(rows) == 1:
            return int(statement.run(cursor, dialect, rows[0]).rowcount)
        return statement.run_many(cursor, dialect, rows)
    finally:
        cursor.close()


def run_columns(
    session: Session, statement: DbapiStatement, columns: Mapping[str, Sequence[Any]]
) -> int:
    """``statement`` once per row given column by column
    (:meth:`~.dbapi_writes.DbapiStatement.run_columns`) on the cursor of the session's
    (SQLite) transaction; the number of rows it changed."""
    cursor, dialect = dbapi_cursor(session)
    try:
        return statement.run_columns(cursor, dialect, columns)
    finally:
        cursor.close()
