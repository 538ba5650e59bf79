"""Statements that differ by backend: INSERT … ON CONFLICT, transient errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

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


def ensure_app(session: Session, app_id: str, clock: Clock) -> None:
    insert_ignoring_conflict(session, AppRow, {"app_id": app_id, "created_at": clock()}, ["app_id"])


def is_transient(exc: DBAPIError) -> bool:
    """Whether trying the same statements again may succeed (a lost race, a deadlock)."""
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, IntegrityError) and "UNIQUE constraint failed" in str(exc.orig)
