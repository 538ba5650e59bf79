"""PI inside JSON documents, and columns of types other than text (found trying an unseen
PostgreSQL schema: camelCase names in a schema of their own, ``uuid`` keys, ``jsonb``,
``inet``, ``NOT NULL`` PI columns).

- ``map draft`` reads a column of JSON documents key by key (``jsonb``, or text holding
  JSON): it is named by its most confident key and drafted ``format: json``; a key that
  looks like a value never reaches the draft.
- A correction never writes into a document (X27): it is refused for a person to do.
- A deletion empties a ``jsonb`` column to SQL ``NULL``, not the JSON document ``null``.
- An export holds ``uuid``, ``inet``, ``numeric`` and ``jsonb`` values (a copy crashed on
  an ``inet`` column).
- ``map check --connect`` refuses a ``NOT NULL`` column a deletion would empty.
- A correction the column cannot hold (longer than it, control characters) is refused
  when filed (X27); it used to be approved, then fail its write and stay executing.
"""

from __future__ import annotations

import json
import math
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from typer.testing import CliRunner

from erasure_sets_fixtures import DECLARATION, run_sql, yinsi_beside
from yinsi.cli.app import app
from yinsi.declaration.datamap import MappedField
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.declaration.discovery import classify
from yinsi.declaration.discovery_json import document_leaves
from yinsi.declaration.discovery_model import ColumnFacts
from yinsi.rights.corrections import InDocument
from yinsi.rights.export import plain
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, RightsRequest
from yinsi.rights.verification import Method
from yinsi.services.root import Services
from yinsi.taxonomy.detectors.values import classify_values
from yinsi.taxonomy.formats import InvalidValue

pytest_plugins = ["services"]

ENV = "YINSI_TEST_JSON_DOCUMENTS_URL"
SUBJECT = "00000000-0000-0000-0000-000000000001"
SCHEMA = [
    'CREATE TABLE "Customer" ("customerId" uuid PRIMARY KEY, "mobileNo" varchar(11) NOT NULL, '
    '"idCardNo" char(18), "profile" jsonb, "backupPhones" text[], "employer" varchar(10))',
    'CREATE TABLE "DeviceLog" ("id" serial PRIMARY KEY, "customerId" uuid NOT NULL '
    'REFERENCES "Customer"("customerId"), "ipAddr" inet, "amount" numeric(12,2))',
    *(
        f"INSERT INTO \"Customer\" VALUES ('00000000-0000-0000-0000-00000000000{n}', "
        f"'1390000123{n}', '11010519491231002X', "
        f'\'{{"address": "北京市朝阳区建国路{n}号", "13800138000": "x"}}\', '
        f"ARRAY['1370000000{n}', '1360000000{n}'])"
        for n in range(1, 6)
    ),
    'INSERT INTO "DeviceLog" ("customerId", "ipAddr", "amount") '
    'SELECT "customerId", \'10.0.0.1\', 12.50 FROM "Customer"',
]


@pytest.fixture(scope="module")
def app_db() -> Iterator[str]:
    from storage_fixtures import postgres_database  # loaded as a plugin by services

    with postgres_database() as url:
        run_sql(url, SCHEMA)
        yield url


def test_a_column_of_json_documents_is_drafted_by_its_keys(app_db: str, tmp_path: Path) -> None:
    path = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={app_db}", "-o", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    customer = next(d for d in load_data_map(path).datasets if d.table == "Customer")
    profile = next(f for f in customer.fields if f.column == "profile")
    assert (profile.element, profile.format) == ("address", "json")
    assert "JSON 文档或数组" in text and "键 address" in text and "各项" in text
    assert "13800138000" not in text + result.output  # a key that is a value: never shown
    assert "北京市朝阳区" not in text + result.output
    phones = next(f for f in customer.fields if f.column == "backupPhones")  # text[]
    assert (phones.element, phones.format) == ("mobile_number", "json")
    assert "13700000001" not in text + result.output
    # mobileNo is NOT NULL: the draft says `null` would be refused
    assert "NOT NULL: `erase: null` would be refused" in text


def test_a_text_column_holding_json_is_read_as_documents() -> None:
    samples = tuple(
        json.dumps({"contacts": [{"name": "王芳", "phone": f"1370000000{n}"}], "n": n})
        for n in range(10)
    )
    found = document_leaves(samples)
    assert found is not None and found.documents == 10
    assert set(found.paths) == {"contacts[].name", "contacts[].phone", "n"}
    guess = classify(ColumnFacts("ext_info", "text", "", samples), "user", "", classify_values)
    assert guess is not None and guess.format == "json"
    assert guess.element in ("emergency_contacts", "common_contacts", "mobile_number")
    plain_text = ColumnFacts("remark", "text", "", ("{not json", "hello", "13700000001"))
    assert document_leaves(plain_text.samples) is None


def test_x27_a_correction_never_writes_into_a_json_document(app_db: str, tmp_path: Path) -> None:
    services = yinsi_beside(app_db, ENV, _map(), tmp_path)
    try:
        with pytest.raises(InDocument, match="profile") as refused:
            services.rights.submit(SUBJECT, "correction", corrections={"address": "上海市1号"})
        assert refused.value.person_text.startswith("该项个人信息需由工作人员核实后更正")
    finally:
        services.close()


