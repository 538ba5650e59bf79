"""``yinsi keys rotate --blind-index`` + ``yinsi keys reindex`` + ``drop --blind-index`` on
SQLite, PostgreSQL and MariaDB (issue 6 item 5; W17, X09).

An app table with encrypted phone and ID number columns and their blind indexes, written
under the first keys. Through the command line: rotate the blind-index key, recompute
every index in small batches, drop the old key. Lookups find every row before, during and
after (however the phone is typed), no plaintext reaches the tables or the output, the old
key can be dropped only once no index names it, and the audit log has one entry per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.connectors.reindex import SqlReindexer, reindex_targets
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.security import BlindIndex, FieldCipher, FileKeySource
from yinsi.security.blind_index import IndexKind
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

pytest_plugins = ["services"]  # MariaDB; it loads storage_fixtures (PostgreSQL)

runner = CliRunner()

ROWS = 60
ERASED = "已匿名"
PHONE, ID_NUMBER = "customers.phone", "customers.id_number"

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("phone_enc", sa.Text, nullable=False),
    sa.Column("phone_bidx", sa.String(64), nullable=False, unique=True),
    sa.Column("id_number_enc", sa.Text, nullable=True),
    sa.Column("id_number_bidx", sa.String(64), nullable=True, unique=True),
)

DATA_MAP = """\
app: demo_app
stores:
  - {{id: core, kind: sql, url: "{url}"}}
datasets:
  - id: customers
    label: 客户
    store: core
    table: customers
    primary_key: id
    subject: {{column: id}}
    fields:
      - column: phone_enc
        element: mobile_number
        encrypted: true
        context: customers.phone
        blind_index: {{column: phone_bidx, kind: phone}}
      - column: id_number_enc
        element: id_number
        encrypted: true
        context: customers.id_number
        blind_index: {{column: id_number_bidx, kind: id_number}}
