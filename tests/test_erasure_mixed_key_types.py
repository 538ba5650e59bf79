"""Erasure by predicate through a parent link whose key is text in one table and a number
in the other — a schema without foreign keys allows it, ``yinsi map draft`` links such
tables by their values, and PostgreSQL refused the subquery (``character varying =
integer``) until the sides were made comparable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from erasure_sets_fixtures import app_database, run_sql
from yinsi.connectors.factory import connect, referenced_columns
from yinsi.declaration.datamap import DataMap

pytest_plugins = ["storage_fixtures"]

SCHEMA = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, phone VARCHAR(20))",
    "CREATE TABLE loan (loan_id INTEGER PRIMARY KEY, user_id VARCHAR(20), card VARCHAR(30))",
    "CREATE TABLE repay (id INTEGER PRIMARY KEY, loan_id VARCHAR(20), card VARCHAR(30))",
    # and the other way round: a number column referencing a text key
    "CREATE TABLE contract (no VARCHAR(20) PRIMARY KEY, loan_id INTEGER, signer VARCHAR(20))",
    "CREATE TABLE seal (id INTEGER PRIMARY KEY, contract_no INTEGER, signer VARCHAR(20))",
)
ROWS = (
    "INSERT INTO users VALUES (1, '13800000001'), (2, '13800000002')",
    "INSERT INTO loan VALUES (10, '1', 'c1'), (20, '2', 'c2')",
    "INSERT INTO repay VALUES (100, '10', 'c1'), (101, '10', 'c1'), (200, '20', 'c2')",
    "INSERT INTO contract VALUES ('7', 10, 's1'), ('8', 20, 's2')",
    "INSERT INTO seal VALUES (1, 7, 's1'), (2, 8, 's2')",
)


def _map() -> DataMap:
    def child(name: str, parent: str, column: str, key: str, **more: object) -> dict[str, object]:
        return {
            "id": name,
            "label": name,
            "store": "app",
            "table": name,
            "primary_key": key,
            "parent": {"dataset": parent, "column": column, **more},
            "erase": "row",
            "fields": [],
        }

    return DataMap.model_validate(
        {
            "app": "xiaoying_kadai",
            "identities": ["user_id"],
            "stores": [{"id": "app", "kind": "sql", "url": "${APP_URL}"}],
            "datasets": [
                {
                    "id": "users",
                    "label": "users",
                    "store": "app",
                    "table": "users",
                    "primary_key": "id",
                    "subject": {"column": "id", "identity": "user_id"},
                    "fields": [{"column": "phone", "element": "mobile_number"}],
                },
                child("loan", "users", "user_id", "loan_id"),
                child("repay", "loan", "loan_id", "id"),
                child("contract", "loan", "loan_id", "no"),
                child("seal", "contract", "contract_no", "id"),
            ],
        }
    )


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as made:
        run_sql(made, [*SCHEMA, *ROWS])
        yield made


def test_x28_a_chain_through_a_key_kept_as_text_and_as_a_number_erases_the_subjects_rows(
    url: str,
) -> None:
    data_map = _map()
    store = data_map.stores[0]
    connector = connect(store, referenced=referenced_columns(data_map), environ={"APP_URL": url})
    ds = {d.id: d for d in data_map.datasets}
    try:
        with connector.session():
            repay = connector.erase_where(
                ds["repay"], [ds["loan"], ds["users"]], ["1"], hash_key=b"k" * 32
            )
            seal = connector.erase_where(
                ds["seal"],
                [ds["contract"], ds["loan"], ds["users"]],
                ["1", "2"],
                hash_key=b"k" * 32,
            )
    finally:
        connector.close()
    assert repay.affected == 2 and seal.affected == 2
    assert seal.by_subject in (None, {"1": 1, "2": 1})
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT id FROM repay ORDER BY id")).scalars().all()
        seals = conn.execute(sa.text("SELECT count(*) FROM seal")).scalar_one()
    engine.dispose()
    assert left == [200] and seals == 0
