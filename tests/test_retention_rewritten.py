"""A retention sweep that rewrites fields (``keyed_hash``, ``anonymise``) is done with a
row once each field holds what its strategy writes: the dry run after a sweep shows
nothing due and a second run changes nothing. A ``mask`` output cannot be told from an
original value in SQL, so a plan with one counts its rows again (X38)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from erasure_sets_fixtures import app_database, run_sql, yinsi_beside
from yinsi.services.retention import RetentionService, stored_legal_holds
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

ENV = "YINSI_TEST_RETENTION_REWRITTEN_URL"
TODAY = date(2039, 12, 31)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        run_sql(
            url,
            [
                "CREATE TABLE visitors (id INTEGER PRIMARY KEY, phone VARCHAR(20), "
                "id_no VARCHAR(40), nick VARCHAR(20), seen_at DATE)",
                *(
                    f"INSERT INTO visitors VALUES ({n}, '1380000000{n}', "
                    f"'11010519491231{n:03d}X', '访客{n}', '{'2020-01-01' if n < 6 else '2039-12-30'}')"
                    for n in range(1, 9)
                ),
            ],
        )
        yield url


def _map(mask: bool) -> dict[str, object]:
    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            {
                "id": "visitors",
                "label": "访客",
                "store": "app",
                "table": "visitors",
                "primary_key": "id",
                "subject": {"column": "id", "identity": "user_id"},
                "erase": "fields",
                "retention": {"rule": "browse_only", "since": "seen_at"},
                "fields": [
                    {"column": "phone", "element": "mobile_number"},
                    {"column": "id_no", "element": "id_number", "erase": "keyed_hash"},
                    {
                        "column": "nick",
                        "element": "name",
                        "erase": "mask" if mask else "anonymise",
                    },
                ],
            }
        ],
    }


def _sweep(services: Services, app: str, home: Path) -> RetentionService:
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
    )


def _rows(url: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM visitors ORDER BY id"))]
    finally:
        engine.dispose()


def test_x38_a_rewritten_row_is_not_due_again(app: str, tmp_path: Path) -> None:
    with yinsi_beside(app, ENV, _map(mask=False), tmp_path) as services:
        with _sweep(services, app, tmp_path / "home") as sweeper:
            assert [c.count.due for c in sweeper.counts(TODAY)] == [5]
            assert sweeper.run(TODAY, batch=3).rows == {"visitors": 5}
            swept = _rows(app)
            assert [c.count.due for c in sweeper.counts(TODAY)] == [0]
        with _sweep(services, app, tmp_path / "home2") as again:  # a new day's run
            assert again.run(TODAY, batch=3).rows == {"visitors": 0}
    assert _rows(app) == swept
    for _, phone, id_no, nick, _ in swept[:5]:
        assert phone is None and nick == "已匿名"
        assert isinstance(id_no, str) and id_no.startswith("h1:") and len(id_no) == 35
    assert [r[1] for r in swept[5:]] == ["13800000006", "13800000007", "13800000008"]


def test_x38_a_masked_row_cannot_be_told_and_is_counted_again(app: str, tmp_path: Path) -> None:
    with yinsi_beside(app, ENV, _map(mask=True), tmp_path) as services:
        with _sweep(services, app, tmp_path / "home") as sweeper:
            assert sweeper.run(TODAY, batch=3).rows == {"visitors": 5}
            swept = _rows(app)
            assert [c.count.due for c in sweeper.counts(TODAY)] == [5]
        with _sweep(services, app, tmp_path / "home2") as again:
            again.run(TODAY, batch=3)
    assert _rows(app) == swept  # every strategy is idempotent: the second run changes nothing
