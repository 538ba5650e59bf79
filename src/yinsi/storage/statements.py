"""Statements that differ by backend: INSERT … ON CONFLICT, transient errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from yinsi.storage.dbapi_writes import DbapiStatement
from yinsi.storage.tables import AppRow, Base

Clock = Callable[[], datetime]

_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505"})
"""PostgreSQL: serialization failure, deadlock, unique violation."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def insert_ignoring_conflict(
    session: Session, row: type[Base], values: dict[str, Any], keys: Sequence[str]
) -> None:
    """Insert a row unless one with the same ``keys`` exists (then do nothing, no error)."""
    stmt: Insert
    match session.get_bind().dialect.name:
        case "postgresql":
            stmt = pg_insert(row).values(values).on_conflict_do_nothing(index_elements=keys)
        case "sqlite":
            stmt = sqlite_insert(row).values(values).on_conflict_do_nothing(index_elements=keys)
        case other:  # pragma: no cover - create_engine accepts only these two
            raise NotImplementedError(f"yinsi storage supports SQLite and PostgreSQL, not {other}")
    session.execute(stmt)


def upsert(session: Session, row: type[Base], values: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert a row, or overwrite the one with the same ``keys`` (one atomic statement)."""
    changes = {k: v for k, v in values.items() if k not in keys}
    stmt: Insert
    match session.get_bind().dialect.name:
        case "postgresql":
            stmt = (
                pg_insert(row)
                .values(values)
                .on_conflict_do_update(index_elements=keys, set_=changes)
            )
        case "sqlite":
            stmt = (
                sqlite_insert(row)
                .values(values)
                .on_conflict_do_update(index_elements=keys, set_=changes)
            )
        case other:  # pragma: no cover - create_engine accepts only these two
            raise NotImplementedError(f"yinsi storage supports SQLite and PostgreSQL, not {other}")
    session.execute(stmt)


_ENSURE_APP: dict[str, Insert] = {}
"""``INSERT … ON CONFLICT DO NOTHING`` of the app row per dialect, built once: the values
are bound at each call, so the compiled statement is reused (every provision, every
consent event of a new subject runs it)."""

_ENSURE_APP_DBAPI: dict[str, DbapiStatement] = {}
"""The same statements, run on the DBAPI cursor (:func:`ensure_app_on`)."""


def _ensure_app_statement(dialect: str) -> Insert:
    stmt = _ENSURE_APP.get(dialect)
    if stmt is None:
        apps = cast(Table, AppRow.__table__)
        values = {
            "app_id": bindparam("app_id", type_=apps.c.app_id.type),
            "created_at": bindparam("created_at", type_=apps.c.created_at.type),
        }
        match dialect:
            case "postgresql":
                stmt = pg_insert(apps).values(values)
                stmt = stmt.on_conflict_do_nothing(index_elements=["app_id"])
            case "sqlite":
                stmt = sqlite_insert(apps).values(values)
                stmt = stmt.on_conflict_do_nothing(index_elements=["app_id"])
            case other:  # pragma: no cover - create_engine accepts only these two
                raise NotImplementedError(
                    f"yinsi storage supports SQLite and PostgreSQL, not {other}"
                )
        _ENSURE_APP[dialect] = stmt
    return stmt


def ensure_app(session: Session, app_id: str, clock: Clock) -> None:
    stmt = _ensure_app_statement(session.get_bind().dialect.name)
    session.execute(stmt, {"app_id": app_id, "created_at": clock()})


def ensure_app_on(cursor: Any, dialect: Dialect, app_id: str, clock: Clock) -> None:
    """:func:`ensure_app` on a DBAPI cursor of the unit of work (see :mod:`.dbapi_writes`)."""
    found = _ENSURE_APP_DBAPI.get(dialect.name)
    if found is None:
        found = DbapiStatement(_ensure_app_statement(dialect.name))
        _ENSURE_APP_DBAPI[dialect.name] = found
    found.run(cursor, dialect, {"app_id": app_id, "created_at": clock()})


def is_transient(exc: DBAPIError) -> bool:
    """Whether trying the same statements again may succeed (a lost race, a deadlock)."""
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(exc.orig)
