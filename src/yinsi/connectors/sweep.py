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

**PostgreSQL deletes walk the heap instead** (:data:`PAGES`): a batch is the next P pages
of the table's file, ``ctid >= '(first,0)' AND ctid < '(first+P,0)' AND predicate``, read
by a TID range scan at the speed of a bare ``DELETE … WHERE`` (the key walk pays an index
lookup per row and came to 1.2-1.6x of it; ``docs/benchmarks.md``). P is the asked
number of keys over the table's rows per page (``pg_class``); progress is the last page
done; the batch that reaches the file's current end has no upper bound, so pages the
table grew by during the run are swept too. The trade-off: a row that an ``UPDATE`` (or
a ``VACUUM FULL``) moves from a page not yet swept into one already swept during the run
is missed by this run and deleted by the next. The key walk has the same gap for a row
inserted or re-keyed behind it, and a sweep runs again every day, so an expired row is
at most one run late either way; neither ever deletes a row that is not due, since every
batch checks the predicate (PostgreSQL re-checks it on a row changed under the
``DELETE``). Field erasure keeps the key walk (its ``UPDATE`` moves rows, so a heap walk
could meet them again), as do SQLite, MariaDB and anything that is not a plain table
(partitioned, a view).

This sits beside :class:`~yinsi.connectors.sql.SqlConnector` rather than in the rights
port: a rights request acts on one subject's keys, a sweep on a whole table by predicate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from math import ceil
from typing import Any, Literal, Self

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
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

from yinsi.connectors.pg_relations import page_before, page_from, pages_of, relation
from yinsi.connectors.sql import _escape
from yinsi.connectors.sql_job import SqlStoreJob
from yinsi.connectors.sql_values import NotOfType, coerce, coerce_all
from yinsi.connectors.sweep_limit import limit_statement, still_to_erase
from yinsi.declaration.datamap import Store, Strategy
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


Walk = Literal["keys", "pages", "limit"]
"""How a dataset's batches advance: by primary key (any store), by heap page
(PostgreSQL deletes, :data:`PAGES`), or, for a table without a primary key, by the next
N rows still to do (:data:`LIMIT`). A checkpoint records it; progress of one walk
means nothing to the other."""
KEYS: Walk = "keys"
PAGES: Walk = "pages"
LIMIT: Walk = "limit"
"""A table no key names the rows of (:attr:`SweepPlan.primary_key` None): each batch acts
on the first N rows that still need it — ``DELETE … LIMIT N`` on MariaDB, the rows of
``ctid IN (SELECT ctid … LIMIT N)`` on PostgreSQL (a TID scan), of ``rowid IN (SELECT
rowid … LIMIT N)`` on SQLite, the predicate checked again on each — a field erasure
only rows with a field not yet empty (strategies ``null``/``delete`` only there), so
every batch makes progress and the walk ends at the first batch short of N. Nothing to
resume but the dataset's being done. PostgreSQL deletes take the page walk instead."""


@dataclass(frozen=True, slots=True)
class _Heap:
    """A plain PostgreSQL table as the page walk sees it."""

    name: str
    """The quoted table name, as ``regclass`` reads it."""
    rows_per_page: float