"""


def phone_of(n: int) -> str:
    return f"1{3 + n % 7}7{n:08d}"


def id_number_of(n: int) -> str:
    return f"310104{1970 + n % 30}0303{n:03d}{'X' if n % 5 == 0 else n % 10}"


@dataclass
class World:
    engine: sa.Engine
    yinsi_url: str
    key_file: Path
    map_file: Path

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, ["keys", *args])
        return result.exit_code, result.stdout, result.stderr

    def keys(self, *args: str) -> tuple[str, ...]:
        return ("--key-file", str(self.key_file), *args)

    def with_map(self, *args: str) -> tuple[str, ...]:
        return (*self.keys(), "--map", str(self.map_file), "--url", self.yinsi_url, *args)

    def index(self) -> BlindIndex:
        return BlindIndex(FileKeySource(self.key_file).load().blind_index)

    def cipher(self) -> FieldCipher:
        return FieldCipher(FileKeySource(self.key_file).load().encryption)

    def find(self, index: BlindIndex, kind: IndexKind, value: str) -> list[int]:
        """Ids of the rows whose blind index matches ``value`` under any key of the ring."""
        column = customers.c.phone_bidx if kind is IndexKind.PHONE else customers.c.id_number_bidx
        query = sa.select(customers.c.id).where(column.in_(index.candidates(value, kind=kind)))
        with self.engine.connect() as conn:
            return sorted(conn.scalars(query))

    def indexes(self) -> list[str]:
        with self.engine.connect() as conn:
            found = [
                *conn.scalars(sa.select(customers.c.phone_bidx)),
                *conn.scalars(sa.select(customers.c.id_number_bidx)),
            ]
        return [i for i in found if i is not None]


@contextmanager
def _app_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "postgresql":
        from storage_fixtures import postgres_database  # loaded as a plugin first

        with postgres_database() as url:
            yield url
    elif backend == "mariadb":
        from services import mariadb_database  # loaded as a plugin first

        with mariadb_database() as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'app.db'}"


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yinsi_url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(yinsi_url)
    with _app_database(request.param, tmp_path) as app_url:
        engine = sa.create_engine(app_url)
        metadata.create_all(engine)
        map_file = tmp_path / "datamap.yaml"
        map_file.write_text(DATA_MAP.format(url=app_url), encoding="utf-8")
        world = World(engine, yinsi_url, tmp_path / "keys.json", map_file)
        code, _, stderr = world.cli("init", *world.keys())
        assert code == 0, stderr
        yield world
        engine.dispose()


def seed(world: World, ids: range) -> None:
    """Rows under the active keys; customer 1 has no ID number, 2 an erased one (its
    index erased with it)."""
    cipher, index = world.cipher(), world.index()
    rows = []
    for n in ids:
        id_number = None if n in (1, 2) else id_number_of(n)
        rows.append(
            {
                "id": n,
                "phone_enc": cipher.encrypt(phone_of(n), context=PHONE),
                "phone_bidx": index.of(phone_of(n), kind=IndexKind.PHONE),
                "id_number_enc": ERASED
                if n == 2
                else None
                if id_number is None
                else cipher.encrypt(id_number, context=ID_NUMBER),
                "id_number_bidx": None
                if id_number is None
                else index.of(id_number, kind=IndexKind.ID_NUMBER),
            }
        )
    with world.engine.begin() as conn:
        conn.execute(customers.insert(), rows)


def audit(world: World) -> list[tuple[str, dict[str, object]]]:
    engine = create_engine(world.yinsi_url)
    try:
        with SqlUnitOfWork(engine) as uow:
            return [(e.action, dict(e.details or {})) for e in uow.audit.entries()]
    finally:
        engine.dispose()


def test_w17_blind_index_rotation_reindex_and_lookups(world: World) -> None:
    seed(world, range(ROWS))
    code, stdout, stderr = world.cli("rotate", *world.keys(), "--blind-index")
    assert code == 0, stderr
    assert "盲索引密钥 b2 已启用" in stdout and "yinsi keys reindex" in stdout
    keys = FileKeySource(world.key_file).load()
    assert keys.blind_index.kids == ("b2", "b1") and keys.encryption.kids == ("k1",)

    # mid-rotation: the indexes made under b1 still match, through the candidates
    assert world.find(world.index(), IndexKind.PHONE, phone_of(7)) == [7]

    code, _, stderr = world.cli("drop", *world.with_map("--blind-index", "b1"))
    indexed = ROWS + ROWS - 2
    assert code == 1 and f"仍有 {indexed} 个盲索引使用它" in stderr
    assert "customers.id_number_bidx 58 个" in stderr and "yinsi keys reindex" in stderr

    code, stdout, stderr = world.cli("reindex", *world.with_map("--batch", "7"))
    assert code == 0, stderr
    printed = stdout + stderr
    assert f"customers: {ROWS} 行 {indexed} 个盲索引已改用密钥 b2 重算" in stdout
    assert "剩余" not in stdout
    assert {i.split(".", 1)[0] for i in world.indexes()} == {"b2"}

    # a second run finds nothing left; then b1 can go
    code, stdout, _ = world.cli("reindex", *world.with_map())
    assert code == 0 and "customers: 0 行 0 个盲索引" in stdout
    code, stdout, stderr = world.cli("drop", *world.with_map("--blind-index", "b1"))
    assert code == 0, stderr
    assert "已删除盲索引密钥 b1" in stdout
    only_b2 = world.index()
    assert only_b2.ring.kids == ("b2",)

    # lookups under the new key alone find each row, however the value is typed
    for n in (0, 3, 7, ROWS - 1):
        assert world.find(only_b2, IndexKind.PHONE, phone_of(n)) == [n]
        typed = f"+86 {phone_of(n)[:3]}-{phone_of(n)[3:7]}-{phone_of(n)[7:]}"
        assert world.find(only_b2, IndexKind.PHONE, typed) == [n]
        assert world.find(only_b2, IndexKind.ID_NUMBER, id_number_of(n).lower()) == (
            [n] if n not in (1, 2) else []
        )
    assert world.find(only_b2, IndexKind.PHONE, "13000000000") == []

    # every value still decrypts; no plaintext in the raw table or the output
    cipher = world.cipher()
    with world.engine.connect() as conn:
        rows = conn.execute(sa.select(customers).order_by(customers.c.id)).all()
        cells = [str(c) for row in conn.execute(sa.text("SELECT * FROM customers")) for c in row]
    assert [cipher.decrypt(r.phone_enc, context=PHONE) for r in rows] == [
        phone_of(n) for n in range(ROWS)
    ]
    for n in range(ROWS):
        for secret in (phone_of(n), phone_of(n)[-8:], id_number_of(n)[:14]):
            assert not any(secret in cell for cell in cells)
            assert secret not in printed

    entries = audit(world)
    reindexed = [d for a, d in entries if a == "keys.reindexed"]
    assert [(d["rows"], d["indexes"], d["remaining"], d["kid"]) for d in reindexed] == [
        (ROWS, indexed, 0, "b2"),
        (0, 0, 0, "b2"),
    ]
    assert reindexed[0]["columns"] == ["phone_bidx", "id_number_bidx"]
    assert [d for a, d in entries if a == "keys.blind_index_dropped"] == [
        {"kid": "b1", "datasets": ["customers"]}
    ]


def test_w17_reindex_resumes_and_takes_rows_written_meanwhile(world: World) -> None:
    seed(world, range(ROWS))
    old = world.index()
    assert world.cli("rotate", *world.keys(), "--blind-index", "--kid", "b5")[0] == 0
    cipher, index = world.cipher(), world.index()
    data_map = load_data_map(world.map_file)
    target = reindex_targets(data_map)[0]
    reindexer = SqlReindexer.connect(data_map.store("core"))
    try:
        first = reindexer.batch(target, cipher, index, after=None, size=10)
        assert (first.rows, first.done) == (10, False)  # stopped here: interrupted
        # a node still on the old key set writes rows indexed under b1
        with world.engine.begin() as conn:
            conn.execute(
                customers.insert(),
                [
                    {
                        "id": n,
                        "phone_enc": cipher.encrypt(phone_of(n), context=PHONE),
                        "phone_bidx": old.of(phone_of(n), kind=IndexKind.PHONE),
                    }
                    for n in range(ROWS, ROWS + 3)
                ],
            )
        rows, per_column = reindexer.count(target, "b5")
        assert rows == ROWS - 10 + 3
        assert [(c.index_column, c.not_tokens) for c in per_column] == [
            ("phone_bidx", 0),
            ("id_number_bidx", 0),
        ]
    finally:
        reindexer.close()
    code, stdout, stderr = world.cli("reindex", *world.with_map("--batch", "4"))
    assert code == 0, stderr
    assert f"customers: {ROWS - 10 + 3} 行" in stdout
    assert {i.split(".", 1)[0] for i in world.indexes()} == {"b5"}
    assert world.find(world.index(), IndexKind.PHONE, phone_of(ROWS + 1)) == [ROWS + 1]


def test_w17_reindex_names_where_a_value_does_not_decrypt_never_what(world: World) -> None:
    seed(world, range(5))
    assert world.cli("rotate", *world.keys(), "--blind-index")[0] == 0
    # a phone token copied into the ID number column: it does not decrypt under its context
    with world.engine.begin() as conn:
        token = conn.scalar(sa.select(customers.c.phone_enc).where(customers.c.id == 3))
        conn.execute(customers.update().where(customers.c.id == 3).values(id_number_enc=token))
    code, stdout, stderr = world.cli("reindex", *world.with_map())
    assert code == 1
    assert "column 'id_number_enc' of table 'customers'" in stderr and "id=3" in stderr
    assert "customers.id_number" in stderr  # the context to check
    assert phone_of(3) not in stdout + stderr and "Traceback" not in stdout + stderr


def test_w17_reindex_needs_blind_indexes_in_the_data_map(world: World) -> None:
    text = world.map_file.read_text(encoding="utf-8")
    world.map_file.write_text(
        text.replace("        blind_index: {column: phone_bidx, kind: phone}\n", "").replace(
            "        blind_index: {column: id_number_bidx, kind: id_number}\n", ""
        ),
        encoding="utf-8",
    )
    code, _, stderr = world.cli("reindex", *world.with_map())
    assert code == 1 and "names no blind index" in stderr
