"""What a SQL catalogue says about a column's type and a table's unique keys.

The one place that maps a reflected SQLAlchemy type to a kind (:func:`sql_kind`) and reads
a table's unique keys (:func:`unique_keys`). ``yinsi map check --connect``
(:mod:`yinsi.connectors.inspect`) and ``yinsi map draft`` (:mod:`yinsi.connectors.introspect`)
both read a live catalogue; each projects these kinds onto its own vocabulary, so the two
can no longer classify the same column differently by accident.

Order matters in :data:`_CLASSES` only where SQLAlchemy types inherit from one another
(``Enum`` and MySQL ``SET`` are ``String``\\ s); ``Float`` is matched by name because it is
no longer a ``Numeric`` subclass since SQLAlchemy 2.1, and PostgreSQL's reflected
``INTERVAL`` is not an ``sa.Interval``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


class SqlKind(StrEnum):
    """What a column holds, as far as checking a data map or drafting one cares."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    """Exact (``NUMERIC``, ``DECIMAL``) or floating point (``REAL``, ``DOUBLE``)."""
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    """A time of day: not a date a period can count from."""
    INTERVAL = "interval"
    TEXT = "text"
    """Character types, enums and MySQL ``SET``."""
    UUID = "uuid"
    """A native UUID column: compared only with values that parse as UUIDs."""
    BINARY = "binary"
    JSON = "json"
    OTHER = "other"
    """Anything else, and a type the database does not name (SQLite ``NullType``)."""


_CLASSES: tuple[tuple[tuple[type[Any], ...], SqlKind], ...] = (
    ((sa.Boolean,), SqlKind.BOOLEAN),
    ((sa.Integer,), SqlKind.INTEGER),
    ((sa.Numeric, sa.Float), SqlKind.NUMBER),
    ((sa.DateTime,), SqlKind.DATETIME),
    ((sa.Date,), SqlKind.DATE),
    ((sa.Time,), SqlKind.TIME),
    ((sa.Interval, postgresql.INTERVAL), SqlKind.INTERVAL),
    ((sa.Uuid,), SqlKind.UUID),
    ((sa.LargeBinary, sa.BINARY, sa.VARBINARY), SqlKind.BINARY),
    ((sa.String,), SqlKind.TEXT),
    ((sa.JSON,), SqlKind.JSON),
)


def sql_kind(type_: object) -> SqlKind:
    """The kind of a SQLAlchemy type instance (as ``inspect().get_columns()`` gives it)."""
    for classes, kind in _CLASSES:
        if isinstance(type_, classes):
            return kind
    return SqlKind.OTHER


def unique_keys(inspector: Any, table: str) -> tuple[tuple[str, ...], ...]:
    """Every column set that ``table``'s unique constraints and unique indexes make unique,
    sorted, each once (a constraint and the index backing it count once).

    Left out: an index on an expression (``lower(email)``: SQLAlchemy names no column for
    it, and the other columns of such an index are not unique by themselves) and a partial
    index (PostgreSQL or SQLite ``WHERE``: unique among some rows only). ``inspector`` is
    ``sqlalchemy.inspect(engine)``; its errors (``SQLAlchemyError``) are the caller's.
    """
    keys = {
        tuple(str(c) for c in u["column_names"]) for u in inspector.get_unique_constraints(table)
    }
    for index in inspector.get_indexes(table):
        columns = index.get("column_names") or []
        options = index.get("dialect_options") or {}
        partial = any(k.endswith("_where") and v is not None for k, v in options.items())
        if index.get("unique") and columns and None not in columns and not partial:
            keys.add(tuple(str(c) for c in columns))
    return tuple(sorted(k for k in keys if k))


def reflect(name: str, conn: sa.Connection) -> sa.Table:
    """Table ``name`` as the database describes it, for yinsi's statements: a JSON
    column's ``None`` binds as SQL ``NULL`` (SQLAlchemy binds it as the JSON document
    ``null`` otherwise, which a column ``IS NOT NULL`` still holds: an erased document
    would look unerased and be counted again)."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    for column in table.columns:
        if isinstance(column.type, sa.JSON):
            column.type.none_as_null = True
    return table
