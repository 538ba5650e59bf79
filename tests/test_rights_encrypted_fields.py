"""Rights requests on an app that encrypts its PI columns (issue 15).

The app's ``users`` table holds FieldCipher tokens of the phone, ID number and name
(``encrypted: true``) and blind indexes of the phone and ID number, as the reference
lending app does. yinsi reads them with the app's field keys (``YINSI_KEY_FILE``): the
code goes to the real phone, the ID suffix is compared with the real ID number, an export
gives clear values, a correction stores a token and a fresh blind index. On SQLite and
PostgreSQL (the app's store and yinsi's database).
"""

from __future__ import annotations

import json
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import EXAMPLES
from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import Status
from yinsi.rights.verification import VerificationFailed
from yinsi.security import (
    BlindIndex,
    FieldCipher,
    FileKeySource,
    IndexKind,
    Key,
    KeyPurpose,
    KeyRing,
    KeySet,
    KeyState,
)
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.storage import create_engine, upgrade

pytest_plugins = ["storage_fixtures"]  # PostgreSQL scratch databases

BACKENDS = ["sqlite", "postgresql"]
PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"
NAME = "张三"
OTHER_PHONE = "13700137000"

DATA_MAP = """\
app: xiaoying_kadai
identities: [user_id]
stores:
  - {{id: app, kind: sql, url: "{url}"}}
datasets:
  - id: users
    label: 用户账户
    store: app
    table: users
    primary_key: id
    subject: {{column: id, identity: user_id}}
    erase: fields
    fields:
      - {{column: phone_enc, element: mobile_number, encrypted: true,
         blind_index: {{column: phone_bidx, kind: phone}}}}
      - {{column: id_number_enc, element: id_number, encrypted: true,
         blind_index: {{column: id_number_bidx, kind: id_number}}}}
      - {{column: name_enc, element: name, encrypted: true}}
"""


def _keys() -> KeySet:
    def ring(kid: str, purpose: KeyPurpose) -> KeyRing:
        return KeyRing([Key(kid, secrets.token_bytes(32), KeyState.ACTIVE)], purpose=purpose)

    return KeySet(ring("k1", KeyPurpose.ENCRYPTION), ring("b1", KeyPurpose.BLIND_INDEX))


@dataclass
class App:
    service: RightsService
    sms: CapturedSms
    store: sa.Engine
    keys: KeySet
    services: Services

    def row(self, user_id: str) -> dict[str, str]:
        with self.store.connect() as conn:
            found = conn.execute(sa.text("SELECT * FROM users WHERE id = :id"), {"id": user_id})
            return dict(found.mappings().one())


def _seed(url: str, keys: KeySet) -> sa.Engine:
    cipher, index = FieldCipher(keys.encryption), BlindIndex(keys.blind_index)
    store = sa.create_engine(url)
    columns = ("phone_enc", "phone_bidx", "id_number_enc", "id_number_bidx", "name_enc")
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE users (id VARCHAR(40) PRIMARY KEY, "
                + ", ".join(f"{c} VARCHAR(400)" for c in columns)
                + ")"
            )
        )
        for user_id, phone, id_number, name in (
            ("u1", PHONE, ID_NUMBER, NAME),
            ("u2", OTHER_PHONE, "110105194912310037", "李四"),
        ):
            conn.execute(
                sa.text("INSERT INTO users VALUES (:id, :p, :pb, :i, :ib, :n)"),
                {
                    "id": user_id,
                    "p": cipher.encrypt(phone, context="users.phone_enc"),
                    "pb": index.of(phone, kind=IndexKind.PHONE),
                    "i": cipher.encrypt(id_number, context="users.id_number_enc"),
                    "ib": index.of(id_number, kind=IndexKind.ID_NUMBER),
                    "n": cipher.encrypt(name, context="users.name_enc"),
                },
            )
    return store


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the app's store, yinsi's database) on the backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}", f"sqlite:///{tmp_path / 'yinsi.db'}"
    else:
        from storage_fixtures import postgres_database  # loaded as a plugin above

        with postgres_database() as app_url, postgres_database() as yinsi_url:
            yield app_url, yinsi_url


def _app(urls: tuple[str, str], tmp_path: Path, environ: dict[str, str]) -> Iterator[App]:
    app_url, yinsi_url = urls
    keys = _keys()
    key_file = tmp_path / "keys.json"
    FileKeySource(key_file).save(keys)
    store = _seed(app_url, keys)
    map_path = tmp_path / "datamap.yaml"
    map_path.write_text(DATA_MAP.format(url=app_url), encoding="utf-8")
    upgrade(yinsi_url)
    sms = CapturedSms()
    env = {"YINSI_HOME": str(tmp_path / "home")} | {
        k: v.format(key_file=key_file) for k, v in environ.items()
    }
    services = Services(
        create_engine(yinsi_url),
        environ=env,
        hash_key=b"encrypted-rights-erasure-key-0123",
        export_dir=tmp_path / "exports",
        sms=sms,
    )
    services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
    services.data_map = services.load_data_map(map_path)
    services.connectors = Connectors(services.data_map, environ=env)
    try:
        yield App(services.rights, sms, store, keys, services)
    finally:
        services.close()
        store.dispose()


