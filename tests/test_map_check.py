"""``yinsi map check`` and the live check before approval, on a lender's schema (issue 17).

The stores are scratch databases on the machine's PostgreSQL and MariaDB holding
:mod:`lender_schema` (no foreign keys, references to non-primary keys, Chinese column
comments); yinsi's own database is a SQLite file. Every run reads the stores only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import lender_schema
from conftest import EXAMPLES
from yinsi.cli.app import app
from yinsi.rights.requests import Status
from yinsi.rights.verification import NOT_ON_FILE, NotOnFile, VerificationFailed
from yinsi.services.datamap_check import MapCheckFailed, check_map
from yinsi.services.root import Services
from yinsi.storage import upgrade

pytest_plugins = ["services"]

DECLARATION = EXAMPLES / "xiaoying-kadai.yaml"
ENV = "LENDER_DB_URL"
PLACE = re.compile(r"^\S+\.yaml:(\d+):(\d+): ", re.M)
runner = CliRunner()


@dataclass
class Bench:
    lender: lender_schema.Lender
    folder: Path

    def map_file(self, text: str | None = None, name: str = "datamap.yaml") -> Path:
        path = self.folder / name
        path.write_text(text or lender_schema.data_map_text(ENV), encoding="utf-8")
        return path

    @property
    def env(self) -> dict[str, str]:
        return {ENV: self.lender.url}

    def check(self, *args: str) -> Result:
        return runner.invoke(app, ["map", "check", *args], env=self.env)


@pytest.fixture(params=["postgresql", "mariadb"])
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    from services import mariadb_database
    from storage_fixtures import postgres_database

    scratch = postgres_database if request.param == "postgresql" else mariadb_database
    with scratch() as url:
        yield Bench(lender_schema.build(url), tmp_path)


def _broken(*replacements: tuple[str, str]) -> str:
    text = lender_schema.data_map_text(ENV)
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


WRONG = (
    ("{column: xm, element: name}", "{column: xingming, element: name}"),
    ("{column: lxr_dh, element", "{column: lxr_phone, element"),
    ("since: settle_date", "since: settled_at"),
    (
        "{dataset: loans, column: loan_no, references: loan_no}",
        "{dataset: loans, column: loan_no, references: jjh}",
    ),
    ("table: bank_card\n", "table: bank_cards\n"),
    ("loan_status = 'outstanding'", "status = 'outstanding'"),
)
"""Six mistakes of a first map: two fields, a hold's date, a non-primary-key reference,
a table name and a hold's condition."""


def test_a_correct_map_passes_the_live_check_and_verifies_through_parent_links(
    bench: Bench,
) -> None:
    result = bench.check(str(bench.map_file()), "--declaration", str(DECLARATION), "--connect")
    assert result.exit_code == 0, result.output
    assert "core (sql): 可连接" in result.output
    assert "sms: users.sjh via users (subject)" in result.output
    assert "id_suffix: idcard.id_no via users → idcard (parent links)" in result.output
    # warnings are shown, not hidden: elements held but never declared (PIPL Art. 17)
    assert re.search(r"datamap\.yaml:\d+:\d+: warning: .*'email' is held here", result.output)


def test_every_wrong_column_is_reported_at_once_with_its_place(bench: Bench) -> None:
    path = bench.map_file(_broken(*WRONG))
    result = bench.check(str(path), "--connect")
    assert result.exit_code == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    places = [(int(m[1]), int(m[2])) for m in PLACE.finditer(result.stdout)]
    assert len(places) == len(WRONG), result.stdout
    # each finding points at the very value that is wrong
    at = {lines[line - 1][col - 1 :].split(",")[0].rstrip("}\n") for line, col in places}
    assert at == {
        "xingming",
        "lxr_phone",
        "settled_at",
        "jjh",
        "bank_cards",
        "\"status = 'outstanding'\"",
    }
    out = result.stdout
    assert "column 'xingming' does not exist in table 'users'" in out
    assert "did you mean 'lxr_dh'" in out
    assert "column 'settled_at' does not exist in table 'loan'; did you mean 'settle_date'" in out
    assert "column 'jjh' does not exist in the parent's table 'loan'" in out
    assert "table 'bank_cards' does not exist in store 'core'" in out
    assert "datasets[3].holds[0].while: the database refuses this condition" in out
    assert "4 error(s)" not in result.stderr and "6 error(s)" in result.stderr


def test_a_wrong_column_type_and_a_non_unique_reference_are_flagged(bench: Bench) -> None:
    path = bench.map_file(
        _broken(
            ("since: settle_date", "since: principal"),
            ("references: cust_no}", "references: xb}"),
        )
    )
    report = check_map(path, connect=True, environ=bench.env)
    found = {(p.path, p.severity): p.message for p in report.problems}
    since = found[(("datasets", 3, "holds", 0, "since"), "error")]
    assert "must be a DATE or TIMESTAMP column" in since
    assert "not unique" in found[(("datasets", 7, "parent", "references"), "warning")]


