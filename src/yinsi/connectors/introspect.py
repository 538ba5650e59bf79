"""Introspection for discovery (issue 17): what a live store holds, read-only.

:class:`SqlIntrospector` reads tables, columns, type families, primary, unique and
foreign keys and comments through SQLAlchemy's inspector (PostgreSQL ``col_description``,
MariaDB ``COLUMN_COMMENT``; SQLite has none), and a bounded random sample of each table's
rows (``TABLESAMPLE SYSTEM`` on a large PostgreSQL table, ``RAND() < p`` on a large
MariaDB one, ``ORDER BY random() LIMIT n`` otherwise), so a large table is never read
whole. :meth:`SqlIntrospector.overlap` counts how many given values a key column holds:
the values travel as bound parameters, only a count comes back.

:class:`RedisIntrospector` SCANs a bounded number of keys, groups them into patterns
(``user:123:profile`` → ``user:{}:profile``) and samples the type and fields of a few
keys of each.

Samples stay in memory (:class:`~yinsi.declaration.discovery_model.ColumnFacts`); no
error message quotes one (engines hide bound parameters).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from yinsi.connectors.factory import _engine, _redis_client
from yinsi.connectors.sql_errors import driver_message
from yinsi.connectors.sql_types import SqlKind, sql_kind, unique_keys
from yinsi.declaration.discovery_model import (
    ColumnFacts,
    ForeignKeyFacts,
    KeyPatternFacts,
    TableFacts,
)
from yinsi.rights.ports import ConnectorError

SAMPLE_ROWS = 200
MAX_VALUE = 256
"""Longer values are cut to this many characters before the detectors see them."""
MAX_DOCUMENT = 8192
"""The same for a JSON document (an object or array), which is read key by key."""
LARGE = 20
"""A table with more than LARGE × the sample size rows is sampled, not sorted at random."""
_INT = re.compile(r"^-?\d{1,18}$")
_GLOB = re.compile(r"[*?\[]")
_VARIABLE = re.compile(r"\d|^[0-9a-f]{16,}$|^[0-9a-f-]{32,36}$", re.IGNORECASE)


_FAMILY: dict[SqlKind, str] = {
    SqlKind.BOOLEAN: "other",
    SqlKind.INTEGER: "integer",
    SqlKind.NUMBER: "decimal",
    SqlKind.DATE: "date",
    SqlKind.DATETIME: "date",
    SqlKind.TIME: "date",
    SqlKind.INTERVAL: "date",
    SqlKind.TEXT: "text",
    SqlKind.UUID: "text",
    SqlKind.BINARY: "binary",
    SqlKind.JSON: "json",
    SqlKind.OTHER: "other",
}
"""Discovery's coarser view of :class:`SqlKind`: ``text`` columns are read by the value
detectors and compared by value overlap, ``integer`` ones compared as numbers."""


def family(type_: Any) -> str:
    """The family of a SQLAlchemy type: integer, decimal, text, json, date, binary or
    other. An array (PostgreSQL ``text[]``: a person's other phones) is read as a JSON
    document is, item by item."""
    if isinstance(type_, sa.ARRAY):
        return "json"
    if isinstance(type_, sa.types.NullType):  # SQLite: a column declared with no type
        return "text"  # holds anything; its values are read as text
    return _FAMILY[sql_kind(type_)]


class SqlIntrospector:
    """One SQL store, read-only; ``close()`` disposes of its engine."""

    def __init__(self, store: str, url: str) -> None:
        self.store = store
        self._engine = _engine(store, url)
        self._tables: dict[str, sa.Table] = {}

    def close(self) -> None:
        self._engine.dispose()

    def tables(self, sample_size: int = SAMPLE_ROWS) -> list[TableFacts]:
        """Every table of the store's default schema, with up to ``sample_size`` rows
        sampled; not a PostgreSQL partition (``login_log_2026_11``): its partitioned table
        holds its rows, and a dataset for each would list them twice."""
        try:
            inspector = sa.inspect(self._engine)
            partitions = self._partitions()
            return [
                self._table(inspector, name, sample_size)
                for name in sorted(inspector.get_table_names())
                if name not in partitions
            ]
        except SQLAlchemyError as exc:
            raise ConnectorError(
                self.store, f"cannot read the schema: {driver_message(exc)}"
            ) from None

    def _partitions(self) -> set[str]:
        """PostgreSQL: the partitions among the default schema's tables."""
        if self._engine.dialect.name != "postgresql":
            return set()
        query = (
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relispartition AND n.nspname = current_schema()"
        )
        with self._engine.connect() as conn:
            return {str(name) for name in conn.execute(sa.text(query)).scalars()}

    def other_schemas(self) -> dict[str, int]:
        """PostgreSQL: the schemas besides the default one (``search_path``'s first) that
        hold tables, with how many — :meth:`tables` does not read them. Empty elsewhere
        (a MariaDB schema is another database)."""
        if self._engine.dialect.name != "postgresql":
            return {}
        try:
            inspector = sa.inspect(self._engine)
            default = inspector.default_schema_name
            found = {
                name: len(inspector.get_table_names(schema=name))
                for name in inspector.get_schema_names()
                if name != default and name != "information_schema" and not name.startswith("pg_")
            }
        except SQLAlchemyError as exc:
            raise ConnectorError(
                self.store, f"cannot list the schemas: {driver_message(exc)}"
            ) from None
        return {name: n for name, n in found.items() if n}

    def _table(self, inspector: Any, name: str, sample_size: int) -> TableFacts:
        columns = inspector.get_columns(name)
        pk = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ())
        unique = unique_keys(inspector, name)
        fks = tuple(
            ForeignKeyFacts(
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
            )
            for fk in inspector.get_foreign_keys(name)
        )
        try:
            comment = inspector.get_table_comment(name).get("text") or ""
        except NotImplementedError:  # SQLite keeps no comments
            comment = ""
        table = sa.Table(name, sa.MetaData(), *(sa.Column(c["name"], c["type"]) for c in columns))
        self._tables[name] = table
        samples = self._sample(table, sample_size)
        facts = tuple(
            ColumnFacts(
                c["name"],
                family(c["type"]),
                (c.get("comment") or "").strip(),
                samples.get(c["name"], ()),
                bool(c.get("nullable", True)),
            )
            for c in columns
        )
        return TableFacts(
            self.store,
            name,
            facts,
            pk,
            tuple(u for u in unique if u != pk),
            fks,
            comment.strip(),
        )

    def _sample(self, table: sa.Table, size: int) -> dict[str, tuple[str, ...]]:
        columns = [c for c in table.columns if family(c.type) != "binary"]
        if not columns or size <= 0:
            return {}
        dialect = self._engine.dialect.name
        with self._engine.connect() as conn:
            rows = self._estimate(conn, table.name)
            large = rows is not None and rows > LARGE * size
            if large and dialect == "postgresql":
                assert rows is not None
                sampled = sa.tablesample(table, sa.func.system(min(100.0, 1000.0 * size / rows)))
                stmt = sa.select(*(sampled.c[c.name] for c in columns)).limit(size)
            elif large and dialect in ("mysql", "mariadb"):
                assert rows is not None
                share = min(1.0, 10.0 * size / rows)
                stmt = sa.select(*columns).where(sa.func.rand() < share).limit(size)
            else:
                shuffle = sa.func.rand() if dialect in ("mysql", "mariadb") else sa.func.random()
                stmt = sa.select(*columns).order_by(shuffle).limit(size)
            result = conn.execute(stmt).all()
        found: dict[str, dict[str, None]] = {c.name: {} for c in columns}
        for row in result:
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    found[column.name][_text(value)] = None
        return {name: tuple(values) for name, values in found.items() if values}

    def _estimate(self, conn: sa.Connection, table: str) -> int | None:
        dialect = self._engine.dialect.name
        if dialect == "postgresql":
            sql = "SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"
        elif dialect in ("mysql", "mariadb"):
            sql = (
                "SELECT TABLE_ROWS FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
            )
        else:
            return None
        found = conn.execute(sa.text(sql), {"t": table}).scalar()
        return int(found) if found is not None and found >= 0 else None

    def overlap(self, table: str, column: str, values: Sequence[str]) -> int | None:
        """How many of the distinct ``values`` ``table.column`` holds; ``None`` if its
        type cannot be compared with text (dates, binary)."""
        known = self._tables.get(table)
        if known is None or column not in known.c:
            return None
        col = known.c[column]
        if isinstance(col.type, sa.types.NullType):
            return None  # no type: 1 and '1' are different values there, cannot tell
        kind = family(col.type)
        wanted: list[Any]
        if sql_kind(col.type) is SqlKind.UUID:
            wanted = _uuids(values, as_uuid=bool(getattr(col.type, "as_uuid", True)))
        elif kind == "integer":
            wanted = sorted({int(v) for v in values if _INT.match(v)})
        elif kind == "text":
            wanted = sorted(set(values))
        else:
            return None
        found = 0
        try:
            with self._engine.connect() as conn:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    stmt = sa.select(sa.func.count(sa.distinct(col))).where(col.in_(chunk))
                    found += int(conn.execute(stmt).scalar_one())
        except SQLAlchemyError as exc:
            raise ConnectorError(
                self.store, f"cannot compare {table}.{column}: {driver_message(exc)}"
            ) from None
        return found