def test_a_deletion_empties_a_jsonb_column_to_sql_null(app_db: str, tmp_path: Path) -> None:
    services = yinsi_beside(app_db, ENV, _map(), tmp_path)
    try:
        done = _run(services, "00000000-0000-0000-0000-000000000002", "deletion")
        assert done.status.value == "completed"
    finally:
        services.close()
    engine = sa.create_engine(app_db)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT "mobileNo", profile IS NULL FROM "Customer" WHERE "customerId" = '
                "'00000000-0000-0000-0000-000000000002'"
            )
        ).one()
    engine.dispose()
    assert row == ("已匿名", True)  # SQL NULL: not the JSON document null


def test_a_copy_holds_uuid_inet_numeric_and_jsonb_values(app_db: str, tmp_path: Path) -> None:
    services = yinsi_beside(app_db, ENV, _map(), tmp_path)
    try:
        done = _run(services, "00000000-0000-0000-0000-000000000003", "copy")
        assert done.status.value == "completed"
        with zipfile.ZipFile(services.rights.archive_path(done.id)) as archive:
            data = json.loads(archive.read("data.json"))["datasets"]
            csv_text = archive.read("customer.csv").decode("utf-8-sig")
    finally:
        services.close()
    assert data["devicelog"][0]["ipAddr"] == "10.0.0.1"
    assert data["customer"][0]["profile"]["address"] == "北京市朝阳区建国路3号"
    assert '"{""address"": ""北京市朝阳区建国路3号""' in csv_text  # JSON in the cell, not repr


def test_stored_values_of_any_driver_type_become_json() -> None:
    assert plain(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    assert plain(IPv4Address("10.0.0.1")) == "10.0.0.1"
    assert plain(Decimal("1.10")) == "1.10"
    assert plain(timedelta(days=1)) == "1 day, 0:00:00"
    assert plain({"a": [Decimal("2"), b"\x01"]}) == {"a": ["2", "01"]}
    assert plain(math.nan) == "nan"
    assert plain(1.5) == 1.5 and plain(True) is True


def test_a_json_document_is_erased_whole_and_a_format_must_be_known() -> None:
    with pytest.raises(ValidationError, match="holds a whole document"):
        MappedField(column="profile", element="address", format="json", erase="mask")
    with pytest.raises(ValidationError, match="format"):
        MappedField(column="mobile", element="mobile_number", format="phone")


def test_map_check_refuses_a_not_null_column_a_deletion_would_empty(
    app_db: str, tmp_path: Path
) -> None:
    raw = _map()
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    datasets[0]["fields"][0]["erase"] = "null"  # mobileNo is NOT NULL
    path = tmp_path / "datamap.yaml"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    result = CliRunner(env={ENV: app_db}).invoke(
        app,
        ["map", "check", str(path), "--declaration", str(DECLARATION), "--connect"],
    )
    assert result.exit_code != 0
    assert "column 'mobileNo' is NOT NULL (VARCHAR(11))" in result.output
    assert "SQLSTATE 23502" in result.output and "anonymise" in result.output


def test_x27_a_correction_its_column_cannot_hold_is_refused_when_filed(
    app_db: str, tmp_path: Path
) -> None:
    services = yinsi_beside(app_db, ENV, _map(), tmp_path)
    try:
        with pytest.raises(InvalidRequest, match=r"'employer' has 12 characters.*at most 10") as e:
            services.rights.submit(SUBJECT, "correction", corrections={"employer": "某" * 12})
        assert isinstance(e.value.__cause__, InvalidValue)  # the privacy center shows it
        for value in ("某某\x00公司", "某某\u202e公司"):
            with pytest.raises(InvalidRequest, match="控制字符"):
                services.rights.submit(SUBJECT, "correction", corrections={"employer": value})
        fits = services.rights.submit(SUBJECT, "correction", corrections={"employer": "某" * 10})
        assert fits.corrections == {"employer": "某" * 10}
        customer = services.rights.data_map.dataset("customer")
        connector = services.rights.connectors["app"]
        with pytest.raises(ConnectorError, match="nothing was written"):  # the write checks too
            connector.correct(customer, SUBJECT, "employer", "某" * 11)
    finally:
        services.close()


def _map() -> dict[str, object]:
    return {
        "app": "xiaoying_kadai",
        "identities": ["user_id"],
        "stores": [{"id": "app", "kind": "sql", "url": "${" + ENV + "}"}],
        "datasets": [
            {
                "id": "customer",
                "label": "客户",
                "store": "app",
                "table": "Customer",
                "primary_key": "customerId",
                "subject": {"column": "customerId", "identity": "user_id"},
                "erase": "fields",
                "fields": [
                    {"column": "mobileNo", "element": "mobile_number", "erase": "anonymise"},
                    {"column": "idCardNo", "element": "id_number"},
                    {"column": "profile", "element": "address", "format": "json"},
                    {"column": "employer", "element": "employer"},
                ],
            },
            {
                "id": "devicelog",
                "label": "设备日志",
                "store": "app",
                "table": "DeviceLog",
                "primary_key": "id",
                "parent": {"dataset": "customer", "column": "customerId"},
                "erase": "row",
                "fields": [{"column": "ipAddr", "element": "ip_address"}],
            },
        ],
    }


def _run(services: Services, subject: str, kind: str) -> RightsRequest:
    rights = services.rights
    request = rights.submit(subject, kind, trigger="service_ended" if kind == "deletion" else None)
    rights.verify(request.id, "31002X", method=Method.ID_SUFFIX)  # 11010519491231002X
    rights.approve(request.id, actor="test")
    return rights.run(request.id, actor="test")
