"""What a retention sweep reads of a PostgreSQL relation: its kind and size in the
catalogue, and the heap pages its rows sit in (the page walk of
:mod:`yinsi.connectors.sweep`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, cast, literal_column, text
from sqlalchemy.types import UserDefinedType

__all__ = ["ROWS_PER_PAGE", "page_before", "page_from", "pages_of", "relation"]

ROWS_PER_PAGE = 50
"""Rows per page assumed for a table PostgreSQL has not analysed yet (``reltuples`` -1)."""


class _Tid(UserDefinedType[str]):
    """PostgreSQL's ``tid`` (a row's page and slot in the heap), which SQLAlchemy lacks."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "tid"


def relation(conn: Connection, name: str) -> tuple[str, float]:
    """The kind of the relation ``name`` (quoted, as ``regclass`` reads it) — ``r`` a
    table, ``p`` a partitioned one, ``v`` a view, ``f`` a foreign table… — and its rows
    per page."""
    kind, tuples, pages = conn.execute(
        text(
            "SELECT relkind, reltuples, relpages FROM pg_class WHERE oid = CAST(:name AS regclass)"
        ),
        {"name": name},
    ).one()
    return str(kind), tuples / pages if tuples > 0 and pages > 0 else ROWS_PER_PAGE


def pages_of(conn: Connection, name: str) -> int:
    """The pages of the table's file now."""
    return int(
        conn.execute(
            text(
                "SELECT pg_relation_size(CAST(:name AS regclass)) "
                "/ current_setting('block_size')::int"
            ),
            {"name": name},
        ).scalar_one()
    )


def page_from(first: int) -> ColumnElement[bool]:
    """Rows on page ``first`` or after (``ctid >= '(first,0)'``: a TID range scan)."""
    return literal_column("ctid", _Tid()) >= cast(f"({first},0)", _Tid())


def page_before(end: int) -> ColumnElement[bool]:
    """Rows on a page before page ``end`` (``ctid < '(end,0)'``)."""
    return literal_column("ctid", _Tid()) < cast(f"({end},0)", _Tid())