@pytest.fixture
def app(urls: tuple[str, str], tmp_path: Path) -> Iterator[App]:
    yield from _app(urls, tmp_path, {"YINSI_KEY_FILE": "{key_file}"})


@pytest.fixture
def keyless(urls: tuple[str, str], tmp_path: Path) -> Iterator[App]:
    yield from _app(urls, tmp_path, {})


def _verified(app: App, kind: str, **kw: object) -> str:
    s = app.service
    request = s.submit("u1", kind, **kw)  # type: ignore[arg-type]
    s.send_code(request.id)
    assert s.verify(request.id, app.sms.code()).status is Status.VERIFIED
    return request.id


def test_x35_sms_verification_on_an_encrypted_phone_column(app: App) -> None:
    s = app.service
    request = s.submit("u1", "access")
    s.send_code(request.id)
    phone, text = app.sms.sent[-1]
    assert phone == PHONE  # the clear phone on file, not its token
    assert "yv1." not in text
    with pytest.raises(VerificationFailed):
        s.verify(request.id, "000000" if app.sms.code() != "000000" else "111111")
    assert s.verify(request.id, app.sms.code()).status is Status.VERIFIED


def test_x35_id_suffix_verification_on_an_encrypted_id_number_column(app: App) -> None:
    s = app.service
    request = s.submit("u1", "access")
    with pytest.raises(VerificationFailed):
        s.verify(request.id, "310037", method="id_suffix")  # another person's suffix
    ok = s.verify(request.id, ID_NUMBER[-6:].lower(), method="id_suffix")
    assert ok.status is Status.VERIFIED


def test_x35_without_field_keys_the_error_says_what_to_configure(keyless: App) -> None:
    s = keyless.service
    request = s.submit("u1", "access")
    with pytest.raises(ConnectorError, match="YINSI_KEY_FILE"):
        s.send_code(request.id)
    assert keyless.sms.sent == []


def test_x31_access_export_of_encrypted_columns_holds_the_clear_values(app: App) -> None:
    s = app.service
    rid = _verified(app, "copy")
    s.approve(rid, actor="operator")
    done = s.run(rid)
    assert done.status is Status.COMPLETED, done
    with zipfile.ZipFile(s.archive_path(rid)) as zf:
        data = json.loads(zf.read("data.json"))
    [row] = data["datasets"]["users"]
    values = {str(v) for v in row.values() if v is not None}
    assert {PHONE, ID_NUMBER, NAME} <= values
    assert not any(v.startswith("yv1.") for v in values)
    assert OTHER_PHONE not in json.dumps(data, ensure_ascii=False)
    assert app.sms.sent[-1][0] == PHONE  # the answer notice reaches the clear phone too


def test_x27_correction_of_an_encrypted_phone_stores_a_token_and_its_blind_index(
    app: App,
) -> None:
    s = app.service
    new = "13912345678"
    rid = _verified(app, "correction", corrections={"mobile_number": new})
    s.approve(rid, actor="operator")
    assert s.run(rid).status is Status.COMPLETED
    row = app.row("u1")
    assert row["phone_enc"].startswith("yv1.") and new not in row["phone_enc"]
    assert (
        FieldCipher(app.keys.encryption).decrypt(row["phone_enc"], context="users.phone_enc") == new
    )
    assert row["phone_bidx"] == BlindIndex(app.keys.blind_index).of(new, kind=IndexKind.PHONE)
    assert app.row("u2")["phone_bidx"] == BlindIndex(app.keys.blind_index).of(
        OTHER_PHONE, kind=IndexKind.PHONE
    )
    later = s.submit("u1", "access")
    s.send_code(later.id)
    assert app.sms.sent[-1][0] == new  # the corrected phone is the one on file now


def test_x28_erasure_of_encrypted_fields_empties_their_blind_indexes(app: App) -> None:
    s = app.service
    rid = _verified(app, "deletion", trigger="service_ended")
    s.approve(rid, actor="operator")
    done = s.run(rid)
    assert done.status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED), done
    row = app.row("u1")
    erased = ("phone_enc", "phone_bidx", "id_number_enc", "id_number_bidx", "name_enc")
    assert {c: row[c] for c in erased} == dict.fromkeys(erased)
    other = app.row("u2")
    assert all(other[c] for c in erased)  # nobody else's row is touched


def test_x26_incident_notices_reach_the_clear_phones_of_an_encrypted_column(app: App) -> None:
    incidents = app.services.incidents
    at = datetime(2026, 11, 1, tzinfo=UTC)
    incidents.open(
        title="账户库泄露",
        what_happened="备份文件被未授权访问。",
        occurred_at=at,
        discovered_at=at,
        datasets=["users"],
        incident_id="inc_enc",
    )
    incidents.record_notifications("inc_enc")
    assert {phone for phone, _ in app.sms.sent} == {PHONE, OTHER_PHONE}