def test_json_output_places_each_problem(bench: Bench) -> None:
    path = bench.map_file(_broken(WRONG[0]))
    result = bench.check(str(path), "--connect", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    (problem,) = data["problems"]
    assert (problem["line"], problem["path"]) == (17, ["datasets", 0, "fields", 0, "column"])
    assert data["stores"] == [{"store": "core", "kind": "sql", "reachable": True, "note": ""}]


def test_an_unreachable_store_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "datamap.yaml"
    path.write_text(lender_schema.data_map_text(ENV), encoding="utf-8")
    env = {ENV: "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"}
    result = runner.invoke(app, ["map", "check", str(path), "--connect"], env=env)
    assert result.exit_code == 1
    assert re.search(
        r"datamap\.yaml:\d+:\d+: stores\[0\]\.url: store 'core' cannot be reached", result.stdout
    )


def test_dry_run_shows_exported_erased_and_kept_rows_and_changes_nothing(bench: Bench) -> None:
    borrower = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    counts = lender_schema.row_counts(bench.lender.url)
    result = bench.check(
        str(bench.map_file()),
        "--declaration",
        str(DECLARATION),
        "--subject",
        str(borrower.uid),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["dry_run"]
    by_id = {d["dataset"]: d for d in run["datasets"]}
    assert by_id["users"]["found"] == [str(borrower.uid)]
    assert len(by_id["idcard"]["erased"]) == 1
    (loan,) = by_id["loans"]["found"]
    assert by_id["loans"]["erased"] == []  # outstanding: kept, with the reason
    assert "尚未结束" in by_id["loans"]["kept"][loan][0]
    assert len(by_id["repayments"]["kept"]) == 3  # held with their loan (non-PK link)
    assert len(by_id["credit"]["found"]) == 1  # found by cust_no, a non-primary key
    assert any(s.startswith("erase users") for s in run["steps"])
    assert lender_schema.row_counts(bench.lender.url) == counts
    assert lender_schema.snapshot(bench.lender.url) == before


def test_x28_a_dataset_erased_by_fields_that_lists_none_is_a_warning_and_no_step(
    bench: Bench,
) -> None:
    """A drafted table whose PI no column gave away is still the person's through its
    link; left ``erase: fields`` with no field, a deletion would leave it as it is. The
    check says so at its line, and the dry run neither counts its rows as erased nor
    plans a step that would erase nothing."""
    old = """    erase: row
    fields:
      - {column: lxr_xm, element: emergency_contacts}
      - {column: lxr_dh, element: emergency_contacts}
      - {column: gx, element: emergency_contacts}
"""
    path = bench.map_file(_broken((old, "    erase: fields\n    fields: []\n")))
    person = bench.lender.person(None)
    result = bench.check(str(path), "--declaration", str(DECLARATION), "--subject", str(person.uid))
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "lists no field" in x]
    assert "warning: datasets[" in line and "'contacts'" in line and "PIPL Art. 47" in line
    (shown,) = [x for x in result.output.splitlines() if x.startswith("  contacts: 导出")]
    assert shown.endswith("删除请求时不改动（数据地图未列出其个人信息字段）"), shown
    assert "erase users" in result.output and "erase contacts" not in result.output


def test_x28_a_label_without_chinese_is_a_warning_naming_where_the_person_reads_it(
    bench: Bench,
) -> None:
    """A draft labels a table with no comment by its own name; the answer to a deletion
    then tells the person "依法保留：repay_plan（…）". The check says so, at the label."""
    path = bench.map_file(_broken(("    label: 紧急联系人\n", "    label: user_contact\n")))
    result = bench.check(str(path))
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if "is labelled" in x]
    assert "warning: datasets[" in line and ".label:" in line and "'user_contact'" in line
    assert "PIPL Art. 17" in line