class SqlSweeper(SqlStoreJob):
    """Runs sweep plans on one SQL store."""

    not_sql = "cannot be swept by SQL"

    def __init__(
        self, store: str, engine: Engine, *, owned: bool = False, pages: bool = True
    ) -> None:
        """``pages``: PostgreSQL deletes walk the heap (the default); ``False``: the key
        walk everywhere."""
        super().__init__(store, engine, owned=owned)
        self._pages = pages
        self._heaps: dict[str, _Heap | None] = {}
        self._relations: dict[str, tuple[str, float, str]] = {}

    @classmethod
    def connect(
        cls, store: Store, environ: Mapping[str, str] | None = None, *, pages: bool = True
    ) -> Self:
        """A sweeper owning a new engine on the store's (expanded) URL."""
        sweeper = super().connect(store, environ)
        sweeper._pages = pages
        return sweeper

    def walk(self, plan: SweepPlan) -> Walk:
        """How :meth:`batch` walks this plan's table (what ``after`` and ``last`` mean)."""
        if self._heap(plan) is not None:
            return PAGES
        return LIMIT if plan.primary_key is None else KEYS

    def count(self, plan: SweepPlan) -> SweepCount:
        """The expired rows still to do: due, and held (kept by a hold or a legal hold).
        Rows a sweep already emptied are neither (:meth:`_expired`)."""
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
        (``None``: from the start), in one transaction. On the page walk (:meth:`walk`)
        ``after`` and the result's ``last`` are page numbers, and ``size`` keys are about
        ``size`` rows' worth of pages."""
        if size < 1:
            raise ValueError("the batch size must be at least 1")
        heap = self._heap(plan)
        if heap is not None:
            return self._page_batch(plan, heap, after, size)
        if plan.primary_key is None:
            return self._limit_batch(plan, size)
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

    # -- the page walk (PostgreSQL deletes) ---------------------------------------------

    def _heap(self, plan: SweepPlan) -> _Heap | None:
        """The table as a heap to walk by page, or ``None``: walk the keys."""
        if not (self._pages and plan.action is SweepAction.DELETE and self._postgres):
            return None
        if plan.table not in self._heaps:
            kind, name, per_page = self._relation(plan)
            # Only a plain table has one heap: not a partitioned table, a view or a foreign one.
            self._heaps[plan.table] = _Heap(name, max(1.0, per_page)) if kind == "r" else None
        return self._heaps[plan.table]

    def _relation(self, plan: SweepPlan) -> tuple[str, str, float]:
        """PostgreSQL's kind of the plan's relation (``r`` a table, ``p`` a partitioned
        one, ``v`` a view, ``f`` a foreign table…), its quoted name and rows per page."""
        if plan.table not in self._relations:
            name = self._engine.dialect.identifier_preparer.format_table(self._table(plan))
            with self._transaction(f"reading the size of table {plan.table!r}") as conn:
                self._relations[plan.table] = (*relation(conn, name), name)
        kind, per_page, name = self._relations[plan.table]
        return kind, name, per_page

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _page_batch(
        self, plan: SweepPlan, heap: _Heap, after: str | None, size: int
    ) -> BatchResult:
        """Delete the eligible rows of the next pages after page ``after``; the batch
        that reaches the table's current end has no upper bound."""
        table = self._table(plan)
        first = 0 if after is None else self._page(plan, after) + 1
        end = first + ceil(size / heap.rows_per_page)
        doing = f"sweeping table {plan.table!r} (dataset {plan.dataset!r})"
        with self._transaction(doing) as conn:
            done = end >= pages_of(conn, heap.name)
            where = [page_from(first), self._eligible(table, plan)]
            if not done:
                where.append(page_before(end))
            rows = conn.execute(sql_delete(table).where(*where)).rowcount
        return BatchResult(rows=rows, last=str(end - 1), done=done)

    def _limit_batch(self, plan: SweepPlan, size: int) -> BatchResult:
        """The first ``size`` rows still to do of a table without a primary key (:data:`LIMIT`)."""
        table = self._table(plan)
        # A PostgreSQL view or foreign table has no ctid to pick N rows by (nor DELETE …
        # LIMIT): its expired rows go in one statement.
        whole = self._postgres and self._relation(plan)[0] not in ("r", "p")
        doing = f"sweeping table {plan.table!r} (dataset {plan.dataset!r})"
        with self._transaction(doing) as conn:
            statement = limit_statement(
                self.store,
                conn.dialect.name,
                table,
                plan,
                self._eligible(table, plan),
                None if whole else size,
            )
            rows = max(conn.execute(statement).rowcount, 0)
        return BatchResult(rows=rows, last=None, done=whole or rows < size)

    def _page(self, plan: SweepPlan, after: str) -> int:
        if not after.isdigit():
            raise ConnectorError(
                self.store,
                f"the checkpoint's last page {after!r} of {plan.table!r} is not a page "
                "number; delete the retention checkpoint and run again",
            )
        return int(after)

    # -- predicates -------------------------------------------------------------------

    def _expired(self, table: Table, plan: SweepPlan) -> ColumnElement[bool]:
        """Rows past the period with something left to erase: a field erasure skips the
        rows whose every field already holds what its strategy writes (empty, the
        ``keyed_hash`` pseudonym, 已匿名), so a dry run after a sweep shows nothing due and
        each batch makes progress. A ``mask`` or ``generalise`` output cannot be told from
        an original value in SQL: a plan with one counts its rows again."""
        since = table.c[plan.since]
        expired = since < _bound(since, plan.cutoff)
        if plan.action is not SweepAction.ERASE_FIELDS or not plan.fields:
            return expired
        left = [still_to_erase(table.c[f.name], f.erase) for f in plan.fields]
        if any(part is None for part in left):
            return expired
        return and_(expired, or_(false(), *(part for part in left if part is not None)))

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
            kept = table.c[plan.excluded_by or plan.primary_key or ""]
            parts.append(kept.not_in(coerce_all(kept, sorted(plan.excluded))))
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
        pk = table.c[plan.primary_key or ""]
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
        names = [plan.primary_key] if plan.primary_key else []
        names += [plan.since, *(f.name for f in plan.fields)]
        names += [h.since for h in plan.holds if h.since]
        names += [plan.excluded_by] if plan.excluded_by else []
        check = "its primary_key, fields, holds, subject or parent, and retention.since"
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