class RedisIntrospector:
    """One Redis store, read-only: SCAN, TYPE, HGETALL and GET on a bounded number of keys."""

    def __init__(self, store: str, url: str) -> None:
        self.store = store
        self._client: redis.Redis = _redis_client(store, url)

    def close(self) -> None:
        self._client.close()

    def patterns(
        self,
        *,
        match: str = "*",
        max_keys: int = 2000,
        sample_size: int = SAMPLE_ROWS,
        per_pattern: int = 20,
    ) -> list[KeyPatternFacts]:
        """Key patterns, most keys first: each variable part of a key (digits, a hex id)
        is ``{}``. A pattern with one gives the values it takes (``ids``) to tie it to the
        subject; a fixed key (none: ``blacklist:idcard``) or one with several has none,
        and is drafted only to say what PI it holds."""
        literal = _GLOB.split(match, maxsplit=1)[0]
        groups: dict[str, list[tuple[str, str]]] = {}
        try:
            for n, key in enumerate(self._client.scan_iter(match=match, count=500)):
                if n >= max_keys:
                    break
                shape = _shape(str(key), literal)
                if shape is not None:
                    groups.setdefault(shape[0], []).append((str(key), shape[1]))
            return [
                self._pattern(p, keys, sample_size, per_pattern)
                for p, keys in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
            ]
        except redis.RedisError as exc:
            raise ConnectorError(self.store, f"cannot scan keys: {driver_message(exc)}") from None

    def _pattern(
        self, pattern: str, keys: list[tuple[str, str]], sample_size: int, per_pattern: int
    ) -> KeyPatternFacts:
        some = [k for k, _ in keys[:per_pattern]]
        pipe = self._client.pipeline(transaction=False)
        for key in some:
            pipe.type(key)
        types = [str(t) for t in pipe.execute()]
        kind = max(set(types), key=types.count) if types else "none"
        fields: dict[str, dict[str, None]] = {}
        chosen = [k for k, t in zip(some, types, strict=True) if t == kind]
        if kind in _READ:
            pipe = self._client.pipeline(transaction=False)
            for key in chosen:
                _READ[kind](pipe, key)
            for got in pipe.execute():
                items = (
                    got.items()
                    if isinstance(got, dict)
                    else [("value", v) for v in got]
                    if isinstance(got, list | set)
                    else [("value", got)]
                )
                for name, value in items:
                    if value is not None:
                        fields.setdefault(str(name), {})[_text(value)] = None
        facts = tuple(ColumnFacts(name, "text", "", tuple(v)) for name, v in sorted(fields.items()))
        ids = tuple(dict.fromkeys(v for _, v in keys if v))[:sample_size]
        return KeyPatternFacts(self.store, pattern, kind, len(keys), ids, facts)


