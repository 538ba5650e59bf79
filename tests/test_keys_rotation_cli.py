"""``yinsi keys init|rotate|rewrap|drop`` on SQLite, PostgreSQL and MariaDB (issue 6 item 5;
X09, X25, W17).

An app database with two datasets whose PI columns hold FieldCipher tokens (a customer's
phone and ID number, a contact's phone), written under the first key. Then, through the
command line: rotate, rewrap in small batches, drop the old key. Afterwards every value
decrypts under the new ring, a raw scan of the tables finds no plaintext, the old key
could be dropped only once no token named it, and the audit log has one entry per dataset.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.connectors.rewrap import SqlRewrapper, rewrap_targets
from yinsi.declaration.datamap import DataMap, MappedField
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.security import FieldCipher, FileKeySource, token_key_id
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade

pytest_plugins = ["services"]  # MariaDB; it loads storage_fixtures (PostgreSQL)

runner = CliRunner()

CUSTOMERS = 90
CONTACTS = 40
ERASED = "已匿名"
PHONE, ID_NUMBER, CONTACT_PHONE = "customers.phone", "customers.id_number", "contacts.phone"

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # MariaDB: id 0
    sa.Column("city", sa.String(40), nullable=False),
    sa.Column("phone_enc", sa.Text, nullable=False),
    sa.Column("id_number_enc", sa.Text, nullable=True),
)
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # MariaDB: id 0
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("phone_enc", sa.Text, nullable=False),
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
      - {{column: phone_enc, element: mobile_number, encrypted: true}}
      - {{column: id_number_enc, element: id_number, encrypted: true}}
      - {{column: city, element: address}}
  - id: contacts
    label: 联系人
    store: core
    table: contacts
    primary_key: id
    parent: {{dataset: customers, column: customer_id}}
    fields:
      - {{column: phone_enc, element: mobile_number, encrypted: true}}
"""


def phone_of(n: int) -> str:
    return f"1{3 + n % 7}9{n:08d}"


def id_number_of(n: int) -> str:
    return f"440305{1960 + n % 40}0202{n:03d}{'X' if n % 4 == 0 else n % 10}"


@dataclass
class World:
    app_url: str
    app_engine: sa.Engine
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

    def cipher(self) -> FieldCipher:
        return FieldCipher(FileKeySource(self.key_file).load().encryption)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The app's database on each backend, yinsi's own (SQLite) and a data map."""
    yinsi_url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(yinsi_url)
    with _app_database(request.param, tmp_path) as app_url:
        engine = sa.create_engine(app_url)
        metadata.create_all(engine)
        map_file = tmp_path / "datamap.yaml"
        map_file.write_text(DATA_MAP.format(url=app_url), encoding="utf-8")
        yield World(app_url, engine, yinsi_url, tmp_path / "keys.json", map_file)
        engine.dispose()


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


def seed(world: World, cipher: FieldCipher, customer_ids: range, contact_ids: range) -> None:
    """Rows under the cipher's active key; customer 1 has no ID number, 2 an erased one."""
    with world.app_engine.begin() as conn:
        conn.execute(
            customers.insert(),
            [
                {
                    "id": n,
                    "city": "深圳",
                    "phone_enc": cipher.encrypt(phone_of(n), context=PHONE),
                    "id_number_enc": (
                        None
                        if n == 1
                        else ERASED
                        if n == 2
                        else cipher.encrypt(id_number_of(n), context=ID_NUMBER)
                    ),
                }
                for n in customer_ids
            ],
        )
        if not contact_ids:
            return
        conn.execute(
            contacts.insert(),
            [
                {
                    "id": n,
                    "customer_id": n % CUSTOMERS,
                    "phone_enc": cipher.encrypt(phone_of(1000 + n), context=CONTACT_PHONE),
                }
                for n in contact_ids
            ],
        )


