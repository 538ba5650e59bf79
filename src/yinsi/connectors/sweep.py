"""The SQL side of a retention sweep: count, then act on expired rows in key-ordered batches.

A :class:`~yinsi.lifecycle.retention.SweepPlan` becomes one predicate,

    since < :cutoff AND NOT (held) AND pk NOT IN (:legally_held)

and each batch is one short transaction over the next N keys of the table in key order,
eligible or not: the N-th key after the last batch (``SELECT pk … WHERE pk > :after ORDER
BY pk LIMIT 1 OFFSET N-1``, read from the primary-key index alone), then one ``DELETE``
(or a ``SELECT … FOR UPDATE`` + ``UPDATE`` of the fields) over ``after < pk <= that key``
that checks the predicate, so a row refreshed meanwhile is never touched. No key lists
travel, no lock outlives a batch and at most N rows are locked. Progress is the last key
done: a sweep interrupted anywhere resumes after it, and deleted rows are simply gone.

Bounding a batch by keys *scanned* rather than by eligible keys lets the bound come from
the index alone; bounding by eligible keys made the probe read every row of the batch
from the table, then the ``DELETE`` read them again (2-3x a bare ``DELETE … WHERE``,
``docs/benchmarks.md``). The walk follows the primary key, so an index on ``since`` is not
needed by a run (it speeds up the dry run's counts only).

This sits beside :class:`~yinsi.connectors.sql.SqlConnector` rather than in the rights
port: a rights request acts on one subject's keys, a sweep on a whole table by predicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    not_,
    or_,
    text,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update

from yinsi.connectors.sql import _escape
from yinsi.connectors.sql_job import SqlStoreJob
from yinsi.connectors.sql_values import NotOfType, coerce, coerce_all
from yinsi.declaration.datamap import Strategy
from yinsi.lifecycle.deidentify import DeidentificationError, apply
from yinsi.lifecycle.retention import SweepAction, SweepPlan
from yinsi.rights.ports import ConnectorError


@dataclass(frozen=True, slots=True)
class SweepCount:
    """Rows of one dataset past their limit today."""

    due: int
    """Expired and not held: what a run deletes or erases."""
    held: int
    """Expired but kept by a hold or a legal hold."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    rows: int
    """Rows deleted, or rows whose fields changed."""
    last: str | None
    """The last key of the batch (as text): the next batch starts after it."""
    done: bool
    """The batch reached the end of the table: the dataset is swept."""


