"""Hot read paths without the ORM session: the subject's consent state, an API key.

Every decision reads the subject's state, and every request checks its API key. Through an
ORM unit of work each read costs about 500 µs on SQLite; a compiled Core statement on a
pooled connection about 185 µs; the same SELECT run on the driver's own connection, its
columns converted by their SQLAlchemy types, about 40 µs. :class:`RawRead` does that: the
statement is compiled once per engine for its dialect, and a single SELECT needs no
explicit transaction (on SQLite the driver runs in autocommit mode, so it reads one
consistent snapshot without taking a lock; elsewhere the pool's reset on return rolls the
implicit transaction back). Writes keep going through
:class:`~yinsi.storage.uow.SqlUnitOfWork`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.engine import Engine

from yinsi.consent import ConsentState
from yinsi.storage.api_keys import live_key, secret_sha256
from yinsi.storage.mapping import state_from_row
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.ports import ApiKey
from yinsi.storage.tables import ApiKeyRow, ConsentStateRow

_STATE = ConsentStateRow.__table__
_KEYS = ApiKeyRow.__table__
_STATE_BY_SUBJECT = select(_STATE).where(
    _STATE.c.app_id == bindparam("app_id"), _STATE.c.subject_id == bindparam("subject_id")
)
_KEY_BY_DIGEST = select(_KEYS).where(_KEYS.c.secret_sha256 == bindparam("digest"))


class Row:
    """A result row read by :class:`RawRead`: its columns as attributes."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # for the type checker: columns are dynamic
        raise AttributeError(name)


class RawRead:
    """``statement`` compiled for ``engine``'s dialect, run on the driver's connection.

    On SQLite each thread keeps one connection for these reads (in autocommit mode it holds
    no transaction between statements, so it neither blocks writers nor stops WAL
    checkpoints); they are closed when the engine is disposed. Elsewhere a connection is
    taken from the pool for each read and given back, which rolls back the implicit
    transaction the driver opened.
    """

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self._engine = weakref.ref(engine)  # the engine owns this (through _reads), not the reverse
        self._sql = compiled.string
        self._order = compiled.positiontup  # None for a dialect with named parameters
        columns = list(statement.selected_columns)
        self._names = [column.name for column in columns]
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._pin = dialect.name == "sqlite"
        self._local = threading.local()
        self._pinned: list[Any] = []
        if self._pin:
            event.listen(engine, "engine_disposed", self._close_pinned)

    def one_or_none(self, params: Mapping[str, Any]) -> Row | None:
        """The first row for ``params`` (the statement selects by a unique key), or None."""
        bound: Any = params if self._order is None else [params[n] for n in self._order]
        if self._pin:
            found = self._fetch(self._pinned_connection(), bound)
        else:
            connection = self._engine_().raw_connection()
            try:
                found = self._fetch(connection, bound)
            finally:
                connection.close()  # back to the pool, which rolls back
        if found is None:
            return None
        return Row(
            {
                name: value if process is None else process(value)
                for name, process, value in zip(self._names, self._processors, found, strict=True)
            }
        )

    def _engine_(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine of this read was garbage-collected")
        return engine

    def _fetch(self, connection: Any, bound: Any) -> Any:
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, bound)
            return cursor.fetchone()
        finally:
            cursor.close()

    def _pinned_connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._engine_().raw_connection()
            with _lock:
                self._pinned.append(connection)
            self._local.connection = connection
        return connection

    def _close_pinned(self, _engine: Engine) -> None:
        with _lock:
            pinned, self._pinned = self._pinned, []
        self._local = threading.local()
        for connection in pinned:
            connection.invalidate()  # closes the driver's connection; never back to a pool


class _Reads:
    def __init__(self, engine: Engine) -> None:
        self.state = RawRead(engine, _STATE_BY_SUBJECT)
        self.key = RawRead(engine, _KEY_BY_DIGEST)


_reads: WeakKeyDictionary[Engine, _Reads] = WeakKeyDictionary()
_lock = threading.Lock()


def _reads_of(engine: Engine) -> _Reads:
    reads = _reads.get(engine)
    if reads is None:
        require_up_to_date(engine)
        with _lock:
            reads = _reads.setdefault(engine, _Reads(engine))
    return reads


def consent_state(engine: Engine, app_id: str, subject_id: str) -> ConsentState:
    """The subject's current state; the empty state for a subject never seen."""
    found = _reads_of(engine).state.one_or_none({"app_id": app_id, "subject_id": subject_id})
    return ConsentState(app_id, subject_id) if found is None else state_from_row(found)


def api_key(engine: Engine, secret: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, or None."""
    digest = secret_sha256(secret)
    return live_key(_reads_of(engine).key.one_or_none({"digest": digest}), digest)
