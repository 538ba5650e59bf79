"""Several apps in one database (a multi-tenant schema): every table has ``tenant_id`` and
``user_id`` is unique only within a tenant, so a data map naming the tables would match
another tenant's person by ``user_id``. The map names instead one view per table, which
keeps one tenant's rows (``WHERE tenant_id = 'acme' WITH CHECK OPTION``); PostgreSQL and
MariaDB update and delete through such a view (docs/datamap.md, "Several apps in one
database"). Deletion (alone and in a batch), copy, correction and retention sweeps (keyed
and keyless) then touch the tenant's rows only, checked cell by cell; ``map check
--connect`` refuses a view the database cannot change and an erase strategy whose value
its column cannot hold."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from erasure_sets_fixtures import app_database, run_sql, yinsi_beside
from yinsi.cli.app import app
from yinsi.rights.requests import Status
from yinsi.rights.verification import Method
from yinsi.services.datamap_check import check_map
from yinsi.services.retention import RetentionService, stored_legal_holds
from yinsi.services.rights_batch import run_many
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

ENV = "YINSI_TEST_TENANT_VIEWS_URL"
TENANTS = ("acme", "beta")
SUBJECTS = ("u1", "u2", "u3")


def _schema(backend: str) -> list[str]:
    serial = "BIGSERIAL" if backend == "postgresql" else "BIGINT AUTO_INCREMENT"
    statements = [
        "CREATE TABLE users (tenant_id VARCHAR(10) NOT NULL, user_id VARCHAR(20) NOT NULL, "
        "mobile VARCHAR(11), real_name VARCHAR(20), id_no VARCHAR(40), "
        "PRIMARY KEY (tenant_id, user_id))",
        f"CREATE TABLE loans (loan_id {serial} PRIMARY KEY, tenant_id VARCHAR(10) NOT NULL, "
        "user_id VARCHAR(20) NOT NULL, bank_card VARCHAR(19), seen_at DATE)",
        "CREATE TABLE login_log (tenant_id VARCHAR(10) NOT NULL, user_id VARCHAR(20) NOT NULL, "
        "ip VARCHAR(40), seen_at DATE)",
    ]
    for t, tenant in enumerate(TENANTS):
        for n, s in enumerate(SUBJECTS, start=1):
            statements += [
                f"INSERT INTO users VALUES ('{tenant}', '{s}', '13{t}0000000{n}', '张{t}{n}', "
                f"'11010519491231{t}{n}2X')",
                f"INSERT INTO loans (tenant_id, user_id, bank_card, seen_at) VALUES "
                f"('{tenant}', '{s}', '62220200000{t}000{n}', '2020-01-01'), "
                f"('{tenant}', '{s}', '62220200001{t}000{n}', '2039-12-31')",
                f"INSERT INTO login_log VALUES ('{tenant}', '{s}', '10.{t}.0.{n}', '2020-01-01'), "
                f"('{tenant}', '{s}', '10.{t}.1.{n}', '2039-12-31')",
            ]
    for table, columns in (
        ("users", "user_id, mobile, real_name, id_no"),
        ("loans", "loan_id, user_id, bank_card, seen_at"),
        ("login_log", "user_id, ip, seen_at"),
    ):
        statements.append(
            f"CREATE VIEW acme_{table} AS SELECT {columns} FROM {table} "
            "WHERE tenant_id = 'acme' WITH CHECK OPTION"
        )
    return statements


def _map() -> dict[str, object]:
    def ds(name: str, **more: object) -> dict[str, object]:
        return {
            "id": name,
            "label": f"{name}（测试）",
            "store": "app",
            "table": f"acme_{name}",
        } | more

    browse = {"rule": "browse_only", "since": "seen_at"}
    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            ds(
                "users",
                primary_key="user_id",
                subject={"column": "user_id", "identity": "user_id"},
                erase="fields",
                fields=[
                    {"column": "mobile", "element": "mobile_number"},
                    {"column": "real_name", "element": "name", "erase": "mask"},
                    {"column": "id_no", "element": "id_number", "erase": "keyed_hash"},
                ],
            ),
            ds(
                "loans",
                primary_key="loan_id",
                parent={"dataset": "users", "column": "user_id"},
                erase="row",
                retention=browse,
                fields=[{"column": "bank_card", "element": "bank_card"}],
            ),
            ds(  # no key: erased and swept by a predicate, through the view
                "login_log",
                parent={"dataset": "users", "column": "user_id"},
                erase="row",
                retention=browse,
                fields=[{"column": "ip", "element": "ip_address"}],
            ),
        ],
    }


@pytest.fixture(params=["postgresql", "mariadb"])
def tenant_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        run_sql(url, _schema(request.param))
        yield url


def _cells(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: [
                    tuple(row)
                    for row in conn.execute(
                        sa.text(f"SELECT * FROM {table} ORDER BY tenant_id, user_id, seen_at")
                        if table != "users"
                        else sa.text("SELECT * FROM users ORDER BY tenant_id, user_id")
                    )
                ]
                for table in ("users", "loans", "login_log")
            }
    finally:
        engine.dispose()


def _approved(services: Services, subject: str, kind: str, **more: object) -> str:
    request = services.rights.submit(subject, kind, **more)  # type: ignore[arg-type]
    n = SUBJECTS.index(subject) + 1
    services.rights.verify(request.id, f"310{n}2X", method=Method.ID_SUFFIX)
    services.rights.approve(request.id, actor="test")
    return request.id


def _of(cells: dict[str, list[tuple[object, ...]]], tenant: str) -> dict[str, list[object]]:
    return {
        t: [r for r in rows if r[0 if t == "users" else _tenant_at(t)] == tenant]
        for t, rows in cells.items()
    }


def _tenant_at(table: str) -> int:
    return 1 if table == "loans" else 0


def test_x28_a_deletion_through_tenant_views_erases_that_tenants_person_only(
    tenant_db: str, tmp_path: Path
) -> None:
    before = _cells(tenant_db)
    services = yinsi_beside(tenant_db, ENV, _map(), tmp_path)
    try:
        one = _approved(services, "u1", "deletion", trigger="purpose_done")
        assert services.rights.run(one, actor="test").status is Status.COMPLETED
        batch = [_approved(services, s, "deletion", trigger="purpose_done") for s in ("u2", "u3")]
        report = run_many(services.rights, batch)
        assert set(report.status.values()) == {Status.COMPLETED} and report.set_based > 0
    finally:
        services.close()
    after = _cells(tenant_db)
    assert _of(after, "beta") == _of(before, "beta")  # the other tenant's u1–u3, untouched
    acme = _of(after, "acme")
    assert acme["loans"] == [] and acme["login_log"] == []
    for row in acme["users"]:
        _, subject, mobile, name, id_no = row
        assert mobile is None and name != "张0" + subject[1:]
        assert isinstance(id_no, str) and id_no.startswith("h1:")


def test_x27_a_copy_and_a_correction_through_tenant_views_see_that_tenants_rows_only(
    tenant_db: str, tmp_path: Path
) -> None:
    before = _cells(tenant_db)
    services = yinsi_beside(tenant_db, ENV, _map(), tmp_path)
    try:
        copy = _approved(services, "u2", "copy")
        assert services.rights.run(copy, actor="test").status is Status.COMPLETED
        with zipfile.ZipFile(services.rights.archive_path(copy)) as archive:
            data = json.loads(archive.read("data.json"))["datasets"]
        fixed = _approved(
            services, "u2", "correction", corrections={"mobile_number": "13911112222"}
        )
        assert services.rights.run(fixed, actor="test").status is Status.COMPLETED
    finally:
        services.close()
    assert [r["mobile"] for r in data["users"]] == ["13000000002"]
    assert sorted(r["bank_card"] for r in data["loans"]) == ["6222020000000002", "6222020000100002"]
    assert sorted(r["ip"] for r in data["login_log"]) == ["10.0.0.2", "10.0.1.2"]
    after = _cells(tenant_db)
    assert _of(after, "beta") == _of(before, "beta")
    assert [r[2] for r in _of(after, "acme")["users"]] == [
        "13000000001",
        "13911112222",
        "13000000003",
    ]


def test_x38_a_retention_sweep_through_tenant_views_keeps_the_other_tenants_rows(
    tenant_db: str, tmp_path: Path
) -> None:
    before = _cells(tenant_db)
    services = yinsi_beside(tenant_db, ENV, _map(), tmp_path)
    try:
        with RetentionService(
            services.consent,
            services.rights.data_map,
            services.rights.connectors,
            units=services.units,
            hash_key=b"k" * 32,
            home=tmp_path / "home",
            legal_holds=stored_legal_holds(services.units),
            environ={ENV: tenant_db},
            actor="test",
        ) as sweeper:
            counts = {c.plan.dataset: c.count.due for c in sweeper.counts(date(2039, 12, 31))}
            assert counts == {"loans": 3, "login_log": 3}
            report = sweeper.run(date(2039, 12, 31), batch=2)
            assert report.rows == {"loans": 3, "login_log": 3}
    finally:
        services.close()
    after = _cells(tenant_db)
    assert _of(after, "beta") == _of(before, "beta")
    acme = _of(after, "acme")
    assert {str(r[-1]) for r in acme["loans"] + acme["login_log"]} == {"2039-12-31"}
    assert len(acme["loans"]) == len(acme["login_log"]) == 3


def test_map_check_refuses_a_view_the_database_cannot_change_and_values_columns_cannot_hold(
    tenant_db: str, tmp_path: Path
) -> None:
    run_sql(
        tenant_db,
        [
            "CREATE VIEW acme_users_distinct AS SELECT DISTINCT user_id, mobile, real_name, "
            "id_no FROM users WHERE tenant_id = 'acme'",
            # MariaDB updates through a join view but never deletes; PostgreSQL does neither
            "CREATE VIEW acme_loans_joined AS SELECT l.loan_id, l.user_id, l.bank_card, "
            "l.seen_at FROM loans l JOIN users u ON u.tenant_id = l.tenant_id "
            "AND u.user_id = l.user_id WHERE l.tenant_id = 'acme'",
            "CREATE TABLE narrow (user_id VARCHAR(20) PRIMARY KEY, id_no CHAR(18), age INTEGER "
            "NOT NULL, nick VARCHAR(2))",
        ],
    )
    raw = _map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    datasets[0]["table"] = "acme_users_distinct"
    datasets[1]["table"] = "acme_loans_joined"
    datasets.append(
        {
            "id": "narrow",
            "label": "窄表（测试）",
            "store": "app",
            "table": "narrow",
            "primary_key": "user_id",
            "parent": {"dataset": "users", "column": "user_id"},
            "erase": "fields",
            "fields": [
                {"column": "id_no", "element": "id_number", "erase": "keyed_hash"},
                {"column": "age", "element": "age", "erase": "anonymise"},
                {"column": "nick", "element": "name", "erase": "anonymise"},
            ],
        }
    )
    path = tmp_path / "datamap.yaml"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    problems = check_map(path, connect=True, environ={ENV: tenant_db}).errors
    text = "\n".join(str(p) for p in problems)
    assert "'acme_users_distinct' is a view the database cannot update rows" in text
    assert "'acme_loans_joined' is a view the database cannot" in text
    assert "`keyed_hash` writes 35 characters, more than its 18" in text
    assert "'age' is NOT NULL (INT" in text and "`anonymise` empties" in text
    assert "`anonymise` writes 3 characters, more than its 2" in text
    assert "acme_login_log" not in text  # an updatable view is no error


def test_map_check_refuses_a_sqlite_view_without_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    run_sql(
        url,
        [
            "CREATE TABLE users (tenant_id TEXT, user_id TEXT, mobile TEXT, real_name TEXT, "
            "id_no TEXT, PRIMARY KEY (tenant_id, user_id))",
            "CREATE VIEW acme_users AS SELECT user_id, mobile, real_name, id_no FROM users "
            "WHERE tenant_id = 'acme'",
        ],
    )
    raw = _map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    raw["datasets"] = datasets[:1]
    path = tmp_path / "datamap.yaml"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    problems = check_map(path, connect=True, environ={ENV: url}).errors
    assert any("'acme_users' is a view the database cannot" in str(p) for p in problems)
    run_sql(
        url,
        [
            "CREATE TRIGGER acme_users_update INSTEAD OF UPDATE ON acme_users BEGIN "
            "UPDATE users SET mobile = NEW.mobile WHERE tenant_id = 'acme' "
            "AND user_id = OLD.user_id; END"
        ],
    )
    problems = check_map(path, connect=True, environ={ENV: url}).errors
    assert not any("is a view" in str(p) for p in problems)


def test_map_draft_says_when_tables_look_shared_by_several_apps(
    tenant_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "draft.yaml"
    result = CliRunner().invoke(
        app, ["map", "draft", "--store", f"core={tenant_db}", "-o", str(path)]
    )
    text = path.read_text(encoding="utf-8")
    assert "Several apps seem to share these tables: tenant_id" in text, result.output
    assert "core.loans, core.login_log, core.users" in text
    assert '"Several apps in one\n# database"' in text
