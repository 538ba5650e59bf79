"""``yinsi map draft`` on the lender schema built for the tests (issue 17, acceptance).

The schema (:mod:`lender_schema`) has no foreign keys, pinyin column names, Chinese column
comments (not on SQLite), references to non-primary keys and a table linked by
``apply_id``. On PostgreSQL and MariaDB the draft must find ≥ 90 % of the PI columns with
the right element and ≥ 90 % of the parent links, load as a valid data map, and hold no
sampled value: every value the schema was filled with is absent from everything the
command printed or wrote. ``--against`` reports the PI columns a map leaves out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import lender_schema
from yinsi.cli.app import app
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.rights.corrections import columns_for

pytest_plugins = ["services"]

BACKENDS = ["postgresql", "mariadb", "sqlite"]


@dataclass(frozen=True)
class Drafted:
    backend: str
    url: str
    path: Path
    text: str
    printed: str
    data_map: DataMap


@pytest.fixture(scope="module", params=BACKENDS)
def drafted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Drafted]:
    folder = tmp_path_factory.mktemp(f"draft_{request.param}")
    if request.param == "sqlite":
        yield _draft(request.param, f"sqlite:///{folder / 'lender.db'}", folder)
    elif request.param == "postgresql":
        from storage_fixtures import postgres_database  # loaded as a plugin by services

        with postgres_database() as url:
            yield _draft(request.param, url, folder)
    else:
        from services import mariadb_database  # loaded as a plugin above

        with mariadb_database() as url:
            yield _draft(request.param, url, folder)


def _draft(backend: str, url: str, folder: Path) -> Drafted:
    lender_schema.build(url, users_count=30)
    path = folder / "draft.yaml"
    result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}", "-o", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    return Drafted(backend, url, path, text, result.output, load_data_map(path))


def _dataset(data_map: DataMap, table: str) -> object:
    return next((d for d in data_map.datasets if d.table == table), None)


def test_draft_finds_the_pi_columns_with_their_elements(drafted: Drafted) -> None:
    found = {
        (d.table, f.column): f.element
        for d in drafted.data_map.datasets
        for f in d.fields
        if d.table is not None
    }
    right = [p for p in lender_schema.PI_COLUMNS if found.get((p.table, p.column)) == p.element]
    wrong = [p for p in lender_schema.PI_COLUMNS if p not in right]
    share = len(right) / len(lender_schema.PI_COLUMNS)
    assert share >= 0.9, f"{drafted.backend}: {share:.0%} right; missed {wrong}"
    if drafted.backend != "sqlite":  # with comments, every one of them
        assert not wrong, wrong
    false = {k for k in found if k not in {(p.table, p.column) for p in lender_schema.PI_COLUMNS}}
    assert not false, f"columns wrongly taken for PI: {sorted(false)}"


def test_draft_finds_the_parent_links_and_the_root(drafted: Drafted) -> None:
    datasets = {d.id: d for d in drafted.data_map.datasets}
    root = drafted.data_map.datasets[0]
    assert (root.table, root.primary_key) == lender_schema.ROOT
    assert root.subject is not None and root.subject.column == "uid"
    right = []
    for link in lender_schema.LINKS:
        ds = next((d for d in datasets.values() if d.table == link.table), None)
        if ds is None or ds.parent is None:
            continue
        parent = datasets[ds.parent.dataset]
        references = ds.parent.references or parent.primary_key
        if (ds.parent.column, parent.table, references) == (
            link.column,
            link.parent,
            link.parent_column,
        ):
            right.append(link)
    share = len(right) / len(lender_schema.LINKS)
    missed = [link for link in lender_schema.LINKS if link not in right]
    assert share >= 0.9, f"{drafted.backend}: {share:.0%} of the links; missed {missed}"
    for table in lender_schema.NO_PI_TABLES:
        assert _dataset(drafted.data_map, table) is None


def test_every_guess_carries_its_confidence_and_evidence(drafted: Drafted) -> None:
    lines = drafted.text.splitlines()
    for i, line in enumerate(lines):
        if "element:" in line or line.strip().startswith("parent:"):
            assert lines[i - 1].strip().startswith("# confidence "), line
    assert "url: ${CORE_DATABASE_URL}" in drafted.text
    assert drafted.url not in drafted.text


def test_no_sampled_value_is_printed_or_written(drafted: Drafted) -> None:
    values = _values(drafted.url)
    assert len(values) > 200
    leaked = sorted(v for v in values if v in drafted.text or v in drafted.printed)
    assert not leaked, (
        f"{len(leaked)} sampled values leaked, e.g. a value of length {len(leaked[0])}"
    )


def _values(url: str) -> set[str]:
    """Every text value the schema was filled with that could identify someone."""
    columns = {(p.table, p.column) for p in lender_schema.PI_COLUMNS} | {("users", "cust_no")}
    engine = sa.create_engine(url)
    found: set[str] = set()
    try:
        with engine.connect() as conn:
            for table in lender_schema.metadata.sorted_tables:
                for column in table.columns:
                    if (table.name, column.name) not in columns or column.name == "xb":
                        continue
                    for (value,) in conn.execute(sa.select(column)):
                        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
                        if value is not None and len(text) >= 2:
                            found.add(text)
    finally:
        engine.dispose()
    return found


def test_against_reports_pi_columns_the_map_leaves_out(drafted: Drafted) -> None:
    map_path = drafted.path.parent / "datamap.yaml"
    text = lender_schema.data_map_text().replace(
        "      - {column: device_id, element: device_id}\n", ""
    )
    map_path.write_text(text, encoding="utf-8")
    args = ["map", "draft", "--store", f"core={drafted.url}", "--against", str(map_path)]
    out_path = drafted.path.parent / "again.yaml"
    result = CliRunner().invoke(app, [*args, "-o", str(out_path), "--exit-code"])
    assert result.exit_code == 3, result.output
    report = result.output
    for where in ("core.login_log.device_id", "core.users.sfzh", "core.users.login_name"):
        assert where in report
    assert "第十七条" in report
    assert "core.users.xm" not in report  # mapped: no drift
    values = _values(drafted.url)
    assert not [v for v in values if v in report]


def test_a_small_sample_of_a_large_table_is_drawn_without_sorting_it(drafted: Drafted) -> None:
    """With 2 rows sampled of tables 10× larger, PostgreSQL samples pages (TABLESAMPLE)
    and MariaDB rows (RAND() < p): the draft still loads, names and comments carry it."""
    path = drafted.path.parent / "small.yaml"
    args = ["map", "draft", "--store", f"core={drafted.url}", "--sample", "2", "-o", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data_map = load_data_map(path)
    found = {(d.table, f.column): f.element for d in data_map.datasets for f in d.fields}
    right = [p for p in lender_schema.PI_COLUMNS if found.get((p.table, p.column)) == p.element]
    assert len(right) / len(lender_schema.PI_COLUMNS) >= 0.9


def test_a_table_tied_to_the_subject_without_a_single_column_key_is_drafted_without_one(
    tmp_path: Path,
) -> None:
    """A login log with no primary key and a tag table keyed by (user, tag) hold the
    person's rows: the draft names them as datasets without `primary_key` (read and
    erased by a predicate on the person), with the link it found, not as unlinked or as
    holding no PI; the draft checks clean."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, real_name TEXT, mobile TEXT)",
            "CREATE TABLE login_log (user_id INTEGER, login_ip TEXT, login_time TEXT)",
            "CREATE TABLE user_tag (user_id INTEGER, tag TEXT, v TEXT, PRIMARY KEY (user_id, tag))",
            "INSERT INTO users VALUES (1, '张伟', '13812345678'), (2, '李娜', '13912345678')",
            "INSERT INTO login_log VALUES (1, '1.2.3.4', 'x'), (2, '1.2.3.5', 'y')",
            "INSERT INTO user_tag VALUES (1, 'vip', '1'), (2, 'vip', '0')",
        ):
            conn.execute(sa.text(statement))
    engine.dispose()
    path = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 张表" in result.output and "其中没有单列主键的表 2 张" in result.output
    text = path.read_text(encoding="utf-8")
    assert "(primary key (user_id, tag)):\n" in text and "(no primary key):\n" in text
    assert "No PI found in" not in text and "no link ties" not in text
    data_map = load_data_map(path)
    by_table = {d.table: d for d in data_map.datasets}
    assert list(by_table) == ["users", "login_log", "user_tag"]
    log = by_table["login_log"]
    assert log.keyless and log.parent is not None and log.parent.column == "user_id"
    assert [(f.column, f.element) for f in log.fields] == [("login_ip", "ip_address")]
    assert by_table["user_tag"].keyless and by_table["users"].primary_key == "id"