def tokens(world: World) -> list[str]:
    with world.app_engine.connect() as conn:
        found = [
            *conn.scalars(sa.select(customers.c.phone_enc)),
            *conn.scalars(sa.select(customers.c.id_number_enc)),
            *conn.scalars(sa.select(contacts.c.phone_enc)),
        ]
    return [t for t in found if t is not None and t != ERASED]


def decrypt_all(
    world: World, cipher: FieldCipher
) -> tuple[dict[int, tuple[str, str | None]], list[str]]:
    with world.app_engine.connect() as conn:
        people = {
            row.id: (
                cipher.decrypt(row.phone_enc, context=PHONE),
                row.id_number_enc
                if row.id_number_enc in (None, ERASED)
                else cipher.decrypt(row.id_number_enc, context=ID_NUMBER),
            )
            for row in conn.execute(sa.select(customers))
        }
        others = [
            cipher.decrypt(t, context=CONTACT_PHONE)
            for t in conn.scalars(sa.select(contacts.c.phone_enc).order_by(contacts.c.id))
        ]
    return people, others


def raw_cells(world: World) -> list[str]:
    """Every cell of both tables read with plain SQL, as text."""
    with world.app_engine.connect() as conn:
        return [
            str(cell)
            for table in ("customers", "contacts")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            for cell in row
        ]


def audit_actions(world: World) -> list[tuple[str, dict[str, object]]]:
    engine = create_engine(world.yinsi_url)
    try:
        with SqlUnitOfWork(engine) as uow:
            return [(e.action, dict(e.details or {})) for e in uow.audit.entries()]
    finally:
        engine.dispose()


def test_x25_w17_rotate_rewrap_drop_every_value_decrypts_no_plaintext(world: World) -> None:
    code, stdout, stderr = world.cli("init", *world.keys())
    assert code == 0, stderr
    assert stat.S_IMODE(os.stat(world.key_file).st_mode) == 0o600
    old = world.cipher()
    seed(world, old, range(CUSTOMERS), range(CONTACTS))

    # the active key cannot be dropped
    code, _, stderr = world.cli("drop", *world.with_map("k1"))
    assert code == 1 and "active" in stderr

    code, stdout, stderr = world.cli("rotate", *world.keys())
    assert code == 0, stderr
    assert "k2 已启用" in stdout and "k1 已停用" in stdout
    ring = FileKeySource(world.key_file).load().encryption
    assert ring.active.kid == "k2" and set(ring.kids) == {"k1", "k2"}

    # mid-rotation, before any rewrap: old tokens still decrypt under the new ring
    assert decrypt_all(world, world.cipher())[0][5] == (phone_of(5), id_number_of(5))

    # the retired key is refused while tokens use it, with the count per column
    code, _, stderr = world.cli("drop", *world.with_map("k1"))
    in_k1 = CUSTOMERS + (CUSTOMERS - 2) + CONTACTS
    assert code == 1
    assert f"仍有 {in_k1} 个密文使用它" in stderr and "customers.id_number_enc 88 个" in stderr

    code, stdout, stderr = world.cli("rewrap", *world.with_map("--batch", "16"))
    assert code == 0, stderr
    assert f"customers: {CUSTOMERS} 行 {CUSTOMERS * 2 - 2} 个密文已改用密钥 k2" in stdout
    assert f"contacts: {CONTACTS} 行 {CONTACTS} 个密文已改用密钥 k2" in stdout
    assert "剩余" not in stdout
    assert "customers.id_number_enc 有 1 个非空值不是 yinsi 密文" in stderr  # the erased one
    assert {token_key_id(t) for t in tokens(world)} == {"k2"}

    # resumable by nature: a second run finds nothing left to do
    code, stdout, _ = world.cli("rewrap", *world.with_map())
    assert code == 0 and "customers: 0 行 0 个密文" in stdout

    code, stdout, stderr = world.cli("drop", *world.with_map("k1"))
    assert code == 0, stderr
    ring = FileKeySource(world.key_file).load().encryption
    assert ring.kids == ("k2",)
    assert stat.S_IMODE(os.stat(world.key_file).st_mode) == 0o600

    # every value decrypts under the ring without k1
    people, others = decrypt_all(world, world.cipher())
    expected: dict[int, tuple[str, str | None]] = {
        n: (phone_of(n), id_number_of(n)) for n in range(CUSTOMERS)
    }
    expected[1] = (phone_of(1), None)  # a NULL stays NULL
    expected[2] = (phone_of(2), ERASED)
    assert people == expected
    assert others == [phone_of(1000 + n) for n in range(CONTACTS)]

    # no plaintext in the raw tables, nor in anything the commands printed
    cells = raw_cells(world)
    for n in range(CUSTOMERS):
        for secret in (phone_of(n), phone_of(n)[-8:], id_number_of(n)[:14]):
            assert not any(secret in cell for cell in cells), f"customer {n} leaks in clear"
    for n in range(CONTACTS):
        assert not any(phone_of(1000 + n) in cell for cell in cells)

    # one audit entry per dataset and run, and the drop; key ids and counts, no values
    entries = audit_actions(world)
    rewrapped = [d for a, d in entries if a == "keys.rewrapped"]
    assert [(d["dataset"], d["rows"], d["tokens"]) for d in rewrapped] == [
        ("customers", CUSTOMERS, CUSTOMERS * 2 - 2),
        ("contacts", CONTACTS, CONTACTS),
        ("customers", 0, 0),
        ("contacts", 0, 0),
    ]
    assert all(d["kid"] == "k2" and d["remaining"] == 0 for d in rewrapped)
    assert [d for a, d in entries if a == "keys.dropped"] == [
        {"kid": "k1", "datasets": ["customers", "contacts"]}
    ]


