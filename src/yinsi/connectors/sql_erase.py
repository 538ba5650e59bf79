"""Erasure by predicate on SQL stores: a subject's rows erased without reading them first.

:meth:`SqlConnector.erase_where <yinsi.connectors.sql.SqlConnector.erase_where>` builds
its statements here, with SQLAlchemy Core (never by formatting strings), the same on
PostgreSQL, MariaDB and SQLite:

* a root dataset: ``WHERE <subject column> IN (:subjects)``;
* a child: ``WHERE <parent column> IN (SELECT <referenced column> FROM <parent table>
  WHERE …)`` up its parent chain, every table in the same store; a child whose parent
  link holds the subject itself (``orders.user_id`` → ``users.id`` matched by ``id``)
  is matched directly, with no subquery. A chain never reads the table it erases, so
  MariaDB's refusal of ``DELETE … WHERE x IN (SELECT … FROM the same table)`` never
  applies.

``erase: row`` → one ``DELETE … WHERE``. ``erase: fields`` whose strategies only empty
values (``delete``, ``null``) → one ``UPDATE … SET c = NULL WHERE … AND (c IS NOT NULL
…)``, so a re-run counts 0; other strategies read the rows ``FOR UPDATE`` through the
predicate and apply each field's strategy (the connector's key-based path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    any_,
    bindparam,
    or_,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

from yinsi.connectors.sql_values import coerce_all
from yinsi.declaration.datamap import Dataset, Strategy
from yinsi.rights.ports import EraseOutcome

__all__ = ["erase_where", "in_values", "subject_filter"]

NULLING = frozenset({Strategy.DELETE, Strategy.NULL})
"""Field strategies that only empty the value: one ``UPDATE … SET c = NULL`` does them."""

FieldEraser = Callable[[Connection, Table, Dataset, ColumnElement[bool]], list[str]]
"""Applies the dataset's field strategies to the rows a clause selects; the changed keys."""


def in_values(conn: Connection, column: Column[Any], values: list[object]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter,
    which psycopg parses once (a long IN list is parsed again on every call)."""
    plain = not isinstance(column.type, (NullType, ARRAY))  # a type PostgreSQL can cast to
    if conn.dialect.name == "postgresql" and plain:
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def subject_filter(
    conn: Connection,
    dataset: Dataset,
    table: Table,
    chain: Sequence[tuple[Dataset, Table]],
    subjects: Sequence[str],
) -> tuple[ColumnElement[bool], Column[Any] | None]:
    """The clause selecting the subjects' rows of ``table``, and the column of ``table``
    whose value is the subject (None when the rows link to it through a subquery)."""
    if not chain:
        if dataset.subject is None:
            raise ValueError(f"dataset {dataset.id!r} has no `subject`: it cannot be a root")
        column = table.c[dataset.subject.column]
        return in_values(conn, column, coerce_all(column, subjects)), column
    if dataset.parent is None:
        raise ValueError(f"dataset {dataset.id!r} has no `parent` to match it through")
    parent, parent_table = chain[0]
    link = table.c[dataset.parent.column]
    referenced = dataset.parent.references or parent.primary_key or ""
    direct = parent.subject is not None and referenced == parent.subject.column
    if len(chain) == 1 and direct:
        return in_values(conn, link, coerce_all(link, subjects)), link
    inner, _ = subject_filter(conn, parent, parent_table, chain[1:], subjects)
    return link.in_(sql_select(parent_table.c[referenced]).where(inner)), None


def erase_where(
    conn: Connection,
    dataset: Dataset,
    table: Table,
    chain: Sequence[tuple[Dataset, Table]],
    subjects: Sequence[str],
    erase_fields: FieldEraser,
) -> EraseOutcome:
    """Erase the subjects' rows of ``dataset`` as it says (see the module docstring);
    the outcome counts them, per subject when the store can tell."""
    unique = list(dict.fromkeys(subjects))
    where, own = subject_filter(conn, dataset, table, chain, unique)
    single = unique[0] if len(unique) == 1 else None
    nulling = dataset.erase == "fields" and all(f.erase in NULLING for f in dataset.fields)
    if single is None and (own is None or (dataset.erase == "fields" and not nulling)):
        # rows that do not tell their subject: one statement per subject, same transaction
        by = {
            s: erase_where(conn, dataset, table, chain, [s], erase_fields).affected for s in unique
        }
        return EraseOutcome(sum(by.values()), by_subject=by)
    if dataset.erase == "row":
        deleting = sql_delete(table).where(where)
        if single is None and own is not None and conn.dialect.delete_returning:
            return _counted(conn.execute(deleting.returning(own)).scalars().all(), unique)
        if single is None and own is not None:  # pragma: no cover - all three return rows
            gone = conn.execute(sql_select(own).where(where).with_for_update()).scalars().all()
            conn.execute(deleting)
            return _counted(gone, unique)
        return _total(conn.execute(deleting).rowcount, single)
    if not dataset.fields:
        return EraseOutcome(0, by_subject={s: 0 for s in unique})
    if nulling:
        columns = [table.c[f.name] for f in dataset.fields]
        changing = and_(where, or_(*(c.is_not(None) for c in columns)))
        statement = sql_update(table).where(changing).values({c.name: None for c in columns})
        if single is None and own is not None and conn.dialect.update_returning:
            return _counted(conn.execute(statement.returning(own)).scalars().all(), unique)
        if single is None and own is not None:  # MariaDB: no UPDATE … RETURNING
            rows = conn.execute(sql_select(own).where(changing).with_for_update()).scalars()
            changed = rows.all()
            conn.execute(statement)
            return _counted(changed, unique)
        return _total(conn.execute(statement).rowcount, single)
    return _total(len(erase_fields(conn, table, dataset, where)), single)


def _counted(returned: Sequence[object], subjects: list[str]) -> EraseOutcome:
    """The outcome of a statement that returned each erased row's subject."""
    by = Counter(str(s) for s in returned)
    return EraseOutcome(len(returned), by_subject={s: by.get(s, 0) for s in subjects})


def _total(affected: int, single: str | None) -> EraseOutcome:
    """The outcome of a statement that gave only its row count (per subject if one)."""
    count = max(affected, 0)
    return EraseOutcome(count, by_subject=None if single is None else {single: count})
