"""The statement of one batch of the limit walk (:data:`yinsi.connectors.sweep.LIMIT`):
a retention sweep of a table no key names the rows of, N rows still to do at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, literal_column
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update

from yinsi.lifecycle.retention import SweepAction, SweepPlan
from yinsi.rights.ports import ConnectorError

__all__ = ["limit_statement"]


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
