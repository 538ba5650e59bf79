"""One SQL type classifier and one unique-key read for ``map check`` and ``map draft``.

:mod:`yinsi.connectors.sql_types` owns the SQLAlchemy type → kind mapping;
``inspect.kind_of`` (map check) and ``introspect.family`` (map draft) project it. Each
projection returns what it returned before the merge except for the differences that were
bugs, pinned here: ``kind_of`` called TIME, INTERVAL and UUID ``other`` (so a TIME column
passed as the date a hold counts from, and a UUID column as an encrypted one), ``family``
called FLOAT ``other`` under SQLAlchemy 2.1 and PostgreSQL's INTERVAL ``other``, and the
draft compared any value with a UUID column, which PostgreSQL refuses for the whole draft.
The unique-key read drops expression and partial indexes (unique among some rows only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from yinsi.connectors.inspect import SqlInspector, kind_of
from yinsi.connectors.introspect import _FAMILY, SqlIntrospector, family
from yinsi.connectors.sql_types import SqlKind, sql_kind, unique_keys
from yinsi.declaration.datamap import Store
from yinsi.services.datamap_check import check_map

pytest_plugins = ["services"]

# type, kind, map check's kind (kind_of), map draft's family
TYPES: list[tuple[sa.types.TypeEngine[object], SqlKind, str, str]] = [
    (sa.Boolean(), SqlKind.BOOLEAN, "boolean", "other"),
    (mysql.TINYINT(), SqlKind.INTEGER, "integer", "integer"),
    (sa.BigInteger(), SqlKind.INTEGER, "integer", "integer"),
    (sa.Numeric(10, 2), SqlKind.NUMBER, "number", "decimal"),
    (sa.Float(), SqlKind.NUMBER, "number", "decimal"),  # was family "other" (SA 2.1)
    (postgresql.DOUBLE_PRECISION(), SqlKind.NUMBER, "number", "decimal"),
    (sa.Date(), SqlKind.DATE, "date", "date"),
    (sa.DateTime(), SqlKind.DATETIME, "datetime", "date"),
    (postgresql.TIMESTAMP(), SqlKind.DATETIME, "datetime", "date"),
    (sa.Time(), SqlKind.TIME, "time", "date"),  # was kind_of "other"
    (sa.Interval(), SqlKind.INTERVAL, "interval", "date"),  # was kind_of "other"
    (postgresql.INTERVAL(), SqlKind.INTERVAL, "interval", "date"),  # was "other" in both
    (sa.String(64), SqlKind.TEXT, "text", "text"),
    (sa.Text(), SqlKind.TEXT, "text", "text"),
    (sa.Enum("a", "b"), SqlKind.TEXT, "text", "text"),
    (mysql.SET("a", "b"), SqlKind.TEXT, "text", "text"),
    (sa.Uuid(), SqlKind.UUID, "uuid", "text"),  # was kind_of "other"
    (postgresql.UUID(), SqlKind.UUID, "uuid", "text"),
    (sa.LargeBinary(), SqlKind.BINARY, "binary", "binary"),
    (postgresql.BYTEA(), SqlKind.BINARY, "binary", "binary"),
    (mysql.BINARY(16), SqlKind.BINARY, "binary", "binary"),  # was "other": a uid BINARY(16)
    (sa.JSON(), SqlKind.JSON, "json", "json"),  # read key by key (discovery_json)
    (postgresql.JSONB(), SqlKind.JSON, "json", "json"),
    (mysql.YEAR(), SqlKind.OTHER, "other", "other"),
    (postgresql.INET(), SqlKind.OTHER, "other", "other"),
    (sa.types.NullType(), SqlKind.OTHER, "other", "text"),  # SQLite, no type: its values read
]


@pytest.mark.parametrize(("type_", "kind", "checked", "drafted"), TYPES, ids=repr)
def test_one_kind_per_type_and_each_use_projects_it(
    type_: sa.types.TypeEngine[object], kind: SqlKind, checked: str, drafted: str
) -> None:
    assert sql_kind(type_) is kind
    assert kind_of(type_) == checked
    assert family(type_) == drafted


def test_every_kind_has_a_family() -> None:
    assert set(_FAMILY) == set(SqlKind)


def test_unique_keys_count_constraints_and_whole_column_indexes_once(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'u.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT, c TEXT, d TEXT,"
            " UNIQUE (b, c))"
        )
        conn.exec_driver_sql("CREATE UNIQUE INDEX t_d ON t (d)")
        conn.exec_driver_sql("CREATE UNIQUE INDEX t_c ON t (c) WHERE d IS NOT NULL")
        conn.exec_driver_sql("CREATE INDEX t_b ON t (b)")
    try:
        assert unique_keys(sa.inspect(engine), "t") == (("a",), ("b", "c"), ("d",))
    finally:
        engine.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    from services import mariadb_database
    from storage_fixtures import postgres_database

    scratch = postgres_database if request.param == "postgresql" else mariadb_database
    with scratch() as url:
        yield url


def test_both_reads_agree_and_a_uuid_column_is_compared_only_with_uuids(
    server_url: str,
) -> None:
    engine = sa.create_engine(server_url)
    known = uuid.uuid4()
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE devices (id INTEGER PRIMARY KEY, token UUID UNIQUE, "
            "email VARCHAR(64), owner INTEGER, n INTEGER)"
        )
        conn.exec_driver_sql("CREATE UNIQUE INDEX devices_owner_n ON devices (owner, n)")
        if postgres:  # neither makes ``email`` or ``owner`` unique by itself
            conn.exec_driver_sql("CREATE UNIQUE INDEX d_lower ON devices (owner, lower(email))")
            conn.exec_driver_sql("CREATE UNIQUE INDEX d_part ON devices (email) WHERE n > 0")
        conn.execute(
            sa.text("INSERT INTO devices (id, token, email, owner, n) VALUES (1, :t, 'x', 1, 1)"),
            {"t": str(known)},
        )
    engine.dispose()
    store = Store(id="core", kind="sql", url=server_url)
    inspector = SqlInspector(store)
    introspector = SqlIntrospector("core", server_url)
    try:
        live = inspector.table("devices")
        assert live is not None
        assert live.columns["token"].kind == "uuid"
        assert live.unique == (("owner", "n"), ("token",))
        (facts,) = introspector.tables(sample_size=10)
        assert facts.unique == (("owner", "n"), ("token",))
        assert {c.name: c.family for c in facts.columns}["token"] == "text"
        # a key part that is not a UUID used to fail the whole draft on PostgreSQL
        values = ["10001", "not-a-uuid", str(known).upper(), str(uuid.uuid4())]
        assert introspector.overlap("devices", "token", values) == 1
        assert introspector.overlap("devices", "token", ["10001"]) == 0
    finally:
        inspector.close()
        introspector.close()


def test_map_check_refuses_a_time_column_as_a_hold_date_and_an_encrypted_uuid(
    tmp_path: Path,
) -> None:
    db = tmp_path / "app.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, token UUID, phone_enc TEXT, "
            "called_at TIME, closed_on DATE)"
        )
    engine.dispose()
    text = f"""\
app: demo_app
stores:
  - {{id: core, kind: sql, url: "sqlite:///{db}"}}
datasets:
  - id: customers
    label: 客户
    store: core
    table: customers
    primary_key: id
    subject: {{column: id}}
    holds:
      - {{rule: account_data, since: called_at}}
      - {{rule: account_data, since: closed_on}}
    fields:
      - {{column: token, element: device_id, encrypted: true}}
      - {{column: phone_enc, element: mobile_number, encrypted: true}}
"""
    path = tmp_path / "datamap.yaml"
    path.write_text(text, encoding="utf-8")
    report = check_map(path, connect=True)
    found = {p.path: p.message for p in report.errors}
    assert "must be a DATE or TIMESTAMP column" in found[("datasets", 0, "holds", 0, "since")]
    assert "FieldCipher tokens" in found[("datasets", 0, "fields", 0, "column")]
    assert ("datasets", 0, "holds", 1, "since") not in found
    assert ("datasets", 0, "fields", 1, "column") not in found
