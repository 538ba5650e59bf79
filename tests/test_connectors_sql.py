"""The SQL connector on the machine's real PostgreSQL, MariaDB and on SQLite.

Each backend gets one scratch database per module; each test creates a small lending
schema (users → loans → repayments, contacts found by phone hash), seeds two subjects
and drops the tables afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from yinsi.connectors import Connectors, SqlConnector, connect
from yinsi.declaration.datamap import DataMap, Dataset, MappedField
from yinsi.lifecycle.deidentify import ANONYMISED
from yinsi.rights.ports import ConnectorError, HoldFacts

pytest_plugins = ["services"]

HASH_KEY = b"k" * 32
ALICE_PHONE_HASH = "ph_alice"
BOB_PHONE_HASH = "ph_bob"

DATA_MAP: dict[str, Any] = {
    "app": "lending_test",
    "identities": ["user_id", "phone_hash"],
    "stores": [{"id": "core", "kind": "sql", "url": "${YINSI_T_CORE_URL}"}],
    "datasets": [
        {
            "id": "users",
            "label": "用户",
            "store": "core",
            "table": "users",
            "primary_key": "id",
            "subject": {"column": "id"},
            "provides": {"phone_hash": "phone_hash"},
            "fields": [
                {"column": "name", "element": "name", "erase": "mask"},
                {"column": "phone", "element": "mobile_number", "erase": "keyed_hash"},
                {"column": "birth_date", "element": "birth_date", "erase": "generalise"},
                {"column": "address", "element": "address", "erase": "generalise"},
                {"column": "id_number", "element": "id_number", "erase": "null"},
                {"column": "nickname", "element": "nickname", "erase": "anonymise"},
                {"column": "email", "element": "email", "erase": "delete"},
            ],
        },
        {
            "id": "loans",
            "label": "借款",
            "store": "core",
            "table": "loans",
            "primary_key": "id",
            "parent": {"dataset": "users", "column": "user_id"},
            "erase": "row",
            "fields": [{"column": "contract_name", "element": "name"}],
            "holds": [
                {
                    "rule": "loan_contracts",
                    "since": "settled_at",
                    "while": "status IN ('outstanding', 'overdue:90')",
                }
            ],
        },
        {
            "id": "repayments",
            "label": "还款",
            "store": "core",
            "table": "repayments",
            "primary_key": "id",
            "parent": {"dataset": "loans", "column": "loan_no", "references": "loan_no"},
            "erase": "row",
            "fields": [{"column": "bank_card", "element": "bank_card", "erase": "mask"}],
        },
        {
            "id": "contacts",
            "label": "紧急联系人",
            "store": "core",
            "table": "contacts",
            "primary_key": "id",
            "subject": {"column": "owner_phone_hash", "identity": "phone_hash"},
            "erase": "row",
            "fields": [{"column": "contact_phone", "element": "mobile_number", "erase": "null"}],
        },
    ],
}

ALICE = {
    "id": 1,
    "name": "张三",
    "phone": "13812341234",
    "phone_hash": ALICE_PHONE_HASH,
    "birth_date": date(1990, 5, 17),
    "address": "广东省深圳市南山区科技园1号",
    "id_number": "11010519491231002X",
    "nickname": "小张",
    "email": "zhangsan@example.com",
}
BOB = {
    "id": 2,
    "name": "李四",
    "phone": "13900001111",
    "phone_hash": BOB_PHONE_HASH,
    "birth_date": date(1985, 1, 2),
    "address": "北京市朝阳区建国路2号",
    "id_number": "110105198501020011",
    "nickname": "老李",
    "email": "lisi@example.com",
}


def _schema() -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    users = sa.Table(
        "users",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50)),
        sa.Column("phone", sa.String(40)),
        sa.Column("phone_hash", sa.String(64)),
        sa.Column("birth_date", sa.Date),
        sa.Column("address", sa.String(200)),
        sa.Column("id_number", sa.String(40)),
        sa.Column("nickname", sa.String(40)),
        sa.Column("email", sa.String(100)),
        sa.Column("kyc_level", sa.Integer),
    )
    loans = sa.Table(
        "loans",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("loan_no", sa.String(20), unique=True, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("contract_name", sa.String(50)),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("status", sa.String(20)),
        sa.Column("settled_at", sa.Date),
    )
    repayments = sa.Table(
        "repayments",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("loan_no", sa.String(20), sa.ForeignKey("loans.loan_no"), nullable=False),
        sa.Column("bank_card", sa.String(40)),
        sa.Column("paid_at", sa.Date),
    )
    contacts = sa.Table(
        "contacts",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner_phone_hash", sa.String(64)),
        sa.Column("contact_phone", sa.String(40)),
    )
    return md, {t.name: t for t in (users, loans, repayments, contacts)}


def _seed(conn: sa.Connection, tables: dict[str, sa.Table]) -> None:
    conn.execute(tables["users"].insert(), [ALICE, BOB])
    conn.execute(
        tables["loans"].insert(),
        [
            {
                "id": 10,
                "loan_no": "L-A-1",
                "user_id": 1,
                "contract_name": "张三",
                "amount": Decimal("5000.00"),
                "status": "settled",
                "settled_at": date(2023, 3, 1),
            },
            {
                "id": 11,
                "loan_no": "L-A-2",
                "user_id": 1,
                "contract_name": "张三",
                "amount": Decimal("800.00"),
                "status": "outstanding",
                "settled_at": None,
            },
            {
                "id": 20,
                "loan_no": "L-B-1",
                "user_id": 2,
                "contract_name": "李四",
                "amount": Decimal("1200.00"),
                "status": "overdue:90",
                "settled_at": None,
            },
        ],
    )
    conn.execute(
        tables["repayments"].insert(),
        [
            {"id": 100, "loan_no": "L-A-1", "bank_card": "6222021234567891234"},
            {"id": 101, "loan_no": "L-A-1", "bank_card": "6222021234567891234"},
            {"id": 102, "loan_no": "L-A-2", "bank_card": "6222021234567895678"},
            {"id": 200, "loan_no": "L-B-1", "bank_card": "6217001111222233334"},
        ],
    )
    conn.execute(
        tables["contacts"].insert(),
        [
            {"id": 1000, "owner_phone_hash": ALICE_PHONE_HASH, "contact_phone": "13700000001"},
            {"id": 1001, "owner_phone_hash": ALICE_PHONE_HASH, "contact_phone": "13700000002"},
            {"id": 2000, "owner_phone_hash": BOB_PHONE_HASH, "contact_phone": "13700000003"},
        ],
    )


@pytest.fixture
def engine(sql_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sql_url)
    if engine.dialect.name == "sqlite":  # enforce foreign keys as the servers do

        @event.listens_for(engine, "connect")
        def _fk(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    md, tables = _schema()
    md.create_all(engine)
    with engine.begin() as conn:
        _seed(conn, tables)
    yield engine
    md.drop_all(engine)
    engine.dispose()


@pytest.fixture
def data_map() -> DataMap:
    return DataMap.model_validate(DATA_MAP)


@pytest.fixture
def sql(engine: sa.Engine, data_map: DataMap) -> SqlConnector:
    return SqlConnector(
        data_map.store("core"), engine, referenced={"loans": frozenset({"loan_no"})}
    )


def _row(engine: sa.Engine, table: str, key: int) -> dict[str, Any] | None:
    with engine.connect() as conn:  # reflected, so SQLite dates come back as dates too
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        row = conn.execute(sa.select(t).where(t.c.id == key)).mappings().first()
    return dict(row) if row is not None else None


def _ids(engine: sa.Engine, table: str) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text(f"SELECT id FROM {table}")).scalars())


# -- find -------------------------------------------------------------------------------


def test_find_by_subject_link(sql: SqlConnector, data_map: DataMap) -> None:
    [record] = sql.find(data_map.dataset("users"), {"id": ["1"]})
    assert record.dataset == "users"
    assert record.key == "1"
    assert record.values["name"] == "张三"
    assert record.values["birth_date"] == date(1990, 5, 17)
    assert record.values["phone_hash"] == ALICE_PHONE_HASH  # provides
    assert "kyc_level" not in record.values  # undeclared columns stay out


def test_find_by_provided_identity(sql: SqlConnector, data_map: DataMap) -> None:
    found = sql.find(data_map.dataset("contacts"), {"owner_phone_hash": [ALICE_PHONE_HASH]})
    assert sorted(r.key for r in found) == ["1000", "1001"]
    assert {r.values["contact_phone"] for r in found} == {"13700000001", "13700000002"}


def test_find_by_parent_link_and_referenced_column(sql: SqlConnector, data_map: DataMap) -> None:
    loans = sql.find(data_map.dataset("loans"), {"user_id": ["1"]})
    assert [r.key for r in loans] == ["10", "11"]
    assert {r.values["user_id"] for r in loans} == {1}  # the parent link column
    loan_nos = [str(r.values["loan_no"]) for r in loans]  # referenced by repayments
    assert loan_nos == ["L-A-1", "L-A-2"]
    repayments = sql.find(data_map.dataset("repayments"), {"loan_no": loan_nos})
    assert [r.key for r in repayments] == ["100", "101", "102"]


def test_find_ignores_values_of_another_type_and_unknown_keys(
    sql: SqlConnector, data_map: DataMap
) -> None:
    assert sql.find(data_map.dataset("users"), {"id": ["not-a-number", "999"]}) == []
    assert sql.find(data_map.dataset("users"), {"id": []}) == []


def test_find_chunks_long_in_lists(engine: sa.Engine, data_map: DataMap) -> None:
    chunked = SqlConnector(data_map.store("core"), engine, chunk_size=2)
    keys = ["100", "101", "102", "200", "100", "999"]
    found = chunked.find(data_map.dataset("repayments"), {"id": keys})
    assert sorted(r.key for r in found) == ["100", "101", "102", "200"]


def test_x28_hold_facts_since_and_while(sql: SqlConnector, data_map: DataMap) -> None:
    loans = {r.key: r for r in sql.find(data_map.dataset("loans"), {"user_id": ["1", "2"]})}
    assert loans["10"].holds == {"loan_contracts": HoldFacts(since=date(2023, 3, 1))}
    assert loans["11"].holds == {"loan_contracts": HoldFacts(since=None, condition=True)}
    # a colon inside the operator's condition is SQL text, not a bind parameter
    assert loans["20"].holds == {"loan_contracts": HoldFacts(since=None, condition=True)}


# -- erase ------------------------------------------------------------------------------


def test_erase_fields_applies_each_strategy_and_twice_changes_nothing(
    sql: SqlConnector, engine: sa.Engine, data_map: DataMap
) -> None:
    users = data_map.dataset("users")
    first = sql.erase(users, ["1"], hash_key=HASH_KEY, idempotency_key="step-1")
    after_first = _row(engine, "users", 1)
    second = sql.erase(users, ["1"], hash_key=HASH_KEY, idempotency_key="step-1")
    assert (first.affected, second.affected) == (1, 0)
    assert _row(engine, "users", 1) == after_first
    assert after_first is not None
    assert after_first["name"] == "张*"  # mask
    assert str(after_first["phone"]).startswith("h1:")  # keyed_hash
    assert len(after_first["phone"]) == 35
    assert after_first["birth_date"] == date(1990, 1, 1)  # generalise
    assert after_first["address"] == "广东省"  # generalise
    assert after_first["id_number"] is None  # null
    assert after_first["nickname"] == ANONYMISED  # anonymise
    assert after_first["email"] is None  # delete on a field: NULL
    assert after_first["phone_hash"] == ALICE_PHONE_HASH  # not a declared field
    bob = _row(engine, "users", 2)
    assert bob is not None
    assert {k: bob[k] for k in BOB} == BOB


def test_erase_fields_in_chunks_with_equal_and_different_new_values(
    engine: sa.Engine, data_map: DataMap
) -> None:
    chunked = SqlConnector(data_map.store("core"), engine, chunk_size=1)
    contacts = data_map.dataset("contacts").model_copy(update={"erase": "fields"})
    outcome = chunked.erase(contacts, ["1000", "1001"], hash_key=HASH_KEY, idempotency_key="s")
    assert outcome.affected == 2
    assert _row(engine, "contacts", 1000) == {
        "id": 1000,
        "owner_phone_hash": ALICE_PHONE_HASH,
        "contact_phone": None,
    }
    users = data_map.dataset("users")
    both = SqlConnector(data_map.store("core"), engine)
    assert both.erase(users, ["1", "2"], hash_key=HASH_KEY, idempotency_key="s").affected == 2
    alice, bob = _row(engine, "users", 1), _row(engine, "users", 2)
    assert alice is not None and bob is not None
    assert (alice["name"], bob["name"]) == ("张*", "李*")
    assert alice["phone"] != bob["phone"]


def test_erase_rows_children_first_twice_changes_nothing(
    sql: SqlConnector, engine: sa.Engine, data_map: DataMap
) -> None:
    repayments, loans = data_map.dataset("repayments"), data_map.dataset("loans")
    for _ in range(2):
        sql.erase(repayments, ["100", "101", "102"], hash_key=HASH_KEY, idempotency_key="r")
        sql.erase(loans, ["10", "11"], hash_key=HASH_KEY, idempotency_key="l")
    assert _ids(engine, "repayments") == [200]
    assert _ids(engine, "loans") == [20]
    again = sql.erase(loans, ["10", "11"], hash_key=HASH_KEY, idempotency_key="l")
    assert again.affected == 0


def test_erase_row_still_referenced_is_an_error_without_pi(
    sql: SqlConnector, engine: sa.Engine, data_map: DataMap
) -> None:
    with pytest.raises(ConnectorError) as caught:
        sql.erase(data_map.dataset("loans"), ["10"], hash_key=HASH_KEY, idempotency_key="x")
    message = str(caught.value)
    assert "store 'core'" in message
    assert "'loans'" in message
    assert "child datasets first" in message
    assert "L-A-1" not in message and "张三" not in message
    assert _ids(engine, "loans") == [10, 11, 20]  # the chunk's transaction rolled back


def test_erase_field_strategy_that_does_not_fit_the_value(
    sql: SqlConnector, data_map: DataMap
) -> None:
    loans = data_map.dataset("loans")
    amount = Dataset.model_validate(
        {
            **loans.model_dump(by_alias=True, exclude_none=True),
            "erase": "fields",
            "fields": [{"column": "amount", "element": "loan_amount", "erase": "mask"}],
        }
    )
    with pytest.raises(ConnectorError, match=r"'amount'.*mask"):
        sql.erase(amount, ["10"], hash_key=HASH_KEY, idempotency_key="x")


def test_keyed_hash_without_a_usable_key_is_refused(sql: SqlConnector, data_map: DataMap) -> None:
    with pytest.raises(ConnectorError, match="secret key"):
        sql.erase(data_map.dataset("users"), ["1"], hash_key=b"short", idempotency_key="x")


# -- correct ----------------------------------------------------------------------------


def test_correct_updates_one_declared_column(
    sql: SqlConnector, engine: sa.Engine, data_map: DataMap
) -> None:
    users = data_map.dataset("users")
    assert sql.correct(users, "1", "name", "张三丰") == 1
    assert sql.correct(users, "1", "birth_date", "1990-05-18") == 1
    assert sql.correct(users, "999", "name", "无人") == 0
    alice = _row(engine, "users", 1)
    assert alice is not None
    assert (alice["name"], alice["birth_date"]) == ("张三丰", date(1990, 5, 18))
    bob = _row(engine, "users", 2)
    assert bob is not None and bob["name"] == "李四"


def test_correct_refuses_an_undeclared_column(sql: SqlConnector, data_map: DataMap) -> None:
    with pytest.raises(ConnectorError, match="'phone_hash' is not a declared field"):
        sql.correct(data_map.dataset("users"), "1", "phone_hash", "x")


def test_correct_refuses_a_value_of_the_wrong_type(sql: SqlConnector, data_map: DataMap) -> None:
    with pytest.raises(ConnectorError, match="not a valid date for column 'birth_date'"):
        sql.correct(data_map.dataset("users"), "1", "birth_date", "yesterday")


# -- scan (incident tracing) ----------------------------------------------------------


def test_scan_lists_every_row_with_only_its_link_column(
    sql: SqlConnector, data_map: DataMap
) -> None:
    users = {r.key: dict(r.values) for r in sql.scan(data_map.dataset("users"))}
    assert users == {"1": {"id": 1}, "2": {"id": 2}}  # the subject column, no PI value
    loans = {r.key: dict(r.values) for r in sql.scan(data_map.dataset("loans"))}
    assert loans == {"10": {"user_id": 1}, "11": {"user_id": 1}, "20": {"user_id": 2}}
    repayments = {r.key: r.values["loan_no"] for r in sql.scan(data_map.dataset("repayments"))}
    assert repayments == {"100": "L-A-1", "101": "L-A-1", "102": "L-A-2", "200": "L-B-1"}
    contacts = sql.scan(data_map.dataset("contacts"))
    assert {r.dataset for r in contacts} == {"contacts"}


def test_scan_of_a_table_the_data_map_gets_wrong(sql: SqlConnector, data_map: DataMap) -> None:
    missing = data_map.dataset("loans").model_copy(update={"id": "gone", "table": "gone"})
    with pytest.raises(ConnectorError, match="table 'gone' of dataset 'gone' does not exist"):
        list(sql.scan(missing))
    unlinked = data_map.dataset("loans").model_copy(update={"id": "loose", "parent": None})
    with pytest.raises(ConnectorError, match="'loose' links to no subject"):
        list(sql.scan(unlinked))


# -- the data map against the tables ----------------------------------------------------


def test_unknown_column_in_the_data_map(sql: SqlConnector, data_map: DataMap) -> None:
    users = data_map.dataset("users")
    wrong = users.model_copy(
        update={"id": "users_wrong", "fields": [*users.fields[:1], *_fields(nickname2="x")]}
    )
    with pytest.raises(ConnectorError) as caught:
        sql.find(wrong, {"id": ["1"]})
    assert "no column 'nickname2'" in str(caught.value)
    assert "'users_wrong'" in str(caught.value)
    with pytest.raises(ConnectorError, match=r"by 'uid'.*no such column"):
        sql.find(users, {"uid": ["1"]})


def test_unknown_table(sql: SqlConnector, data_map: DataMap) -> None:
    missing = data_map.dataset("users").model_copy(update={"id": "gone", "table": "gone"})
    with pytest.raises(ConnectorError, match="table 'gone' of dataset 'gone' does not exist"):
        sql.find(missing, {"id": ["1"]})


def _fields(**columns: str) -> list[MappedField]:
    return [MappedField(column=c, element=e) for c, e in columns.items()]


# -- connecting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://reader:s3cret-pw@127.0.0.1:1/lending",
        "mysql+pymysql://reader:s3cret-pw@127.0.0.1:1/lending",
    ],
)
def test_unreachable_store_names_the_store_not_the_password(url: str, data_map: DataMap) -> None:
    store = data_map.store("core")
    connector = connect(store, environ={"YINSI_T_CORE_URL": url})
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.find(data_map.dataset("users"), {"id": ["1"]})
        with pytest.raises(ConnectorError) as scanning:
            list(connector.scan(data_map.dataset("users")))
    finally:
        connector.close()
    for message in (str(caught.value), str(scanning.value)):
        assert message.startswith("store 'core': cannot connect to ")
        assert "reader:***@127.0.0.1:1" in message
        assert "s3cret-pw" not in message


def test_missing_sqlite_file_and_unset_variable(tmp_path: Path, data_map: DataMap) -> None:
    store = data_map.store("core")
    with pytest.raises(ConnectorError, match="YINSI_T_CORE_URL is not set; export it"):
        connect(store, environ={})
    with pytest.raises(ConnectorError, match="does not exist"):
        connect(store, environ={"YINSI_T_CORE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    with pytest.raises(ConnectorError, match="not a database URL"):
        connect(store, environ={"YINSI_T_CORE_URL": "not a url"})


def test_connectors_connect_on_first_use_and_close_all(
    sql_url: str, engine: sa.Engine, data_map: DataMap
) -> None:
    with Connectors(data_map, environ={"YINSI_T_CORE_URL": sql_url}) as connectors:
        assert list(connectors) == ["core"]
        core = connectors["core"]
        assert isinstance(core, SqlConnector)
        assert connectors["core"] is core
        loans = core.find(data_map.dataset("loans"), {"user_id": ["1"]})
        assert [r.values["loan_no"] for r in loans] == ["L-A-1", "L-A-2"]  # referenced
        with pytest.raises(KeyError):
            connectors["elsewhere"]
    lazy = Connectors(data_map, environ={})
    lazy.close()  # nothing was opened, so the unset variable never mattered
