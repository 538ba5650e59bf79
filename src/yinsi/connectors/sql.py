"""The SQL adapter of the rights executor: SQLAlchemy 2 Core on PostgreSQL, MariaDB, SQLite.

Each dataset's table is reflected once and cached. Statements are built with Core, never
by formatting strings; the one exception is a hold's ``while`` condition, written by the
operator in the data map, which is wrapped in ``CASE WHEN (…) THEN 1 ELSE 0 END``.

Erasure runs in chunks of ``chunk_size`` keys, one short transaction per chunk, so no
lock is held for long. Per-field erasure reads the chunk's rows ``FOR UPDATE``, applies
each field's strategy (:func:`yinsi.lifecycle.deidentify.apply`, idempotent) and updates
only the columns that change: a re-run after a crash updates nothing more.

Inside :meth:`SqlConnector.session` every call of the calling thread shares one
connection and one transaction instead (a subject's walk, a group of erase steps, a
batch of requests' erasures): one ``BEGIN``/``COMMIT`` and one pool checkout in all.
An erasure tells which keys it deleted or changed (``DELETE … RETURNING``), so a
set-based erasure of many requests can count each request's own records.

:meth:`SqlConnector.erase_where` erases a subject's rows by predicate, without reading
them (:mod:`.sql_erase`).
"""

# long: one adapter class for SQL stores (find, find_many, grouped erase, correct) sharing
# its reflected tables and connection; its statement helpers already live in sql_values,
# sql_job, sql_errors and sql_erase (erasure by predicate).
from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Table,
    bindparam,
    case,
    text,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import select as sql_select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from yinsi.connectors.sql_erase import (
    Cache,
    CountsChanged,
    erase_where,
    in_values,
    subject_filter,
    untouched,
)
from yinsi.connectors.sql_errors import connect_error, statement_error
from yinsi.connectors.sql_types import reflect
from yinsi.connectors.sql_values import NotOfType, as_date, coerce, coerce_all
from yinsi.declaration.datamap import Dataset, MappedField, Store, Strategy
from yinsi.lifecycle.deidentify import DeidentificationError, apply
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome, HoldFacts, Record

_in = in_values

CHUNK_SIZE = 500
"""Keys per IN list and per erase transaction."""
SET_SIZES = {"mysql": 1000, "mariadb": 1000}
"""Subjects per set-based statement a batch best erases by, per dialect (none: the batch's
default). MariaDB pays a fixed cost per statement: in docs/benchmarks.md, 1,000 subjects ×
7 tables took 2.4–2.6 s in chunks of ≤ 250 and 1.7–1.8 s in chunks of ≤ 1,000 (set-based
hand SQL: 1.3–1.7 s); PostgreSQL was fastest at 250–500, its statements overlapping the
batch's bookkeeping."""
SESSION_CHUNK = 5000
"""Keys per IN list inside a :meth:`SqlConnector.session` (one transaction anyway)."""
SCAN_BATCH = 1000
"""Rows fetched per round trip when :meth:`SqlConnector.scan` lists a whole table."""

# A `:name` that text() would take for a bind parameter (its own pattern): escaped as `\:`.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(\w+)(?![:\w])")


