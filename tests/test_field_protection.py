"""Field protection on a real PostgreSQL database (issue 6 acceptance; X09, X25, W17).

A table with encrypted phone and ID number columns and their blind indexes gets 200 rows
through FieldCipher and BlindIndex. Then the encryption key is rotated without downtime
(new key active, old key retired, every row rewrapped in batches while an old-key writer
keeps inserting) and: every value decrypts, the raw table read with plain SQL holds no
plaintext anywhere, and blind-index lookups still find each row.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from yinsi.security.blind_index import BlindIndex, IndexKind
from yinsi.security.crypto_errors import DecryptionError, DecryptionProblem
from yinsi.security.envelope import FieldCipher, token_key_id, token_length, token_prefix
from yinsi.security.keys import FileKeySource, Key, KeyPurpose, KeyRing, KeySet, KeyState

pytest_plugins = ["storage_fixtures"]

ROWS = 200
BATCH = 32
PHONE = "customers.phone"
ID_NUMBER = "customers.id_number"

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("city", sa.String(40), nullable=False),
    sa.Column("phone_enc", sa.String(token_length(11)), nullable=False),
    sa.Column("phone_bidx", sa.String(64), nullable=False, unique=True),
    sa.Column("id_number_enc", sa.Text, nullable=False),
    sa.Column("id_number_bidx", sa.String(64), nullable=False, unique=True),
)


def phone_of(n: int) -> str:
    return f"1{3 + n % 7}8{n:08d}"


def id_number_of(n: int) -> str:
    return f"110105{1950 + n % 50}0101{n:03d}{'X' if n % 3 == 0 else n % 10}"


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A scratch PostgreSQL database (dropped afterwards) with the customers table."""
    from storage_fixtures import postgres_database  # loaded as a plugin first

    with postgres_database() as url:
        engine = sa.create_engine(url)
        metadata.create_all(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def key_file(tmp_path: Path) -> FileKeySource:
    source = FileKeySource(tmp_path / "keys.json")
    source.save(
        KeySet(
            encryption=KeyRing(
                [Key("k1", secrets.token_bytes(32), KeyState.ACTIVE)],
                purpose=KeyPurpose.ENCRYPTION,
            ),
            blind_index=KeyRing(
                [Key("b1", secrets.token_bytes(32), KeyState.ACTIVE)],
                purpose=KeyPurpose.BLIND_INDEX,
            ),
        )
    )
    return source


def insert(engine: Engine, cipher: FieldCipher, index: BlindIndex, ns: range) -> None:
    with engine.begin() as conn:
        conn.execute(
            customers.insert(),
            [
                {
                    "id": n,
                    "city": "深圳",
                    "phone_enc": cipher.encrypt(phone_of(n), context=PHONE),
                    "phone_bidx": index.of(phone_of(n), kind=IndexKind.PHONE),
                    "id_number_enc": cipher.encrypt(id_number_of(n), context=ID_NUMBER),
                    "id_number_bidx": index.of(id_number_of(n), kind=IndexKind.ID_NUMBER),
                }
                for n in ns
            ],
        )


def rewrap_batch(engine: Engine, cipher: FieldCipher) -> int:
    """One batch of the rotation job: rows with a token not under the active key."""
    prefix = token_prefix(cipher.active_kid)
    stale = sa.or_(
        sa.not_(customers.c.phone_enc.startswith(prefix, autoescape=True)),
        sa.not_(customers.c.id_number_enc.startswith(prefix, autoescape=True)),
    )
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.phone_enc, customers.c.id_number_enc)
            .where(stale)
            .order_by(customers.c.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            # compare-and-swap: a value rewritten meanwhile by the application is kept
            done = conn.execute(
                customers.update()
                .where(customers.c.id == row.id, customers.c.phone_enc == row.phone_enc)
                .values(
                    phone_enc=cipher.rewrap(row.phone_enc),
                    id_number_enc=cipher.rewrap(row.id_number_enc),
                )
            )
            assert done.rowcount == 1
    return len(rows)


def decrypt_all(engine: Engine, cipher: FieldCipher) -> dict[int, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(customers).order_by(customers.c.id)).all()
    return {
        row.id: (
            cipher.decrypt(row.phone_enc, context=PHONE),
            cipher.decrypt(row.id_number_enc, context=ID_NUMBER),
        )
        for row in rows
    }


def raw_cells(engine: Engine) -> list[str]:
    """Every column of every row as PostgreSQL prints it, plus each whole row."""
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT c.*, c::text AS whole_row FROM customers AS c"))
        return [str(cell) for row in result for cell in row]


def lookup(engine: Engine, index: BlindIndex, kind: IndexKind, value: str) -> list[int]:
    """Ids of the rows whose blind index matches ``value`` under any key of the ring."""
    column = customers.c.phone_bidx if kind is IndexKind.PHONE else customers.c.id_number_bidx
    with engine.connect() as conn:
        return list(
            conn.scalars(
                sa.select(customers.c.id).where(column.in_(index.candidates(value, kind=kind)))
            )
        )


def test_x25_w17_rotation_every_value_decrypts_no_plaintext_lookups_work(
    pg_engine: Engine, key_file: FileKeySource
) -> None:
    keys = key_file.load()
    old_cipher, index = FieldCipher(keys.encryption), BlindIndex(keys.blind_index)
    insert(pg_engine, old_cipher, index, range(ROWS))

    # rotate: the new key becomes active, the old one retired; every node reloads
    key_file.save(keys.rotate_encryption("k2", secrets.token_bytes(32)))
    rotated = key_file.load()
    assert rotated.encryption.active.kid == "k2"
    assert rotated.encryption.get("k1").state is KeyState.RETIRED
    cipher = FieldCipher(rotated.encryption)

    batches = 0
    while rewrap_batch(pg_engine, cipher):
        batches += 1
        if batches == 1:
            # no downtime: mid-rotation every value decrypts, old and new tokens side by side
            assert len(decrypt_all(pg_engine, cipher)) == ROWS
            # a node that has not reloaded yet still writes under k1; the job catches up
            insert(pg_engine, old_cipher, index, range(ROWS, ROWS + 5))
    assert batches == -(-(ROWS + 5) // BATCH)

    with pg_engine.connect() as conn:
        tokens = conn.execute(sa.select(customers.c.phone_enc, customers.c.id_number_enc)).all()
    assert {token_key_id(t) for row in tokens for t in row} == {"k2"}

    # the retired key can go once no token names it
    key_file.save(rotated.drop_encryption("k1"))
    final = FieldCipher(key_file.load().encryption)
    assert decrypt_all(pg_engine, final) == {
        n: (phone_of(n), id_number_of(n)) for n in range(ROWS + 5)
    }

    # no plaintext reaches the database: scan every column of every row
    cells = raw_cells(pg_engine)
    assert len(cells) == (ROWS + 5) * 7
    assert {t for row in tokens for t in row} <= set(cells)  # the scan sees the stored tokens
    for n in range(ROWS + 5):
        for secret in (phone_of(n), phone_of(n)[-8:], id_number_of(n), id_number_of(n)[:14]):
            assert not any(secret in cell for cell in cells), f"row {n} leaks in clear"

    # blind-index lookups still find each row, however the value is typed
    for n in (0, 42, 199, 203):
        phone = phone_of(n)
        typed = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        assert lookup(pg_engine, index, IndexKind.PHONE, typed) == [n]
        assert lookup(pg_engine, index, IndexKind.ID_NUMBER, id_number_of(n).lower()) == [n]
    assert lookup(pg_engine, index, IndexKind.PHONE, "13900000000") == []


def test_x09_a_value_copied_to_another_column_does_not_decrypt(
    pg_engine: Engine, key_file: FileKeySource
) -> None:
    keys = key_file.load()
    cipher = FieldCipher(keys.encryption)
    insert(pg_engine, cipher, BlindIndex(keys.blind_index), range(3))
    with pg_engine.begin() as conn:
        conn.execute(sa.text("UPDATE customers SET id_number_enc = phone_enc WHERE id = 1"))
    with pg_engine.connect() as conn:
        moved = conn.scalar(sa.text("SELECT id_number_enc FROM customers WHERE id = 1"))
    assert isinstance(moved, str)
    assert cipher.decrypt(moved, context=PHONE) == phone_of(1)
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(moved, context=ID_NUMBER)
    assert caught.value.problem is DecryptionProblem.AUTHENTICATION
    assert caught.value.context == ID_NUMBER and phone_of(1) not in str(caught.value)


def test_w17_blind_index_rotation_by_recomputation(
    pg_engine: Engine, key_file: FileKeySource
) -> None:
    keys = key_file.load()
    cipher = FieldCipher(keys.encryption)
    insert(pg_engine, cipher, BlindIndex(keys.blind_index), range(50))
    index = BlindIndex(keys.rotate_blind_index("b2", secrets.token_bytes(32)).blind_index)

    def recompute(ids: range) -> None:
        with pg_engine.begin() as conn:
            for row in conn.execute(sa.select(customers).where(customers.c.id.in_(list(ids)))):
                conn.execute(
                    customers.update()
                    .where(customers.c.id == row.id)
                    .values(
                        phone_bidx=index.of(
                            cipher.decrypt(row.phone_enc, context=PHONE), kind=IndexKind.PHONE
                        ),
                        id_number_bidx=index.of(
                            cipher.decrypt(row.id_number_enc, context=ID_NUMBER),
                            kind=IndexKind.ID_NUMBER,
                        ),
                    )
                )

    recompute(range(25))  # half done: lookups find old and new indexes alike
    for n in (3, 30):
        assert lookup(pg_engine, index, IndexKind.PHONE, phone_of(n)) == [n]
    recompute(range(25, 50))
    with pg_engine.connect() as conn:
        stored = conn.scalars(sa.select(customers.c.phone_bidx)).all()
    assert not any(index.needs_recompute(s) for s in stored)
    only_b2 = BlindIndex(index.ring.drop("b1"))
    for n in (3, 30, 49):
        assert lookup(pg_engine, only_b2, IndexKind.PHONE, phone_of(n)) == [n]
