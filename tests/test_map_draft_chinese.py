"""``map draft`` and the rights flows on a MariaDB schema with Chinese table and column
names, a ``BINARY(16)`` primary key and the identities in a table below the user table
(found trying an unseen schema: the draft named the wrong root, refused every Chinese
name and so dropped the columns it had found).

- A table or column may be named in any script: ``客户信息``, ``用户ID``, ``手机号``; a
  name in Chinese is read as a comment is (``手机号`` → mobile_number).
- The subject root is the table the others hang off (``t_user``), not the one below it
  holding more identities (``客户信息`` → ``t_user`` by ``用户ID``).
- A binary key is never a dataset's key: the text unique key is (``uid_text``).
- Two tables whose names give no Latin id get distinct dataset ids.
- The drafted map runs a deletion and a correction as drafted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from erasure_sets_fixtures import run_sql, yinsi_beside
from yinsi.cli.app import app
from yinsi.declaration.datamap import DataMap
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.rights.verification import Method

pytest_plugins = ["services"]

ENV = "CORE_DATABASE_URL"  # the variable the draft names for store ``core``
USERS = [f"00000000-0000-0000-0000-0000000000{n:02d}" for n in range(1, 21)]
SCHEMA = [
    "CREATE TABLE t_user (uid BINARY(16) PRIMARY KEY, uid_text CHAR(36) NOT NULL UNIQUE, "
    "mobile VARCHAR(11), reg_time DATETIME) COMMENT='用户表'",
    "CREATE TABLE `客户信息` (`客户编号` BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT, "
    "`用户ID` CHAR(36) NOT NULL, `姓名` VARCHAR(20), `手机号` VARCHAR(11), "
    "`身份证号` VARCHAR(18), `家庭住址` VARCHAR(200), KEY (`用户ID`))",
    "CREATE TABLE `银行卡` (`卡编号` BIGINT PRIMARY KEY AUTO_INCREMENT, `用户ID` CHAR(36), "
    "`银行卡号` VARCHAR(19))",
    *(
        f"INSERT INTO t_user VALUES (UNHEX(REPLACE('{u}', '-', '')), '{u}', "
        f"'139000000{n:02d}', NOW())"
        for n, u in enumerate(USERS, 1)
    ),
    *(
        f"INSERT INTO `客户信息` (`用户ID`, `姓名`, `手机号`, `身份证号`, `家庭住址`) VALUES "
        f"('{u}', '{'王李张刘陈'[n % 5]}伟', '137000000{n:02d}', '11010519491231002X', "
        f"'北京市海淀区中关村大街{n}号')"
        for n, u in enumerate(USERS, 1)
    ),
    *(
        f"INSERT INTO `银行卡` (`用户ID`, `银行卡号`) VALUES ('{u}', '6222021000000000007')"
        for u in USERS
    ),
]


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, DataMap]]:
    from services import mariadb_database  # loaded as a plugin above

    folder = tmp_path_factory.mktemp("chinese")
    with mariadb_database() as url:
        run_sql(url, SCHEMA)
        path = folder / "datamap.yaml"
        result = CliRunner().invoke(
            app,
            ["map", "draft", "--store", f"core={url}", "--app", "xiaoying_kadai", "-o", str(path)],
        )
        assert result.exit_code == 0, result.output
        yield url, path, load_data_map(path)


def test_chinese_names_are_drafted_and_read_as_comments(
    drafted: tuple[str, Path, DataMap],
) -> None:
    _, _, data_map = drafted
    customer = next(d for d in data_map.datasets if d.table == "客户信息")
    assert customer.primary_key == "客户编号"
    assert customer.parent is not None and customer.parent.column == "用户ID"
    elements = {f.column: f.element for f in customer.fields}
    assert elements["手机号"] == "mobile_number" and elements["姓名"] == "name"
    assert elements["身份证号"] == "id_number" and elements["家庭住址"] == "address"
    ids = sorted(d.id for d in data_map.datasets if d.table in ("客户信息", "银行卡"))
    assert ids == ["dataset", "dataset_2"]


def test_the_root_is_the_table_the_identities_hang_off_by_its_text_key(
    drafted: tuple[str, Path, DataMap],
) -> None:
    _, _, data_map = drafted
    root = next(d for d in data_map.datasets if d.subject is not None)
    assert root.table == "t_user"
    assert root.primary_key == "uid_text"  # not uid BINARY(16)
    assert root.subject is not None and root.subject.column == "uid_text"


def test_the_drafted_map_runs_a_correction_and_a_deletion(
    drafted: tuple[str, Path, DataMap], tmp_path: Path
) -> None:
    url, path, _ = drafted
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = yinsi_beside(url, ENV, raw, tmp_path)
    try:
        rights = services.rights
        for kind, subject, extra in (
            ("correction", USERS[0], {"corrections": {"mobile_number": "13811112222"}}),
            ("deletion", USERS[1], {"trigger": "service_ended"}),
        ):
            request = rights.submit(subject, kind, **extra)  # type: ignore[arg-type]
            rights.verify(request.id, "31002X", method=Method.ID_SUFFIX)
            rights.approve(request.id, actor="test")
            assert rights.run(request.id, actor="test").status.value == "completed"
    finally:
        services.close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        phones = conn.execute(
            sa.text("SELECT `手机号` FROM `客户信息` WHERE `用户ID` = :u"), {"u": USERS[0]}
        ).scalar_one()
        gone = conn.execute(
            sa.text("SELECT `姓名`, `手机号`, `身份证号` FROM `客户信息` WHERE `用户ID` = :u"),
            {"u": USERS[1]},
        ).one()
        other = conn.execute(
            sa.text("SELECT `姓名` FROM `客户信息` WHERE `用户ID` = :u"), {"u": USERS[2]}
        ).scalar_one()
    engine.dispose()
    assert phones == "13811112222"
    assert tuple(gone) == (None, None, None)
    assert other is not None  # nobody else touched
