"""An app database for the set-based erasure tests: two identical copies of four tables.

``users_<c>`` (PI erased field by field: NULL, keyed hash, mask), ``orders_<c>`` and
``logins_<c>`` (rows, children of users) and ``trades_<c>`` (rows, children of orders),
with real foreign keys, so an erasure out of order fails on PostgreSQL and MariaDB.
Copy ``a`` and copy ``b`` are filled alike; each has its own data map and its own yinsi
(a SQLite file), so one can be erased one way and the other another way and the two
compared cell by cell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import yaml

from yinsi.connectors import Connectors
from yinsi.declaration.datamap import Dataset
from yinsi.rights.ports import Connector, EraseOutcome, Record
from yinsi.rights.verification import Method
from yinsi.services.consent import Engine
from yinsi.services.root import Services

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
ENV = "YINSI_TEST_ERASURE_SETS_URL"
SUBJECTS = [f"u{n:03d}" for n in range(1, 9)]
TABLES = ("users", "orders", "trades", "logins")


@contextmanager
def app_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty app database on ``backend`` (sqlite, postgresql, mariadb)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'app.db'}"
    elif backend == "postgresql":
        from storage_fixtures import postgres_database

        with postgres_database() as url:
            yield url
    else:
        from services import mariadb_database

        with mariadb_database() as url:
            yield url


def fill(url: str) -> None:
    """Both copies, alike: per subject a users row, 0–3 orders with 2 trades each, logins."""
    db = sa.create_engine(url)
    with db.begin() as conn:
        for c in ("a", "b"):
            conn.execute(
                sa.text(
                    f"CREATE TABLE users_{c} (id VARCHAR(40) PRIMARY KEY, phone VARCHAR(20), "
                    "id_number VARCHAR(64), name VARCHAR(50))"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TABLE orders_{c} (id BIGINT PRIMARY KEY, user_id VARCHAR(40) "
                    f"NOT NULL REFERENCES users_{c} (id), detail VARCHAR(200))"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TABLE trades_{c} (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL "
                    f"REFERENCES orders_{c} (id), detail VARCHAR(200))"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TABLE logins_{c} (id BIGINT PRIMARY KEY, user_id VARCHAR(40) "
                    "NOT NULL, ip VARCHAR(64))"
                )
            )
            for n, s in enumerate(SUBJECTS, start=1):
                conn.execute(
                    sa.text(f"INSERT INTO users_{c} VALUES (:id, :p, :i, :n)"),
                    {"id": s, "p": f"1380000{n:04d}", "i": f"11010119900101{n:04d}", "n": "张三丰"},
                )
                for o in range(n % 4):
                    order = n * 10 + o
                    conn.execute(
                        sa.text(f"INSERT INTO orders_{c} VALUES (:id, :u, :d)"),
                        {"id": order, "u": s, "d": f"order {order}"},
                    )
                    for t in range(2):
                        conn.execute(
                            sa.text(f"INSERT INTO trades_{c} VALUES (:id, :o, :d)"),
                            {"id": order * 10 + t, "o": order, "d": f"trade {order}-{t}"},
                        )
                for i in range(3):
                    conn.execute(
                        sa.text(f"INSERT INTO logins_{c} VALUES (:id, :u, :ip)"),
                        {"id": n * 100 + i, "u": s, "ip": f"10.0.{n}.{i}"},
                    )
    db.dispose()


def data_map(copy: str) -> dict[str, object]:
    def child(name: str, parent: str, column: str, field: str, element: str) -> dict[str, object]:
        return {
            "id": name,
            "label": name,
            "store": "app",
            "table": f"{name}_{copy}",
            "primary_key": "id",
            "parent": {"dataset": parent, "column": column},
            "erase": "row",
            "fields": [{"column": field, "element": element}],
        }

    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            {
                "id": "users",
                "label": "用户",
                "store": "app",
                "table": f"users_{copy}",
                "primary_key": "id",
                "subject": {"column": "id", "identity": "user_id"},
                "erase": "fields",
                "fields": [
                    {"column": "phone", "element": "mobile_number"},
                    {"column": "id_number", "element": "id_number", "erase": "keyed_hash"},
                    {"column": "name", "element": "name", "erase": "mask"},
                ],
            },
            child("orders", "users", "user_id", "detail", "order_info"),
            child("trades", "orders", "order_id", "detail", "transaction_records"),
            child("logins", "users", "user_id", "ip", "ip_address"),
        ],
    }


def run_sql(url: str, statements: Iterable[str]) -> None:
    """Run ``statements`` on the database at ``url``, in one transaction."""
    db = sa.create_engine(url)
    with db.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    db.dispose()


def yinsi_beside(url: str, env: str, raw_map: Mapping[str, object], home: Path) -> Services:
    """yinsi for the app database at ``url``: its own SQLite file in ``home`` with the
    example declaration, and the data map ``raw_map`` (made on first use), whose store URL
    is ``${env}``."""
    yinsi_url = f"sqlite:///{home / 'yinsi.db'}"
    path = home / "datamap.yaml"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        Engine.embedded(home / "yinsi.db").close()
        with Services.open(yinsi_url, actor="test") as services:
            services.consent.publish(DECLARATION)
        path.write_text(yaml.safe_dump(dict(raw_map), allow_unicode=True), encoding="utf-8")
    environ = {**os.environ, env: url}
    return Services.open(yinsi_url, data_map=path, environ=environ, actor="test")


def open_copy(
    url: str,
    copy: str,
    folder: Path,
    wrapper: Callable[[Connector], Connector] | None = None,
) -> Services:
    """yinsi for copy ``copy`` of the app database: its own SQLite file and data map
    (made on first use); ``wrapper`` wraps the ``app`` store's connector."""
    services = yinsi_beside(url, ENV, data_map(copy), folder / copy)
    if wrapper is not None:
        inner = services.connectors["app"]
        environ = {**os.environ, ENV: url}
        services.connectors = Connectors(
            services.data_map, environ=environ, connectors={"app": wrapper(inner)}
        )
    return services