def test_w17_rewrap_resumes_after_an_interrupted_run(world: World) -> None:
    assert world.cli("init", *world.keys())[0] == 0
    old = world.cipher()
    seed(world, old, range(CUSTOMERS), range(CONTACTS))
    assert world.cli("rotate", *world.keys(), "--kid", "k7")[0] == 0
    cipher = world.cipher()

    # a run stopped after two batches of customers, mid-table
    data_map = load_data_map(world.map_file)
    target = rewrap_targets(data_map)[0]
    rewrapper = SqlRewrapper.connect(data_map.store("core"))
    try:
        first = rewrapper.batch(target, cipher, after=None, size=10)
        second = rewrapper.batch(target, cipher, after=first.last, size=10)
        assert (first.rows, second.rows, second.done) == (10, 10, False)
        # meanwhile a node still on the old key set writes more rows under k1
        seed(world, old, range(CUSTOMERS, CUSTOMERS + 3), range(CONTACTS, CONTACTS + 2))
        rows, per_column = rewrapper.count(target, "k7")
        assert rows == CUSTOMERS - 20 + 3
        assert [(c.column, c.not_tokens) for c in per_column] == [
            ("phone_enc", 0),
            ("id_number_enc", 1),
        ]
    finally:
        rewrapper.close()

    code, stdout, stderr = world.cli("rewrap", *world.with_map("--batch", "7"))
    assert code == 0, stderr
    assert f"customers: {CUSTOMERS - 20 + 3} 行" in stdout
    assert f"contacts: {CONTACTS + 2} 行" in stdout
    assert {token_key_id(t) for t in tokens(world)} == {"k7"}
    assert world.cli("drop", *world.with_map("k1"))[0] == 0
    people, others = decrypt_all(world, world.cipher())
    assert people[CUSTOMERS + 2] == (phone_of(CUSTOMERS + 2), id_number_of(CUSTOMERS + 2))
    assert len(others) == CONTACTS + 2


