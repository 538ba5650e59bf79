"""Retention sweeps of tables with no single-column key (X38, W13): a login log with no
primary key loses its rows a month old, a device table keyed by ``(user_id, device)``
has the phone of its month-old rows emptied, N rows at a time, and the rows of a person
under a legal hold are kept — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from erasure_sets_fixtures import app_database, run_sql, yinsi_beside
from yinsi.rights.holds import LegalHold
from yinsi.services.retention import RetentionService, stored_legal_holds
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

ENV = "YINSI_TEST_KEYLESS_RETENTION_URL"
TODAY = date(2026, 12, 7)
SCHEMA = (
    "CREATE TABLE users (id VARCHAR(20) PRIMARY KEY, phone VARCHAR(20))",
    "CREATE TABLE login_log (user_id VARCHAR(20) NOT NULL, ip VARCHAR(40), at_day DATE)",
    "CREATE TABLE device_bind (user_id VARCHAR(20) NOT NULL, device VARCHAR(40) NOT NULL, "
    "phone VARCHAR(20), bound_on DATE, PRIMARY KEY (user_id, device))",
)


def _rows() -> list[str]:
    rows = []
    for n, s in enumerate(("u1", "u2", "u3"), start=1):
        rows.append(f"INSERT INTO users VALUES ('{s}', '1380000000{n}')")
        for day in ("2025-01-01", "2025-06-30", "2026-10-31", "2026-11-07", "2026-12-01"):
            rows.append(f"INSERT INTO login_log VALUES ('{s}', '10.0.0.{n}', '{day}')")
        rows.append(
            f"INSERT INTO device_bind VALUES ('{s}', 'old', '1380000000{n}', '2026-01-01'), "
            f"('{s}', 'new', '1380000000{n}', '2026-12-01')"
        )
    return rows


def _map() -> dict[str, object]:
    user = {"column": "user_id", "identity": "user_id"}
    browse = {"rule": "browse_only"}
    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            {
                "id": "users",
                "label": "用户",
                "store": "app",
                "table": "users",
                "primary_key": "id",
                "subject": {"column": "id", "identity": "user_id"},
                "fields": [{"column": "phone", "element": "mobile_number"}],
            },
            {
                "id": "login_log",
                "label": "登录日志",
                "store": "app",
                "table": "login_log",
                "subject": user,
                "erase": "row",
                "fields": [{"column": "ip", "element": "ip_address"}],
                "retention": {**browse, "since": "at_day"},
            },
            {
                "id": "device_bind",
                "label": "设备绑定",
                "store": "app",
                "table": "device_bind",
                "subject": user,
                "fields": [{"column": "phone", "element": "mobile_number"}],
                "retention": {**browse, "since": "bound_on"},
            },
        ],
    }


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        run_sql(url, [*SCHEMA, *_rows()])
        yield url


@pytest.fixture
def services(app: str, tmp_path: Path) -> Iterator[Services]:
    with yinsi_beside(app, ENV, _map(), tmp_path) as s:
        yield s


def _sweeper(services: Services, app: str, home: Path, *, pages: bool = True) -> RetentionService:
    return RetentionService(
        services.consent,
        services.rights.data_map,
        services.rights.connectors,
        units=services.units,
        hash_key=b"k" * 32,
        home=home,
        legal_holds=stored_legal_holds(services.units),
        environ={ENV: app},
        actor="test",
        pages=pages,
    )


def _all(url: str, query: str) -> list[tuple[object, ...]]:
    db = sa.create_engine(url)
    try:
        with db.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        db.dispose()


@pytest.mark.parametrize("pages", [True, False])
def test_x38_a_sweep_deletes_and_empties_expired_rows_of_tables_without_a_primary_key(
    app: str, services: Services, tmp_path: Path, pages: bool
) -> None:
    with services.units() as uow:
        hold = LegalHold(
            "lh1", "xiaoying_kadai", "u2", "诉讼保全", datetime(2026, 1, 1, tzinfo=UTC), "t"
        )
        uow.holds.add(hold, actor="t")
        uow.commit()
    with _sweeper(services, app, tmp_path / "home", pages=pages) as sweeper:
        counts = {c.plan.dataset: (c.count.due, c.count.held) for c in sweeper.counts(TODAY)}
        # a month old today or older: 2025, 31 October and 7 November
        assert counts == {"login_log": (8, 4), "device_bind": (2, 1)}
        report = sweeper.run(TODAY, batch=2)
    assert report.rows == {"login_log": 8, "device_bind": 2}
    heap = pages and app.startswith("postgresql")  # PostgreSQL deletes walk the heap
    assert report.walks == {"login_log": "pages" if heap else "limit", "device_bind": "limit"}
    assert report.batches >= (5 if not heap else 3)  # 8 rows two at a time, then a short one
    left = _all(app, "SELECT user_id, at_day FROM login_log ORDER BY user_id, at_day")
    days = {u: [str(d)[:10] for x, d in left if x == u] for u in ("u1", "u2", "u3")}
    assert days["u1"] == days["u3"] == ["2026-12-01"]
    assert len(days["u2"]) == 5  # a legal hold keeps them all
    phones = _all(app, "SELECT user_id, device, phone FROM device_bind ORDER BY user_id, device")
    emptied = [(u, d) for u, d, p in phones if p is None]
    assert emptied == [("u1", "old"), ("u3", "old")]
    with _sweeper(services, app, tmp_path / "home2", pages=pages) as sweeper:
        after = {c.plan.dataset: (c.count.due, c.count.held) for c in sweeper.counts(TODAY)}
        again = sweeper.run(TODAY, batch=2)
    # the dry run after a sweep: nothing due; the emptied rows are not counted again
    assert after == {"login_log": (0, 4), "device_bind": (0, 1)}
    assert again.rows == {"login_log": 0, "device_bind": 0}  # nothing left to do