def approved(services: Services, subject: str, n: int) -> str:
    rights = services.rights
    request = rights.submit(subject, "deletion", trigger="purpose_done")
    rights.verify(request.id, f"0101{n:04d}"[-6:], method=Method.ID_SUFFIX)
    rights.approve(request.id, actor="test")
    return request.id


def cells(url: str, copy: str) -> Mapping[str, list[tuple[object, ...]]]:
    """Every row of every table of the copy, in key order."""
    db = sa.create_engine(url)
    try:
        with db.connect() as conn:
            return {
                t: [
                    tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {t}_{copy} ORDER BY id"))
                ]
                for t in TABLES
            }
    finally:
        db.dispose()


def logins_by_subject(url: str, copy: str = "a") -> dict[str, int]:
    """The rows of ``logins_<copy>`` per subject (a subject with none is absent)."""
    db = sa.create_engine(url)
    try:
        with db.connect() as conn:
            query = f"SELECT user_id, count(*) FROM logins_{copy} GROUP BY user_id"
            return {str(u): int(n) for u, n in conn.execute(sa.text(query))}
    finally:
        db.dispose()


class Delegate(Connector):
    """A connector passing every call to ``inner``."""

    def __init__(self, inner: Connector) -> None:
        self.inner = inner

    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        return self.inner.find(dataset, match)

    def erase(
        self, dataset: Dataset, keys: Sequence[str], *, hash_key: bytes, idempotency_key: str
    ) -> EraseOutcome:
        return self.inner.erase(dataset, keys, hash_key=hash_key, idempotency_key=idempotency_key)

    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        return self.inner.correct(dataset, key, name, value)

    def close(self) -> None:
        self.inner.close()


class Grouped(Delegate):
    """The same store, its sessions passed through: a group of calls is one store
    transaction (as SQL stores make it)."""

    @property
    def groups(self) -> bool:
        return True

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.inner.session():
            yield


class Crash(Exception):
    """Stands for the process dying (not a store error: nothing catches it)."""


class CrashAfterCommit(Grouped):
    """Erases like the store (by predicate where it can, else by keys) and dies right after
    the store committed (before the journal's commit of the steps ``done``)."""

    erased = False

    @property
    def erases_where(self) -> bool:
        return self.inner.erases_where

    def erase(
        self, dataset: Dataset, keys: Sequence[str], *, hash_key: bytes, idempotency_key: str
    ) -> EraseOutcome:
        self.erased = True
        return super().erase(dataset, keys, hash_key=hash_key, idempotency_key=idempotency_key)

    def erase_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str], *, hash_key: bytes
    ) -> EraseOutcome:
        self.erased = True
        return self.inner.erase_where(dataset, via, subjects, hash_key=hash_key)

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.inner.session():
            yield
        if self.erased:
            raise Crash("killed after the store committed")
