"""The statement of one batch of the limit walk (:data:`yinsi.connectors.sweep.LIMIT`):
a retention sweep of a table no key names the rows of, N rows still to do at a time; and
what is still to do in a row (:func:`still_to_erase`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, and_, func, literal_column, not_
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update

from yinsi.declaration.datamap import EMPTYING, Strategy
from yinsi.lifecycle.deidentify import ANONYMISED, TOKEN_LENGTH, TOKEN_PREFIX
from yinsi.lifecycle.retention import SweepAction, SweepPlan
from yinsi.rights.ports import ConnectorError

__all__ = ["limit_statement", "still_to_erase"]


def limit_statement(
    store: str,
    dialect: str,
    table: Table,
    plan: SweepPlan,
    eligible: ColumnElement[bool],
    size: int | None,
) -> Any:
    """``DELETE`` (or ``UPDATE … SET field = NULL``) of at most ``size`` rows meeting
    ``eligible`` (for a field erasure, rows with a field not yet empty, so each batch makes
    progress: :meth:`~yinsi.connectors.sweep.SqlSweeper._expired`): ``… LIMIT N`` on
    MariaDB, ``ctid IN (SELECT ctid … LIMIT N)`` on PostgreSQL (a TID scan),
    ``rowid IN (SELECT rowid … LIMIT N)`` on SQLite, the predicate checked again on each
    row; ``size`` None: every such row (a relation with neither, e.g. a view)."""
    columns = [table.c[f.name] for f in plan.fields]
    deleting = plan.action is SweepAction.DELETE
    if not deleting and not plan.empties:
        raise ConnectorError(
            store,
            f"dataset {plan.dataset!r} has no primary_key: its expired rows can only have "
            "their fields emptied (`null`/`delete`), not rewritten one by one; give it a "
            "primary_key",
        )
    statement: Any = sql_delete(table) if deleting else sql_update(table)
    if size is None:
        statement = statement.where(eligible)
    elif dialect in ("mysql", "mariadb"):
        statement = statement.where(eligible).with_dialect_options(mysql_limit=size)
    else:
        row: ColumnElement[Any] = literal_column("ctid" if dialect == "postgresql" else "rowid")
        picked = sql_select(row).where(eligible).limit(size)
        statement = statement.where(row.in_(picked.scalar_subquery()), eligible)
    if not deleting:
        statement = statement.values({c.name: None for c in columns})
    return statement


def still_to_erase(column: Column[Any], strategy: Strategy) -> ColumnElement[bool] | None:
    """The column's value is not yet what ``strategy`` writes (None: SQL cannot tell)."""
    if strategy in EMPTYING or (strategy is Strategy.ANONYMISE and not _text(column)):
        return column.is_not(None)
    if strategy is Strategy.KEYED_HASH:
        token = and_(column.like(f"{TOKEN_PREFIX}%"), func.length(column) == TOKEN_LENGTH)
        return and_(column.is_not(None), not_(token))
    if strategy is Strategy.ANONYMISE:
        return and_(column.is_not(None), column != ANONYMISED)
    return None


def _text(column: Column[Any]) -> bool:
    return isinstance(column.type, String)