class SqlConnector(Connector):
    """A SQL database of the data map, reached through a SQLAlchemy engine."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        *,
        referenced: Mapping[str, Collection[str]] | None = None,
        chunk_size: int = CHUNK_SIZE,
        owned: bool = False,
    ) -> None:
        """``referenced``: per dataset id, its columns that child datasets' ``parent``
        links reference (``references:``), returned in each record's values.
        ``owned``: :meth:`close` disposes the engine (the factory's engines are owned)."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.store = store.id
        self._engine = engine
        self._referenced = {k: tuple(v) for k, v in (referenced or {}).items()}
        self._chunk = chunk_size
        self._owned = owned
        self._tables: dict[tuple[str, str], Table] = {}
        self._erasing: Cache = {}
        """Predicate erasures' statements, built once (:func:`.sql_erase.erase_where`)."""
        self._shown = engine.url.render_as_string(hide_password=True)
        self._local = threading.local()
        """``conn``: the calling thread's connection while inside :meth:`session`."""

    # -- the port ---------------------------------------------------------------------

    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        table = self._table(dataset)
        if dataset.keyless:
            doing = f"reading table {dataset.table!r} (dataset {dataset.id!r})"
            rows: list[Any] = []
            with self._transaction(doing) as conn:
                for column_name, texts in match.items():
                    column = self._column(table, dataset, column_name)
                    for chunk in _chunks(coerce_all(column, texts), self._size()):
                        rows += self._rows(conn, table, dataset, _in(conn, column, chunk))
            return self._ranked(dataset, rows)
        pk = self._pk(table, dataset)
        names = self._value_columns(dataset)
        holds = [
            (
                table.c[h.since] if h.since else None,
                case((text(f"({_escape(h.while_)})"), 1), else_=0) if h.while_ else None,
            )
            for h in dataset.holds
        ]
        selected: list[Any] = [pk, *(table.c[n] for n in names)]
        for since, condition in holds:
            selected += [x for x in (since, condition) if x is not None]
        base = sql_select(*selected).order_by(pk)
        records: dict[str, Record] = {}
        doing = f"reading table {dataset.table!r} (dataset {dataset.id!r})"
        with self._transaction(doing) as conn:
            for column_name, texts in match.items():
                column = self._column(table, dataset, column_name)
                for chunk in _chunks(coerce_all(column, texts), self._size()):
                    for row in conn.execute(base.where(_in(conn, column, chunk))).all():
                        key = str(row[0])
                        if key in records:
                            continue
                        if holds:
                            records[key] = self._record(dataset, names, holds, key, row)
                        else:  # the common case, without the holds' columns: fast
                            values = dict(zip(names, row[1:], strict=True))
                            records[key] = Record(dataset.id, key, values)
        return list(records.values())

    def erase(
        self,
        dataset: Dataset,
        keys: Sequence[str],
        *,
        hash_key: bytes,
        idempotency_key: str,
    ) -> EraseOutcome:
        table = self._table(dataset)
        pk = self._pk(table, dataset)
        erased: set[str] = set()
        for chunk in _chunks(coerce_all(pk, keys), self._size()):
            if dataset.erase == "row":
                doing = f"deleting rows of table {dataset.table!r} (dataset {dataset.id!r})"
                with self._transaction(doing) as conn:
                    statement = sql_delete(table).where(_in(conn, pk, chunk))
                    if conn.dialect.delete_returning:
                        rows = conn.execute(statement.returning(pk)).scalars()
                        erased.update(str(k) for k in rows)
                    else:  # pragma: no cover - every supported database returns them
                        gone = conn.execute(
                            sql_select(pk).where(_in(conn, pk, chunk)).with_for_update()
                        )
                        erased.update(str(k) for k in gone.scalars())
                        conn.execute(statement)
            elif dataset.fields:
                columns = ", ".join(f.name for f in dataset.fields)
                doing = f"erasing columns {columns} of table {dataset.table!r}"
                with self._transaction(doing) as conn:
                    where = _in(conn, pk, chunk)
                    erased.update(self._erase_fields(conn, table, dataset, where, hash_key))
        return EraseOutcome(len(erased), keys=frozenset(erased))

    @property
    def erases_where(self) -> bool:
        return True

    @property
    def set_size(self) -> int | None:
        return SET_SIZES.get(self._engine.dialect.name)

    def erase_where(
        self,
        dataset: Dataset,
        via: Sequence[Dataset],
        subjects: Sequence[str],
        *,
        hash_key: bytes,
    ) -> EraseOutcome:
        """Erase the subjects' records by predicate (:mod:`.sql_erase`), in one
        statement (two for strategies other than emptying), in one transaction."""
        table = self._table(dataset)
        chain = [(d, self._table(d)) for d in via]
        if not subjects:
            return EraseOutcome(0, by_subject={})

        def fields(
            conn: Connection, t: Table, ds: Dataset, where: ColumnElement[bool]
        ) -> list[str]:
            return self._erase_fields(conn, t, ds, where, hash_key)

        what = "deleting rows" if dataset.erase == "row" else "erasing columns"
        doing = f"{what} of table {dataset.table!r} (dataset {dataset.id!r}) by predicate"
        with self._transaction(doing) as conn:
            try:
                return erase_where(conn, dataset, table, chain, subjects, fields, self._erasing)
            except CountsChanged as exc:  # rolled back: the batch runs it again
                message = f"{doing} in {self._shown} failed: {exc}; nothing was kept, run it again"
                raise ConnectorError(self.store, message, retryable=True) from None

    def find_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str]
    ) -> list[Record]:
        """The subjects' rows, matched as :meth:`erase_where` matches them, in the order
        of their values (keyed by that rank when the dataset names no key)."""
        table = self._table(dataset)
        chain = [(d, self._table(d)) for d in via]
        doing = f"reading table {dataset.table!r} (dataset {dataset.id!r}) by predicate"
        with self._transaction(doing) as conn:
            where, _, _ = subject_filter(conn, dataset, table, chain, list(subjects))
            rows = self._rows(conn, table, dataset, where)
        return self._ranked(dataset, rows)

    def correct_where(
        self,
        dataset: Dataset,
        via: Sequence[Dataset],
        subjects: Sequence[str],
        name: str,
        value: str,
    ) -> int:
        """One ``UPDATE … SET name = value`` of the subjects' rows (:meth:`find_where`)."""
        table = self._table(dataset)
        chain = [(d, self._table(d)) for d in via]
        column = self._declared(table, dataset, name)
        new = self._typed(column, dataset, value)
        doing = f"correcting column {name!r} of table {dataset.table!r} by predicate"
        with self._transaction(doing) as conn:
            where, _, _ = subject_filter(conn, dataset, table, chain, list(subjects))
            statement = sql_update(table).where(where).values({column.name: new})
            return max(conn.execute(statement).rowcount, 0)

    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        table = self._table(dataset)
        column = self._declared(table, dataset, name)
        pk = self._pk(table, dataset)
        new = self._typed(column, dataset, value)
        keys = coerce_all(pk, [key])
        if not keys:
            return 0
        doing = f"correcting column {name!r} of table {dataset.table!r}"
        with self._transaction(doing) as conn:
            statement = sql_update(table).where(pk == keys[0]).values({column.name: new})
            return conn.execute(statement).rowcount

    def scan(self, dataset: Dataset) -> Iterator[Record]:
        """Every row of the dataset's table: its primary key and the column linking it to
        its subject (the parent link column, else the subject column), streamed in batches
        of :data:`SCAN_BATCH`; no other column is read."""
        table = self._table(dataset)
        link = dataset.parent or dataset.subject
        if link is None:
            raise ConnectorError(
                self.store,
                f"dataset {dataset.id!r} links to no subject, so its rows cannot be traced; "
                "give it a `subject` or a `parent` in the data map",
            )
        column = link.column
        if dataset.keyless:  # no key: a row is known by its rank in this listing
            query = sql_select(table.c[column])
        else:
            query = sql_select(self._pk(table, dataset), table.c[column])
        doing = f"listing the rows of table {dataset.table!r} (dataset {dataset.id!r})"
        with self._transaction(doing) as conn:
            rows = conn.execute(query.execution_options(yield_per=SCAN_BATCH))
            for rank, row in enumerate(rows, start=1):
                key = f"#{rank}" if dataset.keyless else str(row[0])
                yield Record(dataset.id, key, {column: row[-1]})

    @property
    def groups(self) -> bool:
        return True

    def _size(self) -> int:
        """Values per IN list: larger inside a session, which is one transaction anyway."""
        if getattr(self._local, "conn", None) is None:
            return self._chunk
        return max(self._chunk, SESSION_CHUNK)

    @contextmanager
    def session(self) -> Iterator[None]:
        """One connection and transaction for every call of this thread inside the block;
        committed when it ends, rolled back if it raises. Nested sessions join the outer."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise connect_error(self.store, self._shown, exc) from None
        with conn:
            transaction = conn.begin()
            self._local.conn = conn
            try:
                yield
            except BaseException:
                self._local.conn = None
                transaction.rollback()
                raise
            self._local.conn = None
            try:
                transaction.commit()
            except SQLAlchemyError as exc:
                raise statement_error(self.store, self._shown, exc, "committing") from None

    def close(self) -> None:
        if self._owned:
            self._engine.dispose()

    # -- tables and rows --------------------------------------------------------------

    def _table(self, dataset: Dataset) -> Table:
        """The dataset's table, reflected once; every column the dataset names must exist."""
        if dataset.table is None:
            raise ConnectorError(
                self.store, f"dataset {dataset.id!r} has no `table`, which a SQL store needs"
            )
        table = self._tables.get((dataset.id, dataset.table))
        if table is None:
            table = self._reflect(dataset, dataset.table)
            self._tables[(dataset.id, dataset.table)] = table
        missing = [n for n in _named_columns(dataset, self._referenced) if n not in table.c]
        if missing:
            raise ConnectorError(
                self.store,
                f"table {dataset.table!r} has no column {', '.join(repr(m) for m in missing)}, "
                f"named by dataset {dataset.id!r}; check its primary_key, fields, subject, "
                "parent, provides and holds in the data map",
            )
        return table

    def _reflect(self, dataset: Dataset, name: str) -> Table:
        shared: Connection | None = getattr(self._local, "conn", None)
        try:
            if shared is not None and untouched(shared):  # keep the session's first statement
                with self._engine.connect() as conn:  # for its isolation level (sql_erase)
                    return reflect(name, conn)
            with self._transaction(f"reading the structure of table {name!r}") as conn:
                return reflect(name, conn)
        except NoSuchTableError:
            raise ConnectorError(
                self.store,
                f"table {name!r} of dataset {dataset.id!r} does not exist in {self._shown}; "
                "check `table` in the data map and that the app's schema is migrated",
            ) from None
        except SQLAlchemyError as exc:  # the separate connection's (the others' are wrapped)
            raise statement_error(self.store, self._shown, exc, f"reading table {name!r}") from None

    def _pk(self, table: Table, dataset: Dataset) -> Column[Any]:
        if dataset.primary_key is None:
            raise ConnectorError(
                self.store,
                f"dataset {dataset.id!r} has no `primary_key`, so no key names its rows: "
                "yinsi reads, corrects and erases them by a predicate on the person only "
                "(`yinsi map check` says what that allows)",
            )
        return table.c[dataset.primary_key]

    def _rows(
        self, conn: Connection, table: Table, dataset: Dataset, where: ColumnElement[bool]
    ) -> list[Any]:
        """The value columns (:meth:`_value_columns`) of the rows ``where`` selects, in
        the order of those values (a table with no key has no other)."""
        columns = [table.c[n] for n in self._value_columns(dataset)]
        return list(conn.execute(sql_select(*columns).where(where).order_by(*columns)).all())

    def _ranked(self, dataset: Dataset, rows: list[Any]) -> list[Record]:
        """Rows of :meth:`_rows` as records, keyed by their rank (``#1``, ``#2`` …)."""
        names = self._value_columns(dataset)
        return [
            Record(dataset.id, f"#{rank}", dict(zip(names, row, strict=True)))
            for rank, row in enumerate(rows, start=1)
        ]

    def _declared(self, table: Table, dataset: Dataset, name: str) -> Column[Any]:
        """The column of a declared field (only declared PI can be corrected)."""
        declared = [f.name for f in dataset.fields]
        if name not in declared:
            raise ConnectorError(
                self.store,
                f"column {name!r} is not a declared field of dataset {dataset.id!r} "
                f"(declared: {', '.join(declared) or 'none'}); only declared PI can be "
                "corrected — add it under `fields` in the data map",
            )
        return table.c[name]

    def refuses(self, dataset: Dataset, name: str, value: str) -> str | None:
        column = self._declared(self._table(dataset), dataset, name)
        try:
            self._typed(column, dataset, value)
        except ConnectorError as exc:
            return str(exc)
        return None

    def _typed(self, column: Column[Any], dataset: Dataset, value: str) -> object:
        """A corrected value as ``column`` takes it, refused (nothing written) when it is
        not of the column's type or longer than the column."""
        try:
            new = coerce(column, value)
        except NotOfType as exc:
            raise ConnectorError(self.store, f"dataset {dataset.id!r}: {exc}") from None
        width = getattr(column.type, "length", None)
        if isinstance(new, str) and isinstance(width, int) and len(new) > width:
            raise ConnectorError(
                self.store,
                f"dataset {dataset.id!r}: the new value of column {column.name!r} has "
                f"{len(new)} characters, and the column ({column.type}) holds at most {width}; "
                "nothing was written",
            )
        return new

    def _column(self, table: Table, dataset: Dataset, name: str) -> Column[Any]:
        if name not in table.c:
            raise ConnectorError(
                self.store,
                f"cannot match rows of dataset {dataset.id!r} by {name!r}: table "
                f"{dataset.table!r} has no such column",
            )
        return table.c[name]

    def _value_columns(self, dataset: Dataset) -> list[str]:
        names = [f.name for f in dataset.fields]
        names += dataset.provides.values()
        if dataset.subject is not None:
            names.append(dataset.subject.column)
        if dataset.parent is not None:
            names.append(dataset.parent.column)
        names += self._referenced.get(dataset.id, ())
        return list(dict.fromkeys(names))

    def _record(
        self,
        dataset: Dataset,
        names: list[str],
        holds: list[tuple[Any, Any]],
        key: str,
        row: Any,
    ) -> Record:
        values = dict(zip(names, row[1 : 1 + len(names)], strict=True))
        at = 1 + len(names)
        facts: dict[str, HoldFacts] = {}
        for hold, (since, condition) in zip(dataset.holds, holds, strict=True):
            since_value = condition_value = None
            if since is not None:
                since_value, at = row[at], at + 1
            if condition is not None:
                condition_value, at = row[at], at + 1
            try:
                day = as_date(since_value)
            except ValueError:
                raise ConnectorError(
                    self.store,
                    f"column {hold.since!r} of table {dataset.table!r} (the `since` of hold "
                    f"{hold.rule!r}) holds a value that is not a date; point `since` at a "
                    "date or timestamp column",
                ) from None
            facts[hold.rule] = HoldFacts(since=day, condition=bool(condition_value))
        return Record(dataset=dataset.id, key=key, values=values, holds=facts)

    def _erase_fields(
        self,
        conn: Connection,
        table: Table,
        dataset: Dataset,
        where: ColumnElement[bool],
        hash_key: bytes,
    ) -> list[str]:
        """Applies the fields' strategies to the rows ``where`` selects (their keys, or a
        predicate); returns the keys of the rows it changed."""
        pk = self._pk(table, dataset)
        fields = [(table.c[f.name], f) for f in dataset.fields]
        query = sql_select(pk, *(c for c, _ in fields)).where(where)
        query = query.with_for_update()
        groups: dict[tuple[str, ...], list[tuple[object, dict[str, object]]]] = {}
        for row in conn.execute(query):
            changes: dict[str, object] = {}
            for (column, field), old in zip(fields, row[1:], strict=True):
                new = self._erased(dataset, field, old, hash_key)
                if new != old:
                    changes[column.name] = new
            if changes:
                groups.setdefault(tuple(changes), []).append((row[0], changes))
        for names, rows in groups.items():
            first = rows[0][1]
            if all(c == first for _, c in rows):  # same new values: one UPDATE … IN
                pks = [k for k, _ in rows]
                conn.execute(sql_update(table).where(_in(conn, pk, pks)).values(first))
                continue
            statement = (
                sql_update(table)
                .where(pk == bindparam("yinsi_pk"))
                .values({n: bindparam(f"yinsi_v{i}") for i, n in enumerate(names)})
            )
            params = [
                {"yinsi_pk": k, **{f"yinsi_v{i}": c[n] for i, n in enumerate(names)}}
                for k, c in rows
            ]
            conn.execute(statement, params)
        return [str(k) for rows in groups.values() for k, _ in rows]

    def _erased(self, dataset: Dataset, field: MappedField, old: object, key: bytes) -> object:
        if field.erase is Strategy.DELETE:  # a field cannot be deleted from a row: NULL
            return None
        try:
            return apply(field.erase.value, old, element=field.element, key=key)
        except DeidentificationError as exc:
            raise ConnectorError(
                self.store, f"column {field.name!r} of dataset {dataset.id!r}: {exc}"
            ) from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
        """One short transaction (or the session's, inside :meth:`session`); driver
        errors become :class:`ConnectorError`."""
        shared: Connection | None = getattr(self._local, "conn", None)
        if shared is not None:
            try:
                yield shared
            except NoSuchTableError:
                raise
            except SQLAlchemyError as exc:
                raise statement_error(self.store, self._shown, exc, doing) from None
            return
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise connect_error(self.store, self._shown, exc) from None
        try:
            with conn, conn.begin():
                yield conn
        except NoSuchTableError:
            raise
        except SQLAlchemyError as exc:
            raise statement_error(self.store, self._shown, exc, doing) from None


def _named_columns(dataset: Dataset, referenced: Mapping[str, Sequence[str]]) -> list[str]:
    names = [dataset.primary_key] if dataset.primary_key else []
    names += [f.name for f in dataset.fields]
    names += dataset.provides.values()
    names += [link.column for link in (dataset.subject, dataset.parent) if link is not None]
    names += referenced.get(dataset.id, ())
    names += [h.since for h in dataset.holds if h.since]
    return list(dict.fromkeys(names))


def _escape(condition: str) -> str:
    """An operator's SQL condition for ``text()``: a ``:word`` is literal, not a parameter."""
    return _BIND_LIKE.sub(r"\\:\1", condition)


def _chunks(values: list[object], size: int) -> Iterator[list[object]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
