"""Writes compiled once and run on the DBAPI cursor of a unit of work's SQLite connection.

The provision write (issue 15's overhead target) runs five short statements on SQLite:
through the ORM session each costs several times what SQLite spends on it. A
:class:`DbapiStatement` compiles its Core statement once per dialect, converts the values
with the columns' own SQLAlchemy types (the same bind processors the session would use:
UTC timestamps, JSON) and runs it on the raw cursor of the session's connection, so it
belongs to the unit of work's transaction (opened ``BEGIN IMMEDIATE``: the write lock is
held) and commits or rolls back with it.

A driver error is raised as SQLAlchemy's own exception type (``IntegrityError``, …),
built with the parameters hidden, as every yinsi pool does (``hide_parameters``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

__all__ = ["DbapiStatement", "dbapi_cursor"]

Processor = Callable[[Any], Any]


class _Compiled:
    """One statement's SQL for one dialect, its parameter order and bind processors."""

    __slots__ = ("converted", "names", "pick", "processors", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        order = compiled.positiontup
        if order is None:  # pragma: no cover - pysqlite is positional (qmark)
            raise NotImplementedError(f"{dialect.name} does not take positional parameters")
        self.sql = compiled.string
        self.names = tuple(order)
        self.processors: tuple[Processor | None, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        )
        self.converted = tuple((i, p) for i, p in enumerate(self.processors) if p is not None)
        """(position, processor) of the parameters a bind processor converts."""
        getter = itemgetter(*self.names) if self.names else None
        self.pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            (lambda _: ())
            if getter is None
            else (lambda values: (getter(values),))
            if len(self.names) == 1
            else cast(Callable[[Mapping[str, Any]], tuple[Any, ...]], getter)
        )
        """The values in parameter order (one C call)."""

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        picked = self.pick(values)
        if not self.converted:
            return picked
        out = list(picked)
        for at, process in self.converted:
            out[at] = process(out[at])
        return tuple(out)


def _converted(process: Processor, values: Sequence[Any]) -> list[Any]:
    """``process`` of each value; a value met again converted once: the same object
    (``values`` keeps each alive, so an id is its own; most of a chunk's column is one
    timestamp, one status, ``None``) once, and equal ones by :func:`_key` once. The
    loops over every value are C's (``map``) but one comprehension."""
    distinct = {id(v): v for v in values}
    alike: dict[Any, Any] = {}
    done: dict[int, Any] = {}
    for at, value in distinct.items():
        key = _key(value)
        if key is None:
            done[at] = process(value)
            continue
        converted = alike.get(key, _MISSING)
        if converted is _MISSING:
            converted = alike[key] = process(value)
        done[at] = converted
    return list(map(done.__getitem__, map(id, values)))


_MISSING = object()
_SCALARS = frozenset({str, int, bool, type(None)})
"""Values a JSON document is memoized by (``1`` and ``True`` told apart by their class;
no float: ``0.0`` and ``-0.0`` are equal keys but not the same JSON)."""


def _key(value: Any) -> Any:
    """What a converted value is memoized by: the value itself (a timestamp, a string…);
    for a flat JSON document of a few scalars (a step's ``{"affected": 3}``, ``[]``) its
    class and items; None when not memoized (None itself, nested or larger documents)."""
    kind = value.__class__
    if kind is str:  # the commonest; a str is never equal to the tuples below
        return value
    if kind is dict:
        if len(value) == 1:  # a step's outcome: its one item, without a generator
            ((k, v),) = value.items()
            return (dict, k.__class__, k, v.__class__, v) if v.__class__ in _SCALARS else None
        if len(value) > 2 or any(v.__class__ not in _SCALARS for v in value.values()):
            return None
        return (dict, *((k.__class__, k, v.__class__, v) for k, v in value.items()))
    if kind is list or kind is tuple:  # a tuple is the same JSON array as a list
        if len(value) > 2 or any(v.__class__ not in _SCALARS for v in value):
            return None
        return (kind, *((v.__class__, v) for v in value))
    if kind is datetime:  # equal instants in two zones are not the same wall time
        return (value, value.tzinfo, value.fold)
    return (kind, value) if kind in _MEMOIZED else None  # True and 1 told apart


_MEMOIZED = frozenset({int, bool, date})
"""Classes of values memoized by their class and value (hashable, equal only when alike)."""


class DbapiStatement:
    """A Core statement with bound parameters (``bindparam`` names), run on a cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()

    def run(self, cursor: Any, dialect: Dialect, values: Mapping[str, Any]) -> Any:
        """Execute on ``cursor`` (from :func:`dbapi_cursor`); the cursor, to fetch from."""
        compiled = self._compiled_for(dialect)
        parameters = compiled.parameters(values)
        try:
            cursor.execute(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            raise _driver_error(compiled, parameters, error, dialect) from error
        return cursor

    def run_many(self, cursor: Any, dialect: Dialect, rows: Iterable[Mapping[str, Any]]) -> int:
        """The statement once per row in one ``executemany`` on ``cursor`` (a DML statement
        returning no rows), converted column by column (:meth:`run_columns`); the number
        of rows it changed."""
        every = rows if isinstance(rows, list) else list(rows)
        compiled = self._compiled_for(dialect)
        if not compiled.names:  # nothing bound: the statement once per row all the same
            return self._execute_many(cursor, dialect, compiled, [()] * len(every))
        columns = {n: [r[n] for r in every] for n in compiled.names}
        return self.run_columns(cursor, dialect, columns)

    def run_columns(
        self, cursor: Any, dialect: Dialect, columns: Mapping[str, Sequence[Any]]
    ) -> int:
        """:meth:`run_many` for rows given column by column (each parameter's values, one
        per row, all of one length): a batch's thousands of rows are built with one list
        comprehension per column, and each column converted in one pass in which a value
        met again (the chunk's one timestamp, status, empty document) is converted once;
        the number of rows changed."""
        compiled = self._compiled_for(dialect)
        if not compiled.names:
            raise ValueError("a statement binding nothing has no columns: use run_many")
        ordered = [
            values if process is None else _converted(process, values)
            for values, process in zip(
                (columns[name] for name in compiled.names), compiled.processors, strict=True
            )
        ]
        return self._execute_many(cursor, dialect, compiled, zip(*ordered, strict=True))

    @staticmethod
    def _execute_many(
        cursor: Any, dialect: Dialect, compiled: _Compiled, parameters: Iterable[tuple[Any, ...]]
    ) -> int:
        try:
            cursor.executemany(compiled.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            raise _driver_error(compiled, None, error, dialect) from error
        return int(cursor.rowcount)

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _Compiled(self._statement, dialect)
        return compiled


def _driver_error(
    compiled: _Compiled, parameters: Any, error: Exception, dialect: Dialect
) -> exc.StatementError:
    """The driver's error as SQLAlchemy's own type, its parameters hidden (as every pool)."""
    return exc.DBAPIError.instance(
        compiled.sql,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=dialect,
    )


def dbapi_cursor(session: Session) -> tuple[Any, Dialect]:
    """A cursor of the DBAPI connection the session's transaction runs on (begun now when
    not yet: on SQLite ``BEGIN IMMEDIATE``), with that connection's dialect."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("the unit of work's connection is closed")
    return driver.cursor(), connection.dialect
