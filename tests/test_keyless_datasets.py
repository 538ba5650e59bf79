"""Tables with no single-column key in a data map: a login log with no primary key, a
``(user_id, tag)`` key, a repayment log hanging off loans with none. No key names their
rows, so yinsi reads, corrects and erases a person's rows by a predicate on the subject —
through the parent chain for the repayment log — on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from erasure_sets_fixtures import app_database, run_sql, yinsi_beside
from yinsi.api.rights_models import StepOut
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import check_data_map
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, StepStatus
from yinsi.rights.planner import MATCH
from yinsi.rights.ports import Connector
from yinsi.rights.predicates import by_predicate
from yinsi.rights.requests import Status
from yinsi.rights.verification import Method
from yinsi.services.datamap_check import check_map, dry_run
from yinsi.services.rights_batch import run_many
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

ENV = "YINSI_TEST_KEYLESS_URL"
SUBJECTS = ["u1", "u2", "u3"]
SCHEMA = (
    "CREATE TABLE users (id VARCHAR(20) PRIMARY KEY, phone VARCHAR(20), id_number VARCHAR(20))",
    "CREATE TABLE login_log (user_id VARCHAR(20) NOT NULL, ip VARCHAR(40), at_ts VARCHAR(30))",
    "CREATE TABLE user_tag (user_id VARCHAR(20) NOT NULL, tag VARCHAR(20) NOT NULL, "
    "PRIMARY KEY (user_id, tag))",
    "CREATE TABLE device_bind (user_id VARCHAR(20) NOT NULL, device VARCHAR(40) NOT NULL, "
    "phone VARCHAR(20), PRIMARY KEY (user_id, device))",
    "CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, user_id VARCHAR(20), note VARCHAR(40))",
    "CREATE TABLE repay_log (loan_id INTEGER NOT NULL, card VARCHAR(30))",
)


def _rows(n: int, s: str) -> list[str]:
    return [
        f"INSERT INTO users VALUES ('{s}', '1380000000{n}', '11010119900101000{n}')",
        *(
            f"INSERT INTO login_log VALUES ('{s}', '10.0.{n}.{i}', '2026-01-0{i + 1}')"
            for i in range(n + 1)
        ),
        # the same IP twice: rows no key tells apart
        f"INSERT INTO login_log VALUES ('{s}', '10.0.{n}.0', '2026-01-01')",
        f"INSERT INTO user_tag VALUES ('{s}', 'vip'), ('{s}', 'new{n}')",
        f"INSERT INTO device_bind VALUES ('{s}', 'd{n}a', '1380000000{n}'), "
        f"('{s}', 'd{n}b', '1380000000{n}')",
        f"INSERT INTO loans VALUES ({n}0, '{s}', 'loan'), ({n}1, '{s}', 'loan')",
        f"INSERT INTO repay_log VALUES ({n}0, '6222{n}0'), ({n}0, '6222{n}0'), ({n}1, '6222{n}1')",
    ]


def data_map() -> dict[str, object]:
    def ds(name: str, **more: object) -> dict[str, object]:
        return {"id": name, "label": f"{name}（测试）", "store": "app", "table": name, **more}

    user = {"column": "user_id", "identity": "user_id"}
    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            ds(
                "users",
                primary_key="id",
                subject={"column": "id", "identity": "user_id"},
                fields=[
                    {"column": "phone", "element": "mobile_number"},
                    {"column": "id_number", "element": "id_number"},
                ],
            ),
            ds(
                "login_log",
                subject=user,
                erase="row",
                fields=[{"column": "ip", "element": "ip_address"}],
            ),
            ds(
                "user_tag",
                subject=user,
                erase="row",
                fields=[{"column": "tag", "element": "transaction_behaviour_tags"}],
            ),
            ds(
                "device_bind",
                subject=user,
                fields=[{"column": "phone", "element": "mobile_number"}],
            ),
            ds(
                "loans",
                primary_key="loan_id",
                parent={"dataset": "users", "column": "user_id"},
                erase="row",
                fields=[{"column": "note", "element": "loan_records"}],
            ),
            ds(
                "repay_log",
                parent={"dataset": "loans", "column": "loan_id"},
                erase="row",
                fields=[{"column": "card", "element": "bank_card"}],
            ),
        ],
    }


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        rows = [r for n, s in enumerate(SUBJECTS, start=1) for r in _rows(n, s)]
        run_sql(url, [*SCHEMA, *rows])
        yield url


@pytest.fixture
def services(app: str, tmp_path: Path) -> Iterator[Services]:
    with yinsi_beside(app, ENV, data_map(), tmp_path) as s:
        yield s


def _approved(services: Services, subject: str, kind: str, **more: object) -> str:
    rights = services.rights
    request = rights.submit(subject, kind, **more)  # type: ignore[arg-type]
    n = SUBJECTS.index(subject) + 1
    rights.verify(request.id, f"11010119900101000{n}"[-6:], method=Method.ID_SUFFIX)
    rights.approve(request.id, actor="test")
    return request.id


def _count(url: str, query: str) -> list[tuple[object, ...]]:
    db = sa.create_engine(url)
    try:
        with db.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        db.dispose()


def _per_user(url: str, table: str) -> dict[str, int]:
    rows = _count(url, f"SELECT user_id, count(*) FROM {table} GROUP BY user_id")
    return {str(u): int(n) for u, n in rows}  # type: ignore[call-overload]


def test_x28_a_deletion_erases_the_rows_of_tables_without_a_primary_key(
    app: str, services: Services
) -> None:
    request_id = _approved(services, "u2", "deletion", trigger="purpose_done")
    second = _approved(services, "u2", "deletion", trigger="purpose_done")  # verified before
    done = services.rights.run(request_id, actor="test")
    assert done.status is Status.COMPLETED
    assert _per_user(app, "login_log") == {"u1": 3, "u3": 5}
    assert _per_user(app, "user_tag") == {"u1": 2, "u3": 2}
    repay = _count(app, "SELECT loan_id FROM repay_log ORDER BY loan_id")
    assert [int(r[0]) for r in repay] == [10, 10, 11, 30, 30, 31]  # type: ignore[call-overload]
    phones = _count(app, "SELECT user_id, phone FROM device_bind ORDER BY user_id, device")
    assert [(u, p is None) for u, p in phones] == [
        ("u1", False),
        ("u1", False),
        ("u2", True),
        ("u2", True),
        ("u3", False),
        ("u3", False),
    ]
    erased = {s.dataset: s for s in services.rights.steps(request_id) if s.action is Action.ERASE}
    for name in ("login_log", "user_tag", "device_bind", "repay_log"):
        assert not erased[name].keys and MATCH in erased[name].params
        assert erased[name].status is StepStatus.DONE
    assert erased["repay_log"].params[MATCH]["via"] == ["loans", "users"]
    counts = {name: erased[name].outcome["affected"] for name in erased}
    assert counts["login_log"] == 4 and counts["user_tag"] == 2
    shown = StepOut.of(erased["login_log"])  # what GET …/requests/{id}/steps says
    assert shown.by_predicate and shown.records == 4
    assert counts["device_bind"] == 2 and counts["repay_log"] == 3
    assert services.rights.run(second, actor="test").status is Status.COMPLETED
    steps = [s for s in services.rights.steps(second) if s.action is Action.ERASE]
    assert {s.dataset: s.outcome["affected"] for s in steps if s.dataset != "users"} == {
        "repay_log": 0,
        "loans": 0,
        "login_log": 0,
        "user_tag": 0,
        "device_bind": 0,
    }
    assert _per_user(app, "login_log") == {"u1": 3, "u3": 5}


def test_x27_access_exports_every_row_of_a_table_without_a_primary_key(
    services: Services,
) -> None:
    request_id = _approved(services, "u1", "access")
    done = services.rights.run(request_id, actor="test")
    assert done.status is Status.COMPLETED
    exported = {
        s.dataset: s for s in services.rights.steps(request_id) if s.action is Action.EXPORT
    }
    log = exported["login_log"]
    assert not log.keys and log.params[MATCH] == {"user_id": ["u1"], "via": []}
    assert log.outcome["records"] == 3  # two rows alike are two rows
    assert exported["repay_log"].outcome["records"] == 3
    assert exported["loans"].keys  # a table with a key still lists its keys
    with zipfile.ZipFile(services.rights.archive_path(request_id)) as zf:
        parts = json.loads(zf.read("data.json"))["datasets"]
    rows = parts["login_log"]
    assert sorted(r["ip"] for r in rows) == ["10.0.1.0", "10.0.1.0", "10.0.1.1"]
    assert all("key" not in r for r in rows)  # no key to show: only the declared fields
    assert json.dumps(parts["repay_log"], ensure_ascii=False).count("62221") == 3


def test_x27_a_correction_sets_the_value_in_every_row_of_a_table_without_a_primary_key(
    app: str, services: Services
) -> None:
    request_id = _approved(
        services, "u3", "correction", corrections={"mobile_number": "13912345678"}
    )
    assert services.rights.run(request_id, actor="test").status is Status.COMPLETED
    phones = _count(app, "SELECT user_id, phone FROM device_bind ORDER BY user_id, device")
    assert [p for u, p in phones if u == "u3"] == ["13912345678", "13912345678"]
    assert [p for u, p in phones if u != "u3"] == ["13800000001"] * 2 + ["13800000002"] * 2
    steps = [s for s in services.rights.steps(request_id) if s.dataset == "device_bind"]
    assert steps[0].outcome["changed"] == 2 and MATCH in steps[0].params


def test_x28_a_legal_hold_keeps_every_row_of_a_table_without_a_primary_key(
    app: str, services: Services
) -> None:
    services.rights.add_hold("u1", "诉讼保全", actor="test", dataset="loans")
    request_id = _approved(services, "u1", "deletion", trigger="purpose_done")
    services.rights.run(request_id, actor="test")
    steps = services.rights.steps(request_id)
    erased = {s.dataset for s in steps if s.action is Action.ERASE}
    # the loans and the repayment log below them are kept; the other logs go by predicate
    assert "repay_log" not in erased and "loans" not in erased
    assert {"login_log", "user_tag"} <= erased
    assert [int(r[0]) for r in _count(app, "SELECT loan_id FROM repay_log WHERE loan_id < 20")] == [
        10,
        10,
        11,
    ]  # type: ignore[call-overload]
    assert "u1" not in _per_user(app, "login_log")
    kept = next(s for s in steps if s.action is Action.RESTRICT).params["kept"]
    assert {k["dataset"] for k in kept} >= {"loans", "repay_log"}


def test_x28_a_batch_erases_tables_without_a_primary_key_by_predicate(
    app: str, services: Services
) -> None:
    ids = [_approved(services, s, "deletion", trigger="purpose_done") for s in SUBJECTS]
    report = run_many(services.rights, ids, actor="test")
    assert set(report.status.values()) == {Status.COMPLETED}
    assert _per_user(app, "login_log") == {} and _per_user(app, "user_tag") == {}
    assert _count(app, "SELECT count(*) FROM repay_log") == [(0,)]
    counts = {
        s.dataset: s.outcome["affected"]
        for s in services.rights.steps(ids[2])
        if s.action is Action.ERASE
    }
    assert counts["login_log"] == 5 and counts["repay_log"] == 3


def _errors(raw: dict[str, object]) -> dict[tuple[str | int, ...], str]:
    found = check_data_map(DataMap.model_validate(raw))
    return {i.path: i.message for i in found if i.severity == "error"}


def _with(name: str, **changes: object) -> dict[str, object]:
    raw = data_map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    for ds in datasets:
        if ds["id"] == name:
            ds.update(changes)
    return raw


def test_a_data_map_with_tables_without_a_primary_key_checks_clean() -> None:
    assert _errors(data_map()) == {}


@pytest.mark.parametrize(
    ("name", "changes", "where", "says"),
    [
        (
            "login_log",
            {"holds": [{"rule": "loan_records", "since": "at_ts"}]},
            ("datasets", 1, "holds"),
            "cannot keep some rows and erase others",
        ),
        (
            "device_bind",
            {"fields": [{"column": "phone", "element": "mobile_number", "erase": "mask"}]},
            ("datasets", 3, "fields", 0, "erase"),
            "`erase: mask` rewrites each value in its row",
        ),
        (
            "device_bind",
            {"subject": {"column": "phone", "identity": "phone_hash"}},
            ("datasets", 3),
            "starts from the person's `user_id`",
        ),
        (  # held rows above it: allowed when the parent has a key (test_keyless_held)
            "loans",
            {"holds": [{"rule": "loan_records", "since": "note"}], "primary_key": None},
            ("datasets", 5, "parent"),
            "rows of 'loans' above it may be held",
        ),
    ],
)
def test_a_table_without_a_primary_key_that_would_need_its_rows_named_is_an_error(
    name: str, changes: dict[str, object], where: tuple[str | int, ...], says: str
) -> None:
    raw = _with(name, **changes)
    if "phone_hash" in json.dumps(changes):
        raw["identities"] = ["user_id", "phone_hash"]
        datasets = raw["datasets"]
        assert isinstance(datasets, list)
        datasets[0]["provides"] = {"phone_hash": "phone"}
    errors = _errors(raw)
    assert where in errors, errors
    assert says in errors[where] and "has no `primary_key`" in errors[where]
    assert "`primary_key`" in errors[where]


def test_a_child_found_by_the_key_of_a_table_without_one_is_an_error() -> None:
    raw = data_map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    child = {
        "id": "tag_notes",
        "label": "标签备注",
        "store": "app",
        "table": "tag_notes",
        "primary_key": "id",
        "parent": {"dataset": "user_tag", "column": "tag"},
        "erase": "row",
    }
    datasets.append(child)
    errors = _errors(raw)
    assert "by its key (`parent` without `references`)" in errors[("datasets", 2)]
    child["parent"] = {"dataset": "user_tag", "column": "tag", "references": "tag"}
    assert _errors(raw) == {}


def test_x28_the_dry_run_plans_tables_without_a_primary_key_by_predicate(
    app: str, services: Services
) -> None:
    rights = services.rights
    run = dry_run(
        rights.data_map, rights.declaration, rights.connectors, "u2", today=date(2026, 12, 7)
    )
    assert "erase login_log: 4 record(s), by predicate" in run.steps
    assert "erase repay_log: 3 record(s), by predicate" in run.steps
    assert any(s.startswith("erase loans: 2 record(s)") for s in run.steps)
    assert _per_user(app, "login_log") == {"u1": 3, "u2": 4, "u3": 5}  # read only
    shown = {d.dataset for d in run.datasets if d.keyless}
    assert shown == {"login_log", "user_tag", "device_bind", "repay_log"}


def test_the_live_check_warns_at_a_table_given_no_primary_key_though_it_has_one(
    app: str, tmp_path: Path
) -> None:
    raw = data_map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    datasets[4].pop("primary_key")  # loans has one: loan_id
    datasets[5]["parent"] = {"dataset": "loans", "column": "loan_id", "references": "loan_id"}
    path = tmp_path / "forgot.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    report = check_map(path, connect=True, environ={ENV: app})
    said = [p.message for p in report.problems]
    assert any("has a primary key, 'loan_id'" in m and "`primary_key: loan_id`" in m for m in said)
    assert not any("user_tag" in m or "login_log" in m for m in said), said


class _Sql(Connector):
    """Only what :func:`by_predicate` asks: a store that erases by predicate."""

    erases_where = True  # type: ignore[assignment]

    def find(self, dataset, match):  # type: ignore[no-untyped-def]
        raise AssertionError("not read")

    def erase(self, dataset, keys, *, hash_key, idempotency_key):  # type: ignore[no-untyped-def]
        raise AssertionError("not erased")

    def correct(self, dataset, key, name, value):  # type: ignore[no-untyped-def]
        raise AssertionError("not corrected")


@pytest.mark.parametrize(
    ("dataset", "by_predicate_still"),
    [
        (None, set()),  # the whole account: every row kept
        ("loans", {"login_log", "user_tag", "device_bind"}),  # the loans and what hangs off them
        ("login_log", {"user_tag", "device_bind", "repay_log"}),
    ],
)
def test_x28_a_legal_hold_keeps_the_tables_without_a_primary_key_it_covers(
    dataset: str | None, by_predicate_still: set[str]
) -> None:
    hold = LegalHold(
        id="h1",
        app_id="xiaoying_kadai",
        subject_id="u1",
        reason="诉讼保全",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        created_by="test",
        dataset=dataset,
    )
    found = DataMap.model_validate(data_map())
    via, _ = by_predicate(found, {"app": _Sql()}, [hold], date(2026, 12, 7))
    assert set(via) == by_predicate_still  # tables with a key: erased by their keys
    assert via.get("repay_log", ["loans", "users"]) == ["loans", "users"]
    released = replace(hold, released_at=datetime(2026, 6, 1, tzinfo=UTC))
    via, _ = by_predicate(found, {"app": _Sql()}, [released], date(2026, 12, 7))
    assert set(via) == {"users", "login_log", "user_tag", "device_bind", "loans", "repay_log"}


def test_x26_an_incident_traces_the_rows_of_a_table_without_a_primary_key_to_their_people(
    services: Services,
) -> None:
    """A leaked login log is traced row by row to the person each row belongs to (PIPL
    Art. 57): its rows are listed with their subject column, each under its rank."""
    rights = services.rights
    log = rights.data_map.dataset("login_log")
    rows = list(rights.connectors["app"].scan(log))
    assert [r.key for r in rows] == [f"#{n}" for n in range(1, 13)]
    owners = sorted(str(r.values["user_id"]) for r in rows)
    assert owners == ["u1"] * 3 + ["u2"] * 4 + ["u3"] * 5
    repay = list(rights.connectors["app"].scan(rights.data_map.dataset("repay_log")))
    assert sorted(int(r.values["loan_id"]) for r in repay) == [10, 10, 11, 20, 20, 21, 30, 30, 31]  # type: ignore[call-overload]