def test_postgresql_tables_outside_the_default_schema_are_named_with_how_to_read_them() -> None:
    """A lender's tables in schema ``crm``: the draft read only ``public`` and found
    nothing, without a word; it now names the schema and the search_path that reads it,
    and with that URL drafts its tables."""
    from storage_fixtures import postgres_database  # loaded as a plugin by services

    with postgres_database() as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA crm"))
            conn.execute(
                sa.text(
                    "CREATE TABLE crm.customer (id BIGINT PRIMARY KEY, real_name TEXT, mobile TEXT)"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TABLE crm.contact (id BIGINT PRIMARY KEY,"
                    " customer_id BIGINT REFERENCES crm.customer (id), contact_name TEXT)"
                )
            )
        engine.dispose()
        plain = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}"])
        assert "未读取 PostgreSQL schema crm（2 张表）" in plain.output, plain.output
        assert "?options=-csearch_path%3Dcrm" in plain.output
        scoped = f"{url}?options=-csearch_path%3Dcrm"
        drafted = CliRunner().invoke(app, ["map", "draft", "--store", f"core={scoped}"])
        assert drafted.exit_code == 0, drafted.output
        assert "table: customer" in drafted.stdout and "table: contact" in drafted.stdout
        assert "未读取" not in drafted.output


