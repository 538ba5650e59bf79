"""Hot read paths without the ORM session: the subject's consent state, an API key.

Every decision reads the subject's state, and every request checks its API key. Through an
ORM unit of work each read costs about 500 µs on SQLite; a compiled Core statement on a
pooled connection about 185 µs; the same SELECT run on the driver's own connection, its
columns converted by their SQLAlchemy types, about 40 µs. :class:`RawRead` does that: the
statement is compiled once per database for its dialect, and a single SELECT needs no
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
from yinsi.security.api_keys import ApiKey
from yinsi.storage.api_keys import live_key, secret_sha256
from yinsi.storage.mapping import state_from_row
from yinsi.storage.migrate import require_up_to_date
from yinsi.storage.tables import ApiKeyRow, ConsentStateRow

_STATE = ConsentStateRow.__table__
_KEYS = ApiKeyRow.__table__
STATE_BY_SUBJECT = select(_STATE).where(
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
    """``statement`` compiled for ``database``'s dialect, run on the driver's connection.

    On SQLite each thread keeps one connection for these reads (in autocommit mode it holds
    no transaction between statements, so it neither blocks writers nor stops WAL
    checkpoints). It is detached from the pool, so any number of threads never exhausts
    it; the connection of a thread that has ended is closed when another thread pins one,
    and all are closed when the database is disposed. Elsewhere a connection is
    taken from the pool for each read and given back, which rolls back the implicit
    transaction the driver opened.
    """

    def __init__(self, database: Engine, statement: Select[Any]) -> None:
        dialect = database.dialect
        compiled = statement.compile(dialect=dialect)
        self._database = weakref.ref(
            database
        )  # the pool owns this (through _reads), not the reverse
        self._sql = compiled.string
        self._order = compiled.positiontup  # None for a dialect with named parameters
        columns = list(statement.selected_columns)
        self._names = [column.name for column in columns]
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._pin = dialect.name == "sqlite"
        self._local = threading.local()
        self._pinned: list[tuple[weakref.ref[threading.Thread], Any]] = []
        if self._pin:
            event.listen(database, "engine_disposed", self._close_pinned)

    def one_or_none(self, params: Mapping[str, Any]) -> Row | None:
        """The first row for ``params`` (the statement selects by a unique key), or None."""
        found = self.fetch(params)
        return None if found is None else self.row(found)

    def fetch(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row for ``params`` as the driver gives it (columns not converted)."""
        bound: Any = params if self._order is None else [params[n] for n in self._order]
        if self._pin:
            return self._fetch(self._pinned_connection(), bound)
        connection = self._database_().raw_connection()
        try:
            return self._fetch(connection, bound)
        finally:
            connection.close()  # back to the pool, which rolls back

    def row(self, found: tuple[Any, ...]) -> Row:
        """A fetched row with each column converted by its SQLAlchemy type."""
        return Row(
            {
                name: value if process is None else process(value)
                for name, process, value in zip(self._names, self._processors, found, strict=True)
            }
        )

    def _database_(self) -> Engine:
        database = self._database()
        if database is None:
            raise RuntimeError("the database of this read was garbage-collected")
        return database

    def _fetch(self, connection: Any, bound: Any) -> tuple[Any, ...] | None:
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, bound)
            found: tuple[Any, ...] | None = cursor.fetchone()
            return found
        finally:
            cursor.close()

    def _pinned_connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._database_().raw_connection()
            connection.detach()  # its own connection from now on: the pool's slot is free again
            with _lock:
                self._close(self._take(lambda thread: not thread.is_alive()))
                self._pinned.append((weakref.ref(threading.current_thread()), connection))
            self._local.connection = connection
        return connection

    def _take(self, which: Callable[[threading.Thread], bool]) -> list[Any]:
        """Remove and return the pinned connections of the threads ``which`` selects."""
        taken: list[Any] = []
        kept: list[tuple[weakref.ref[threading.Thread], Any]] = []
        for thread_ref, connection in self._pinned:
            thread = thread_ref()
            if thread is None or which(thread):
                taken.append(connection)
            else:
                kept.append((thread_ref, connection))
        self._pinned = kept
        return taken

    @staticmethod
    def _close(connections: list[Any]) -> None:
        for connection in connections:
            connection.close()  # detached: closes the driver's connection

    def _close_pinned(self, _database: Engine) -> None:
        with _lock:
            pinned = self._take(lambda _thread: True)
            self._local = threading.local()
        self._close(pinned)


class _Reads:
    def __init__(self, database: Engine) -> None:
        self.state = RawRead(database, STATE_BY_SUBJECT)
        self.key = RawRead(database, _KEY_BY_DIGEST)
        self.states: dict[tuple[Any, ...], ConsentState] = {}
        """States by the raw row they were made from (see :func:`consent_state`)."""


MAX_REMEMBERED_STATES = 10_000


_reads: WeakKeyDictionary[Engine, _Reads] = WeakKeyDictionary()
_lock = threading.Lock()


def _reads_of(database: Engine) -> _Reads:
    reads = _reads.get(database)
    if reads is None:
        require_up_to_date(database)
        with _lock:
            reads = _reads.setdefault(database, _Reads(database))
    return reads


def consent_state(database: Engine, app_id: str, subject_id: str) -> ConsentState:
    """The subject's current state; the empty state for a subject never seen.

    The row is read every time. Converting it (three JSON arrays, a timestamp) costs more
    than the read, so the state made from a row is remembered by the row's raw values: an
    identical row gives the identical (immutable) state, and any change to the row, by
    any process, gives a different key. Rows the driver returns with unhashable values
    (PostgreSQL's decoded JSON) are converted each time.
    """
    found = _reads_of(database).state.fetch({"app_id": app_id, "subject_id": subject_id})
    return state_of_row(database, app_id, subject_id, found)


def state_of_row(
    database: Engine, app_id: str, subject_id: str, found: tuple[Any, ...] | None
) -> ConsentState:
    """The state made from a ``consent_states`` row fetched by :data:`STATE_BY_SUBJECT` as
    the driver gives it (here, or in a write transaction: the sharing gate's); the empty
    state for ``None``. Remembered by the raw row, as :func:`consent_state` says."""
    if found is None:
        return ConsentState(app_id, subject_id)
    reads = _reads_of(database)
    try:
        state = reads.states.get(found)
    except TypeError:  # unhashable columns
        return state_from_row(reads.state.row(found))
    if state is None:
        state = state_from_row(reads.state.row(found))
        if len(reads.states) >= MAX_REMEMBERED_STATES:
            reads.states.clear()
        reads.states[found] = state
    return state


def api_key(database: Engine, secret: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, or None."""
    digest = secret_sha256(secret)
    return live_key(_reads_of(database).key.one_or_none({"digest": digest}), digest)
