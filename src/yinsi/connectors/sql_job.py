"""The base of store-wide SQL jobs (retention sweeps, key rewraps) on one SQL store.

Unlike :class:`~yinsi.connectors.sql.SqlConnector`, which acts on one subject's records,
these jobs walk whole tables in batches. They share how they connect, reflect a table
once, check the columns the data map names, and turn driver errors into
:class:`~yinsi.rights.ports.ConnectorError` naming the store, never a value or a password.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import ClassVar, Self

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from yinsi.connectors.factory import _engine
from yinsi.connectors.sql_errors import connect_error, statement_error
from yinsi.connectors.sql_types import reflect
from yinsi.connectors.urls import expand
from yinsi.declaration.datamap import Store
from yinsi.rights.ports import ConnectorError


class SqlStoreJob:
    """Connection, table reflection and error mapping for a job on one SQL store."""

    not_sql: ClassVar[str] = "has no SQL tables for this job"
    """Completes "a redis store …" when the job is pointed at a store that is not SQL."""

    def __init__(self, store: str, engine: Engine, *, owned: bool = False) -> None:
        """``owned``: :meth:`close` disposes of the engine (``connect`` makes owned ones)."""
        self.store = store
        self._engine = engine
        self._owned = owned
        self._tables: dict[str, Table] = {}
        self._shown = engine.url.render_as_string(hide_password=True)

    @classmethod
    def connect(cls, store: Store, environ: Mapping[str, str] | None = None) -> Self:
        """A job owning a new engine on the store's (expanded) URL."""
        if store.kind != "sql":
            raise ConnectorError(store.id, f"a {store.kind} store {cls.not_sql}")
        return cls(store.id, _engine(store.id, expand(store.id, store.url, environ)), owned=True)

    def close(self) -> None:
        if self._owned:
            self._engine.dispose()

    def _reflect(self, name: str, dataset: str, columns: Iterable[str], check: str) -> Table:
        """Table ``name`` (reflected once), which must have ``columns``; ``check`` says
        what in the data map names them."""
        table = self._tables.get(name)
        if table is None:
            try:
                with self._transaction(f"reading the structure of table {name!r}") as conn:
                    table = reflect(name, conn)
            except NoSuchTableError:
                raise ConnectorError(
                    self.store,
                    f"table {name!r} of dataset {dataset!r} does not exist in "
                    f"{self._shown}; check `table` in the data map",
                ) from None
            self._tables[name] = table
        missing = [n for n in dict.fromkeys(columns) if n not in table.c]
        if missing:
            raise ConnectorError(
                self.store,
                f"table {name!r} has no column {', '.join(repr(m) for m in missing)}, "
                f"named by dataset {dataset!r}; check {check} in the data map",
            )
        return table

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
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
