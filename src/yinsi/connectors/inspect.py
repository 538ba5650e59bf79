"""Live inspection of an app's stores, for ``yinsi map check --connect`` (issue 17).

Read-only: SQL tables and columns come from SQLAlchemy's ``inspect()`` (the database's
catalogue, no row is read), a hold's ``while`` condition is compiled by the database on
an empty selection (``WHERE 1 = 0``); Redis keys are sampled with ``SCAN`` (bounded) and
``TYPE``/``HKEYS``; a webhook's host is only reached by TCP (no request is sent, nothing
is signed). No value ever leaves this module: only names, types and counts.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from yinsi.connectors.factory import CONNECT_TIMEOUT_S
from yinsi.connectors.factory import _engine as sql_engine
from yinsi.connectors.factory import _redis_client as redis_client
from yinsi.connectors.sql_errors import driver_message
from yinsi.connectors.sql_types import sql_kind, unique_keys
from yinsi.connectors.urls import display_url, expand
from yinsi.declaration.datamap import Store
from yinsi.rights.ports import ConnectorError

REDIS_SAMPLE = 200
"""Keys sampled per Redis key pattern."""


@dataclass(frozen=True, slots=True)
class LiveColumn:
    name: str
    type: str
    """As the database names it, e.g. ``VARCHAR(64)``."""
    kind: str
    """A :class:`~yinsi.connectors.sql_types.SqlKind` value: ``text``, ``integer``,
    ``number``, ``date``, ``datetime``, ``time``, ``interval``, ``uuid``, ``boolean``,
    ``binary``, ``json`` or ``other``."""
    nullable: bool
    comment: str | None = None
    length: int | None = None
    """The most characters a text column holds, when its type says (``VARCHAR(64)``)."""


@dataclass(frozen=True, slots=True)
class LiveTable:
    name: str
    columns: Mapping[str, LiveColumn]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    view: bool = False
    """A view (a multi-tenant schema maps one app's rows through one, docs/datamap.md)."""
    updatable: bool = True
    """Whether the database lets a statement update its rows: a plain table, an updatable
    view (no aggregate or ``DISTINCT``) or one with triggers."""
    deletable: bool = True
    """The same for deleting them (a view over one table, or with triggers)."""


def kind_of(type_: sa.types.TypeEngine[Any]) -> str:
    """The kind ``map check`` compares a column by: its
    :class:`~yinsi.connectors.sql_types.SqlKind` value."""
    return sql_kind(type_).value


class SqlInspector:
    """The catalogue of one SQL store; :meth:`close` disposes its engine."""

    def __init__(self, store: Store, environ: Mapping[str, str] | None = None) -> None:
        self.store = store.id
        self._engine = sql_engine(store.id, expand(store.id, store.url, environ))
        self.shown = self._engine.url.render_as_string(hide_password=True)
        self._tables: set[str] | None = None
        self._views: set[str] = set()

    def _fail(self, doing: str, exc: SQLAlchemyError) -> ConnectorError:
        return ConnectorError(self.store, f"{doing} {self.shown}: {driver_message(exc)}")

    def tables(self) -> set[str]:
        """Every table and view (raises :class:`ConnectorError` when unreachable)."""
        if self._tables is None:
            try:
                found = sa.inspect(self._engine)
                self._views = set(found.get_view_names())
                self._tables = set(found.get_table_names()) | self._views
            except SQLAlchemyError as exc:
                raise self._fail("cannot read the tables of", exc) from None
        return self._tables

    def table(self, name: str) -> LiveTable | None:
        if name not in self.tables():
            return None
        try:
            found = sa.inspect(self._engine)
            columns = {
                c["name"]: LiveColumn(
                    c["name"],
                    _type_name(c["type"], self._engine.dialect),
                    kind_of(c["type"]),
                    bool(c.get("nullable", True)),
                    c.get("comment"),
                    _length(c["type"]),
                )
                for c in found.get_columns(name)
            }
            pk = tuple(found.get_pk_constraint(name).get("constrained_columns") or ())
            unique = unique_keys(found, name)
            view = name in self._views
            updatable, deletable = self._changeable(name) if view else (True, True)
        except SQLAlchemyError as exc:
            raise self._fail(f"cannot read table {name!r} of", exc) from None
        return LiveTable(name, columns, pk, unique, view, updatable, deletable)

    def _changeable(self, view: str) -> tuple[bool, bool]:
        """Whether the database updates, and deletes, rows through ``view``: PostgreSQL's
        own test (auto-updatable, or triggers), MySQL's ``IS_UPDATABLE`` and a ``DELETE``
        it explains (a join view updates but never deletes), and on SQLite ``INSTEAD OF``
        triggers (its views are read-only)."""
        dialect = self._engine.dialect.name
        quoted = self._engine.dialect.identifier_preparer.quote(view)
        with self._engine.connect() as conn:
            if dialect == "postgresql":
                mask = conn.execute(
                    sa.text("SELECT pg_relation_is_updatable(CAST(:name AS regclass), true)"),
                    {"name": quoted},
                ).scalar_one()
                return bool(mask & 4), bool(mask & 16)  # 1 << CMD_UPDATE, 1 << CMD_DELETE
            if dialect in ("mysql", "mariadb"):
                updatable = conn.execute(
                    sa.text(
                        "SELECT IS_UPDATABLE = 'YES' FROM information_schema.VIEWS "
                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :name"
                    ),
                    {"name": view},
                ).scalar()
                try:
                    conn.exec_driver_sql(f"EXPLAIN DELETE FROM {quoted} WHERE 1 = 0").all()
                except SQLAlchemyError:
                    return bool(updatable), False
                return bool(updatable), bool(updatable)
            if dialect == "sqlite":
                triggers = [
                    str(sql).upper()
                    for (sql,) in conn.execute(
                        sa.text(
                            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :name"
                        ),
                        {"name": view},
                    )
                ]
                return (
                    any("INSTEAD OF UPDATE" in t for t in triggers),
                    any("INSTEAD OF DELETE" in t for t in triggers),
                )
        return True, True  # not known: the first statement through it says

    def condition_error(self, table: str, condition: str) -> str | None:
        """Why the database refuses ``condition`` on ``table`` (None: it compiles). Reads
        no row (``WHERE 1 = 0``) and rolls back."""
        quoted = self._engine.dialect.identifier_preparer.quote(table)
        statement = f"SELECT CASE WHEN ({condition}) THEN 1 ELSE 0 END FROM {quoted} WHERE 1 = 0"
        try:
            with self._engine.connect() as conn:
                conn.exec_driver_sql(statement).all()
                conn.rollback()
        except SQLAlchemyError as exc:
            return driver_message(exc)
        return None

    def close(self) -> None:
        self._engine.dispose()


def _length(type_: sa.types.TypeEngine[Any]) -> int | None:
    length = getattr(type_, "length", None) if isinstance(type_, sa.types.String) else None
    return length if isinstance(length, int) and length > 0 else None


def _type_name(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot render (NullType on SQLite)
        return type(type_).__name__.upper()


@dataclass(slots=True)
class RedisKeys:
    """What a sample of the keys matching a dataset's pattern holds (no value)."""

    pattern: str
    sampled: int = 0
    types: dict[str, int] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    """Hash fields seen in the sampled hashes."""


class RedisInspector:
    """Samples one Redis store; :meth:`close` closes its client."""

    def __init__(self, store: Store, environ: Mapping[str, str] | None = None) -> None:
        self.store = store.id
        url = expand(store.id, store.url, environ)
        self.shown = display_url(url)
        self._client = redis_client(store.id, url)

    def ping(self) -> None:
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise ConnectorError(self.store, f"cannot reach {self.shown}: {exc}") from None

    def sample(self, key_pattern: str, limit: int = REDIS_SAMPLE) -> RedisKeys:
        """Up to ``limit`` keys matching ``key_pattern`` (each ``{identity}`` as ``*``)."""
        glob = _glob(key_pattern)
        keys = RedisKeys(glob)
        try:
            for key in self._client.scan_iter(match=glob, count=1000):
                kind = str(self._client.type(key))
                keys.types[kind] = keys.types.get(kind, 0) + 1
                if kind == "hash":
                    keys.fields.update(str(f) for f in self._client.hkeys(key))
                keys.sampled += 1
                if keys.sampled >= limit:
                    break
        except redis.RedisError as exc:
            raise ConnectorError(self.store, f"cannot scan {self.shown}: {exc}") from None
        return keys

    def close(self) -> None:
        self._client.close()


def _glob(pattern: str) -> str:
    out, inside = "", False
    for ch in pattern:
        if ch == "{":
            inside = True
            out += "*"
        elif ch == "}":
            inside = False
        elif not inside:
            out += ch
    return out


def webhook_unreachable(store: Store, environ: Mapping[str, str] | None = None) -> str | None:
    """Why the webhook's host cannot be reached by TCP (None: it can). Sends nothing."""
    url = expand(store.id, store.url, environ)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{display_url(url)} is not an http(s) URL"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        return f"cannot reach {parts.hostname}:{port} ({display_url(url)}): {exc}"
    return None