class SqlSweeper(SqlStoreJob):
    """Runs sweep plans on one SQL store."""

    not_sql = "cannot be swept by SQL"

    def count(self, plan: SweepPlan) -> SweepCount:
        table = self._table(plan)
        expired = self._expired(table, plan)
        doing = f"counting expired rows of table {plan.table!r}"
        eligible = case((self._eligible(table, plan), 1), else_=0)
        with self._transaction(doing) as conn:
            total, due = conn.execute(
                sql_select(func.count(), func.coalesce(func.sum(eligible), 0)).where(expired)
            ).one()
        return SweepCount(due=int(due), held=int(total) - int(due))

    def batch(
        self, plan: SweepPlan, after: str | None, size: int, *, hash_key: bytes
    ) -> BatchResult:
        """Act on the eligible rows among the next ``size`` keys after key ``after``
        (``None``: from the start), in one transaction."""
        if size < 1:
            raise ValueError("the batch size must be at least 1")
        table = self._table(plan)
        pk = table.c[plan.primary_key]
        scope: list[ColumnElement[bool]] = []
        if after is not None:
            scope.append(pk > self._key(plan, pk, after))
        doing = f"sweeping table {plan.table!r} (dataset {plan.dataset!r})"
        with self._transaction(doing) as conn:
            upper = conn.execute(
                sql_select(pk).where(*scope).order_by(pk).limit(1).offset(size - 1)
            ).scalar()
            if upper is not None:
                scope.append(pk <= upper)
            where = [*scope, self._eligible(table, plan)]
            last: object = upper
            if plan.action is SweepAction.DELETE:
                rows = conn.execute(sql_delete(table).where(*where)).rowcount
            else:
                rows, erased_last = self._erase_fields(conn, table, plan, where, hash_key)
                last = upper if upper is not None else erased_last
        return BatchResult(rows=rows, last=None if last is None else str(last), done=upper is None)

    # -- predicates -------------------------------------------------------------------

    def _expired(self, table: Table, plan: SweepPlan) -> ColumnElement[bool]:
        since = table.c[plan.since]
        return since < _bound(since, plan.cutoff)

    def _eligible(self, table: Table, plan: SweepPlan) -> ColumnElement[bool]:
        parts = [self._expired(table, plan)]
        held: list[ColumnElement[bool]] = []
        for hold in plan.holds:
            if hold.condition:
                held.append(case((text(f"({_escape(hold.condition)})"), 1), else_=0) == 1)
            if hold.since is not None:
                column = table.c[hold.since]
                held.append(column.is_(None))
                if hold.held_from is None:
                    held.append(column.is_not(None))
                else:
                    held.append(column >= _bound(column, hold.held_from))
        if held:
            parts.append(not_(or_(false(), *held)))
        if plan.excluded:
            pk = table.c[plan.primary_key]
            parts.append(pk.not_in(coerce_all(pk, sorted(plan.excluded))))
        return and_(*parts)

    # -- field erasure ----------------------------------------------------------------

    def _erase_fields(
        self,
        conn: Connection,
        table: Table,
        plan: SweepPlan,
        where: list[ColumnElement[bool]],
        hash_key: bytes,
    ) -> tuple[int, object]:
        pk = table.c[plan.primary_key]
        fields = plan.fields
        query = (
            sql_select(pk, *(table.c[f.name] for f in fields))
            .where(*where)
            .order_by(pk)
            .with_for_update()
        )
        params: list[dict[str, object]] = []
        last: object = None
        for row in conn.execute(query):
            last = row[0]
            new = {
                f"v{i}": self._erased(plan, f.name, f.erase, f.element, old, hash_key)
                for i, (f, old) in enumerate(zip(fields, row[1:], strict=True))
            }
            if any(new[f"v{i}"] != old for i, old in enumerate(row[1:])):
                params.append({"k": row[0], **new})
        if params:
            statement = (
                sql_update(table)
                .where(pk == bindparam("k"))
                .values({f.name: bindparam(f"v{i}") for i, f in enumerate(fields)})
            )
            conn.execute(statement, params)
        return len(params), last

    def _erased(
        self, plan: SweepPlan, name: str, strategy: Strategy, element: str, old: object, key: bytes
    ) -> object:
        if strategy is Strategy.DELETE:
            return None
        try:
            return apply(strategy.value, old, element=element, key=key)
        except DeidentificationError as exc:
            raise ConnectorError(
                self.store, f"column {name!r} of dataset {plan.dataset!r}: {exc}"
            ) from None

    # -- tables -----------------------------------------------------------------------

    def _table(self, plan: SweepPlan) -> Table:
        names = [plan.primary_key, plan.since, *(f.name for f in plan.fields)]
        names += [h.since for h in plan.holds if h.since]
        check = "its primary_key, fields, holds and retention.since"
        return self._reflect(plan.table, plan.dataset, names, check)

    def _key(self, plan: SweepPlan, pk: Column[Any], key: str) -> object:
        try:
            return coerce(pk, key)
        except NotOfType:
            raise ConnectorError(
                self.store,
                f"the checkpoint's last key {key!r} does not fit the primary key of "
                f"{plan.table!r}; delete the retention checkpoint and run again",
            ) from None


def _bound(column: Column[Any], day: date) -> date | datetime:
    """``day`` at midnight, typed for ``column`` (a timestamp or a date)."""
    return datetime.combine(day, time()) if isinstance(column.type, DateTime) else day