def test_x27_a_contact_table_is_drafted_with_each_column_s_format_so_a_correction_is_placed(
    tmp_path: Path,
) -> None:
    """A contact's name and phone columns both hold emergency_contacts: the draft states
    each one's format (from its name, else its values), so a correction to a name goes to
    the name column and a new phone to the phone column, never both."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, real_name TEXT, mobile TEXT)",
            "CREATE TABLE user_contact (id INTEGER PRIMARY KEY, user_id INTEGER, "
            "lxr_xm TEXT, lxr_dh TEXT, gx TEXT, other_info TEXT)",
            "INSERT INTO users VALUES (1, '张伟', '13812345678'), (2, '李娜', '13912345678')",
            "INSERT INTO user_contact VALUES (1, 1, '王芳', '13700000001', '配偶', '13600000001'),"
            " (2, 2, '刘洋', '13700000002', '父母', '13600000002')",
        ):
            conn.execute(sa.text(statement))
    engine.dispose()
    path = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}", "-o", str(path)])
    assert result.exit_code == 0, result.output
    contacts = next(d for d in load_data_map(path).datasets if d.table == "user_contact")
    formats = {f.column: f.format for f in contacts.fields}
    assert formats["lxr_xm"] == "name_cn" and formats["lxr_dh"] == "phone_cn"
    assert formats["gx"] == "relation"  # 配偶, 朋友: never a name
    assert [f.column for f in columns_for(contacts, "emergency_contacts", "配偶")] == ["gx"]
    assert [f.column for f in columns_for(contacts, "emergency_contacts", "赵敏")] == ["lxr_xm"]
    phone = columns_for(contacts, "emergency_contacts", "13500000000")
    assert [f.column for f in phone] == ["lxr_dh"]


def test_sqlite_columns_declared_without_a_type_are_read_by_their_values(tmp_path: Path) -> None:
    """``CREATE TABLE t (id INTEGER PRIMARY KEY, c3, c4)``: SQLite columns with no type
    hold anything; their sampled values are read as text (they were not read at all)."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, c3, c4)"))
        for n in range(1, 21):
            conn.execute(
                sa.text("INSERT INTO users VALUES (:n, :phone, :mail)"),
                {"n": n, "phone": f"1380000{n:04d}", "mail": f"u{n}@example.com"},
            )
    engine.dispose()
    path = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}", "-o", str(path)])
    assert result.exit_code == 0, result.output
    users = next(d for d in load_data_map(path).datasets if d.table == "users")
    assert {f.column: f.element for f in users.fields} == {"c3": "mobile_number", "c4": "email"}


def test_postgresql_partitions_are_left_to_their_partitioned_table() -> None:
    """``login_log`` partitioned by month: one dataset for it, none for each partition
    (each would list the person's rows a second time in a copy)."""
    from storage_fixtures import postgres_database  # loaded as a plugin by services

    with postgres_database() as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in (
                "CREATE TABLE users (id VARCHAR(20) PRIMARY KEY, mobile VARCHAR(11))",
                "CREATE TABLE login_log (user_id VARCHAR(20) REFERENCES users(id), "
                "ip VARCHAR(40), day DATE NOT NULL) PARTITION BY RANGE (day)",
                "CREATE TABLE login_log_2026_11 PARTITION OF login_log "
                "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')",
                "INSERT INTO users SELECT 'u' || g, '1380000' || lpad(g::text, 4, '0') "
                "FROM generate_series(1, 20) g",
                "INSERT INTO login_log SELECT id, '10.0.0.1', '2026-11-02' FROM users",
            ):
                conn.execute(sa.text(statement))
        engine.dispose()
        result = CliRunner().invoke(app, ["map", "draft", "--store", f"core={url}"])
    assert result.exit_code == 0, result.output
    assert "table: login_log\n" in result.output
    assert "login_log_2026_11" not in result.output