def test_x09_plaintext_left_in_an_encrypted_column_is_reported_never_echoed(
    world: World,
) -> None:
    assert world.cli("init", *world.keys())[0] == 0
    seed(world, world.cipher(), range(5), range(0))
    plain = "13912345678"
    with world.app_engine.begin() as conn:
        conn.execute(customers.update().where(customers.c.id == 3).values(phone_enc=plain))
    assert world.cli("rotate", *world.keys())[0] == 0
    code, stdout, stderr = world.cli("rewrap", *world.with_map())
    assert code == 0, stderr
    assert "customers.phone_enc 有 1 个非空值不是 yinsi 密文" in stderr
    assert plain not in stdout + stderr
    # a token whose key is no longer in the ring: the run stops and names where, not what
    with world.app_engine.begin() as conn:
        token = conn.scalar(sa.select(customers.c.phone_enc).where(customers.c.id == 4))
        assert isinstance(token, str)
        conn.execute(
            customers.update()
            .where(customers.c.id == 4)
            .values(phone_enc=token.replace("yv1.k2.", "yv1.k9.", 1))
        )
    code, stdout, stderr = world.cli("rewrap", *world.with_map())
    assert code == 1
    assert "column 'phone_enc' of table 'customers'" in stderr and "id=4" in stderr
    assert "'k9'" in stderr and phone_of(4) not in stderr


def test_w17_staged_rotation_then_activation(tmp_path: Path) -> None:
    key_file = str(tmp_path / "keys.json")
    assert runner.invoke(app, ["keys", "init", "--key-file", key_file]).exit_code == 0
    staged = runner.invoke(app, ["keys", "rotate", "--key-file", key_file, "--staged"])
    assert staged.exit_code == 0 and "--activate k2" in staged.stdout
    ring = FileKeySource(key_file).load().encryption
    assert ring.active.kid == "k1" and "k2" in ring
    activated = runner.invoke(app, ["keys", "rotate", "--key-file", key_file, "--activate", "k2"])
    assert activated.exit_code == 0, activated.stderr
    assert FileKeySource(key_file).load().encryption.active.kid == "k2"
    again = runner.invoke(app, ["keys", "rotate", "--key-file", key_file, "--activate", "k2"])
    assert again.exit_code == 1 and "already" in again.stderr


def test_w17_init_never_overwrites_and_rotate_refuses_a_taken_id(tmp_path: Path) -> None:
    key_file = str(tmp_path / "keys.json")
    assert runner.invoke(app, ["keys", "init", "--key-file", key_file]).exit_code == 0
    before = Path(key_file).read_bytes()
    again = runner.invoke(app, ["keys", "init", "--key-file", key_file])
    assert again.exit_code == 1 and "never overwrites" in again.stderr
    assert Path(key_file).read_bytes() == before
    for kid in ("K1", "b1"):
        taken = runner.invoke(app, ["keys", "rotate", "--key-file", key_file, "--kid", kid])
        assert taken.exit_code == 1 and "is taken" in taken.stderr
    missing = runner.invoke(app, ["keys", "rotate", "--key-file", str(tmp_path / "none.json")])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.output


def test_keys_help_tells_api_keys_from_field_encryption_keys() -> None:
    shown = runner.invoke(app, ["keys", "--help"], terminal_width=200).stdout
    assert "create|list|revoke: API keys" in shown
    assert "init|rotate|rewrap|reindex|drop: field-encryption keys" in shown


def test_encrypted_is_for_sql_columns_only() -> None:
    assert MappedField(column="phone_enc", element="mobile_number", encrypted=True).encrypted
    with pytest.raises(ValueError, match="for SQL columns"):
        MappedField(field="phone", element="mobile_number", encrypted=True)
    data_map = DataMap.model_validate(
        {
            "app": "a",
            "stores": [{"id": "s", "kind": "sql", "url": "sqlite://"}],
            "datasets": [
                {
                    "id": "d",
                    "label": "数据",
                    "store": "s",
                    "table": "t",
                    "primary_key": "id",
                    "subject": {"column": "id"},
                    "fields": [{"column": "c", "element": "mobile_number"}],
                }
            ],
        }
    )
    assert rewrap_targets(data_map) == []
