"""Export archives at rest (issue 14), on SQLite and PostgreSQL: 0600 files in 0700
folders whatever the umask, no staging copies left, optional AES-256 ZIP encryption,
expiry refused in Chinese, then deleted by ``yinsi rights purge-exports`` (audited)."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pyzipper
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from conftest import EXAMPLES
from yinsi.cli.app import app
from yinsi.connectors import Connectors
from yinsi.delivery.messages import DeliveryResult, Outcome, SmsMessage
from yinsi.rights.requests import Status
from yinsi.services.exports import ExportExpired, write_private
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.exports import ExportSettings
from yinsi.storage import SqlUnitOfWork

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

runner = CliRunner()


class Codes:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: SmsMessage) -> DeliveryResult:
        self.sent.append(message.text)
        return DeliveryResult(Outcome.DELIVERED, 1)

    def code(self) -> str:
        return self.sent[-1].split("验证码")[1][:6]


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    services: Services
    codes: Codes
    clock: Clock
    folder: Path
    stores: LendingStores

    def exported(self) -> str:
        """A completed access request of a borrower; its id."""
        from yinsi_demo import Profile

        rights = self.services.rights
        subject = self.stores.seeded.of(Profile("mixed"))[0].user_id
        request = rights.submit(subject, "access")
        rights.send_code(request.id)
        rights.verify(request.id, self.codes.code())
        rights.approve(request.id, actor="operator")
        assert rights.run(request.id).status is Status.COMPLETED
        return request.id


def _desk(
    engine: Engine, stores: LendingStores, tmp_path: Path, **exports: object
) -> Iterator[Desk]:
    codes, clock = Codes(), Clock()
    folder = tmp_path / "private" / "exports"
    settings = Settings(exports=ExportSettings(folder=folder, **exports))  # type: ignore[arg-type]
    services = Services(
        engine,
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map, environ=stores.environ),
        hash_key=b"exports-test-erasure-key-0123456",
        sms=codes,
        clock=clock,
        settings=settings,
        actor="rights",
    )
    services.consent.publish(EXAMPLES / "xiaoying-kadai.yaml")
    yield Desk(services, codes, clock, folder, stores)
    services.close()


@pytest.fixture
def stores(lending_stores_factory: LendingFactory, tmp_path: Path) -> Iterator[LendingStores]:
    with lending_stores_factory("sqlite", tmp_path) as made:
        yield made


@pytest.fixture
def umask_open() -> Iterator[None]:
    old = os.umask(0)  # the worst umask: without explicit modes files would be 0666
    yield
    os.umask(old)


@pytest.fixture
def desk(engine: Engine, stores: LendingStores, tmp_path: Path, umask_open: None) -> Iterator[Desk]:
    yield from _desk(engine, stores, tmp_path)


@pytest.fixture
def sealed(engine: Engine, stores: LendingStores, tmp_path: Path) -> Iterator[Desk]:
    yield from _desk(engine, stores, tmp_path, encrypt=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_archives_are_0600_in_0700_folders_and_no_staging_copy_is_left(desk: Desk) -> None:
    rid = desk.exported()
    archive = desk.folder / f"{rid}.zip"
    assert _mode(archive) == 0o600
    assert _mode(desk.folder) == 0o700
    assert sorted(p.name for p in desk.folder.iterdir()) == [archive.name], "staging left"
    assert "data.json" in zipfile.ZipFile(archive).namelist()


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="No space"):
        write_private(tmp_path / "a.zip", b"PK" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_an_encrypted_archive_opens_with_the_passphrase_shown_to_the_subject(
    sealed: Desk,
) -> None:
    rid = sealed.exported()
    export = sealed.services.exports.get(rid)
    assert export is not None and export.encrypted and export.passphrase
    data = (sealed.folder / f"{rid}.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as plain, pytest.raises(RuntimeError):
        plain.read("data.json")  # the standard library alone cannot read it
    with pyzipper.AESZipFile(io.BytesIO(data)) as zf:
        zf.setpassword(export.passphrase.encode())
        assert b'"datasets"' in zf.read("data.json")
        assert zf.read("说明.md").decode("utf-8").startswith("# ")
        zf.setpassword(b"wrong-passphrase")
        with pytest.raises(RuntimeError, match="Bad password"):
            zf.read("data.json")


def test_an_expired_archive_is_refused_then_purged_with_one_audit_entry(desk: Desk) -> None:
    rid = desk.exported()
    exports = desk.services.exports
    path, export = exports.download(rid)
    assert path.is_file() and export is not None
    assert export.expires_at - export.created_at >= timedelta(days=7)
    desk.clock.now = export.expires_at - timedelta(seconds=1)
    assert exports.download(rid)[0].is_file()  # the last second of the period
    desk.clock.now = export.expires_at
    with pytest.raises(ExportExpired, match="已超过下载期限"):
        exports.download(rid)
    done = exports.purge()
    assert done.archives == (rid,)
    assert not (desk.folder / f"{rid}.zip").exists()
    assert exports.purge().archives == ()  # once
    with SqlUnitOfWork(desk.services.database) as uow:
        deleted = [e for e in uow.audit.entries() if e.action == "rights.export_deleted"]
        stored = uow.exports.get(rid)
    assert [e.details["request_id"] for e in deleted] == [rid]
    assert stored is not None and stored.deleted_at is not None and stored.passphrase is None


def test_cli_purge_exports_deletes_what_expired(
    engine: Engine, stores: LendingStores, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for desk in _desk(engine, stores, tmp_path, retention_days=1e-9):
        rid = desk.exported()
        monkeypatch.setenv("YINSI_EXPORTS__FOLDER", str(desk.folder))
        done = runner.invoke(
            app, ["rights", "purge-exports", "--url", engine.url.render_as_string(False)]
        )
        assert done.exit_code == 0, done.output
        assert f"已删除过期副本 {rid}" in done.output
        assert not (desk.folder / f"{rid}.zip").exists()


def test_the_privacy_center_shows_the_passphrase_then_refuses_an_expired_copy(
    sealed: Desk,
) -> None:
    from fastapi.testclient import TestClient

    from yinsi.server import create_app
    from yinsi.web.privacy import entry_link

    secret = bytes(range(32))
    rid = sealed.exported()
    subject = sealed.services.rights.get(rid).subject_id
    export = sealed.services.exports.get(rid)
    assert export is not None and export.passphrase
    with TestClient(create_app(sealed.services, web_secret=secret)) as client:
        link = entry_link(secret, "http://testserver", "xiaoying_kadai", subject)
        assert client.get(link, follow_redirects=False).status_code == 303
        page = client.get(f"/privacy/requests/{rid}")
        assert export.passphrase in page.text and "AES-256" in page.text
        assert client.get(f"/privacy/requests/{rid}/archive").status_code == 200
        sealed.clock.now = export.expires_at
        gone = client.get(f"/privacy/requests/{rid}/archive")
        assert gone.status_code == 410
        assert "已超过下载期限" in gone.text and gone.headers["cache-control"] == "no-store"
        page = client.get(f"/privacy/requests/{rid}")
        assert "该副本已超过下载期限" in page.text and export.passphrase not in page.text


def test_the_api_serves_the_archive_then_answers_410_after_its_period(desk: Desk) -> None:
    from fastapi.testclient import TestClient

    from yinsi.security.api_keys import Scope
    from yinsi.server import create_app

    rid = desk.exported()
    _, secret = desk.services.api_keys.create("exports-test", [Scope.BACKEND])
    auth = {"Authorization": f"Bearer {secret}"}
    export = desk.services.exports.get(rid)
    assert export is not None
    with TestClient(create_app(desk.services, key_cache_seconds=0)) as client:
        ok = client.get(f"/v1/requests/{rid}/archive", headers=auth)
        assert ok.status_code == 200 and ok.content[:2] == b"PK"
        desk.clock.now = export.expires_at
        gone = client.get(f"/v1/requests/{rid}/archive", headers=auth)
        assert gone.status_code == 410
        assert "expired" in gone.json()["detail"]
        desk.services.exports.purge()
        assert client.get(f"/v1/requests/{rid}/archive", headers=auth).status_code == 410