def test_dry_run_needs_the_declaration(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(lender_schema.data_map_text(ENV), encoding="utf-8")
    result = runner.invoke(app, ["map", "check", str(path), "--subject", "1"])
    assert result.exit_code == 1
    assert "--subject needs --declaration" in result.output


# ------------------------------------------------------------------ rights requests


def _services(bench: Bench, map_path: Path) -> Services:
    url = f"sqlite:///{bench.folder / 'yinsi.db'}"
    upgrade(url)
    from yinsi.services.consent import Engine
    from yinsi.storage import create_engine

    Engine(database=create_engine(url)).publish(DECLARATION)
    return Services.open(url, data_map=map_path, environ=bench.env, hash_key=b"k" * 32)


def test_approve_runs_the_live_check_and_a_bad_map_leaves_the_request_verified(
    bench: Bench,
) -> None:
    person = bench.lender.person(None)
    services = _services(bench, bench.map_file(_broken(WRONG[1], WRONG[2], WRONG[4])))
    try:
        rights = services.rights
        request = rights.submit(str(person.uid), "deletion", trigger="consent_withdrawn")
        rights.verify(request.id, person.id_number[-6:], method="id_suffix")
        with pytest.raises(MapCheckFailed) as caught:
            rights.approve(request.id, actor="operator")
        message = str(caught.value)
        assert "datasets[3]: " in message and "'settled_at'" in message
        assert "datasets[5]: " in message and "'lxr_phone'" in message
        assert "datasets[6]: " in message and "'bank_cards'" in message
        assert "yinsi map check MAP --connect" in message
        assert rights.get(request.id).status is Status.VERIFIED
        assert rights.steps(request.id) == []
    finally:
        services.close()
    url = f"sqlite:///{bench.folder / 'yinsi.db'}"
    path = str(bench.folder / "datamap.yaml")
    args = ["rights", "approve", request.id, "--map", path, "--url", url]
    result = runner.invoke(app, args, env=bench.env)
    assert result.exit_code == 1
    assert "'lxr_phone'" in result.output and "'bank_cards'" in result.output


def test_x35_holdout_drill_parent_linked_id_table_verifies_by_id_suffix(bench: Bench) -> None:
    """The user root holds no ID number; the ID table hangs off it by `parent`."""
    person = bench.lender.person("settled")
    services = _services(bench, bench.map_file())
    try:
        rights = services.rights
        request = rights.submit(str(person.uid), "access")
        with pytest.raises(VerificationFailed):
            rights.verify(request.id, "000000", method="id_suffix")
        verified = rights.verify(request.id, person.id_number[-6:], method="id_suffix")
        assert verified.status is Status.VERIFIED
        assert rights.approve(request.id, actor="operator").status is Status.APPROVED
    finally:
        services.close()


def test_a_failed_lookup_tells_the_engineer_why_without_pi(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the ID table in the map, the user reads the usual message; the log and the
    CLI say which datasets were searched and which hold no ID number."""
    text = lender_schema.data_map_text(ENV)
    start = text.index("  - id: idcard")
    text = text[:start] + text[text.index("  - id: applications") :]
    person = bench.lender.person(None)
    path = bench.map_file(text)
    services = _services(bench, path)
    try:
        request = services.rights.submit(str(person.uid), "access")
        with (
            caplog.at_level(logging.WARNING, logger="yinsi.rights"),
            pytest.raises(NotOnFile) as caught,
        ):
            services.rights.verify(request.id, person.id_number[-6:], method="id_suffix")
    finally:
        services.close()
    assert str(caught.value) == NOT_ON_FILE
    assert "no dataset linked to user_id holds 'id_number'" in caught.value.detail
    assert "without a column for 'id_number': users, applications" in caught.value.detail
    logged = caplog.text
    assert request.id in logged and "users, applications" in logged
    for value in (person.id_number, person.id_number[-6:], person.phone, person.name):
        assert value not in logged
    url = f"sqlite:///{bench.folder / 'yinsi.db'}"
    result = runner.invoke(
        app,
        [
            "rights",
            "verify",
            request.id,
            "123456",
            "--method",
            "id_suffix",
            "--map",
            str(path),
            "--url",
            url,
        ],
        env=bench.env,
    )
    assert result.exit_code == 1
    assert NOT_ON_FILE in result.output and "without a column for 'id_number'" in result.output


def test_x35_an_sms_code_never_goes_to_a_phone_found_below_the_root(bench: Bench) -> None:
    """A reserved phone under a bank card (or a recipient's under an order) labelled
    `mobile_number` is not the subject's own: with the root's phone empty, no code is
    sent and the engineer is told why; an ID table holding two different ID numbers for
    the subject (whose is which?) is not read either."""
    import sqlalchemy as sa

    person = bench.lender.person("settled")
    text = _broken(
        (
            "{column: ylsjh, element: bank_reserved_mobile}",
            "{column: ylsjh, element: mobile_number}",
        )
    )
    database = sa.create_engine(bench.lender.url)
    try:
        with database.begin() as conn:
            conn.execute(
                sa.update(lender_schema.users)
                .where(lender_schema.users.c.uid == person.uid)
                .values(sjh=None)
            )
            row = (
                conn.execute(
                    sa.select(lender_schema.user_idcard).where(
                        lender_schema.user_idcard.c.user_id == person.uid
                    )
                )
                .mappings()
                .one()
            )
            conn.execute(
                sa.insert(lender_schema.user_idcard).values(
                    {**row, "id": row["id"] + 100_000, "id_no": "11010519491231002X"}
                )
            )
    finally:
        database.dispose()
    services = _services(bench, bench.map_file(text))
    try:
        request = services.rights.submit(str(person.uid), "access")
        with pytest.raises(NotOnFile) as phone:
            services.rights._on_file(request, "mobile_number")
        with pytest.raises(NotOnFile) as id_number:
            services.rights.verify(request.id, person.id_number[-6:], method="id_suffix")
    finally:
        services.close()
    assert str(phone.value) == NOT_ON_FILE
    assert "below the root, not read for 'mobile_number'" in phone.value.detail
    assert "cards" in phone.value.detail and "users.sjh (empty" in phone.value.detail
    assert "idcard.id_no (2 different values" in id_number.value.detail
    assert person.id_number not in id_number.value.detail