_SAMPLED = 20
"""Members or items read from each sampled set, sorted set or list."""
_READ: dict[str, Callable[[Any, str], Any]] = {
    "hash": lambda pipe, key: pipe.hgetall(key),
    "string": lambda pipe, key: pipe.get(key),
    "set": lambda pipe, key: pipe.srandmember(key, _SAMPLED),
    "zset": lambda pipe, key: pipe.zrange(key, 0, _SAMPLED - 1),
    "list": lambda pipe, key: pipe.lrange(key, 0, _SAMPLED - 1),
}
"""How a sampled key's values are read, by its type (a stream's are not)."""


def _shape(key: str, literal: str) -> tuple[str, str] | None:
    """``user:123:profile`` → ``("user:{}:profile", "123")``; a key with no variable part
    is its own pattern, one with several has each as ``{}``, and the value ``""`` (it
    cannot be tied by it). The literal prefix of the SCAN match never varies."""
    if not key.startswith(literal):
        return None
    head, rest = key[: len(literal)], key[len(literal) :]
    parts = rest.split(":")
    variable = [i for i, p in enumerate(parts) if p and _VARIABLE.search(p)]
    value = parts[variable[0]] if len(variable) == 1 else ""
    for i in variable:
        parts[i] = "{}"
    return head + ":".join(parts), value


def _text(value: object) -> str:
    if isinstance(value, dict | list):  # a JSON column's document, as JSON (not repr)
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[: MAX_DOCUMENT if text.startswith(("{", "[")) else MAX_VALUE]


def _uuids(values: Sequence[str], *, as_uuid: bool) -> list[Any]:
    """The distinct ``values`` that parse as UUIDs, as the column's type binds them: any
    other value would make PostgreSQL refuse the whole comparison (and no UUID column
    holds it anyway)."""
    found: set[uuid.UUID] = set()
    for value in values:
        try:
            found.add(uuid.UUID(value))
        except ValueError:
            continue
    return sorted(found) if as_uuid else sorted(str(u) for u in found)
