"""Fixtures of the reference lending app's tests (examples/lending_app): the app on a fresh
database (SQLite and PostgreSQL) with yinsi embedded beside it, driven through the app's
own HTTP API; yinsi's ledgers are read back with a second ``Services`` on yinsi's database.

Test modules load this file with ``pytest_plugins = ["test_lending_app_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from lending_app import create_app
from lending_app.settings import EXAMPLES, AppSettings
from lending_app.sms import Outbox

from yinsi.services.root import Services

APP = "xiaoying_kadai"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, serial: str = "123") -> str:
    """A valid GB 11643 ID number (made up) of someone born on ``birth``."""
    first = f"110101{birth:%Y%m%d}{serial}"
    total = sum(int(d) * w for d, w in zip(first, _WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


ADULT_ID = id_number(date(1990, 5, 17))
PHONE = "13800138000"
PASSWORD = "correct-horse-1"

CREDIT_CONSENTS = ("id_images", "face_recognition", "financial_info", "address_info")
FORM: dict[str, Any] = {
    "name": "张伟",
    "id_number": ADULT_ID,
    "id_photo_ref": "oss://idcards/u1-front.jpg",
    "face_ref": "oss://faces/u1-live.bin",
    "monthly_income": "12000",
    "residence_city": "北京市",
    "address": "北京市东城区东华门街道1号",
    "card_number": "6222020200112233445",
    "bank_name": "工商银行",
    "reserved_mobile": PHONE,
    "contacts": [{"name": "张强", "phone": "13900001111", "relation": "父亲"}],
}


@dataclass
class Lending:
    client: TestClient
    db: sa.Engine
    yinsi: Services
    outbox: Outbox

    def register(self, phone: str = PHONE, number: str = ADULT_ID, **extra: Any) -> dict[str, str]:
        body = {"phone": phone, "id_number": number, "password": PASSWORD, "accept_policy": True}
        body |= {"consents": ["id_number"]} | extra
        answer = self.client.post("/api/register", json=body)
        assert answer.status_code == 201, answer.text
        data: dict[str, str] = answer.json()
        return data

    def consenting(self, *consents: str) -> dict[str, str]:
        """A registered user who then granted ``consents`` through the app's API."""
        user = self.register()
        for consent in consents:
            answer = self.client.post(f"/api/consents/{consent}", headers=auth(user["token"]))
            assert answer.status_code == 204, answer.text
        return user

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(params=["sqlite", "postgresql", "shared"])
def lending(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lending]:
    """The app on SQLite or PostgreSQL with yinsi on a SQLite file of its own, or
    (``shared``) yinsi embedded in the app's own SQLite file, where provisions are written in
    the app's transactions (``Privacy.writing``)."""
    if request.param in ("sqlite", "shared"):
        url = f"sqlite:///{tmp_path / 'lending.db'}"
        with _lending(tmp_path, url, yinsi_url=url if request.param == "shared" else None) as found:
            yield found
    else:
        from storage_fixtures import postgres_database  # imported late: see pytest_plugins

        with postgres_database() as url, _lending(tmp_path, url) as found:
            yield found


class _lending:
    def __init__(self, folder: Path, url: str, *, yinsi_url: str | None = None) -> None:
        yinsi_url = yinsi_url or f"sqlite:///{folder / 'yinsi.db'}"
        self.settings = AppSettings(
            database_url=url,
            keys_file=folder / "keys.json",
            declaration=EXAMPLES / "declarations" / "xiaoying-kadai.yaml",
            yinsi_database_url=yinsi_url,
        )
        self.yinsi_url = yinsi_url

    def __enter__(self) -> Lending:
        outbox = Outbox()
        self.client = TestClient(create_app(self.settings, sms=outbox)).__enter__()
        self.yinsi = Services.open(self.yinsi_url)
        self.db = sa.create_engine(self.settings.database_url)
        return Lending(self.client, self.db, self.yinsi, outbox)

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(None, None, None)
        self.yinsi.close()
        self.db.dispose()


def vet_sources(yinsi_url: str) -> None:
    """X18: register the app's data providers in yinsi's source register the way a platform
    team does, with ``yinsi sources add`` (:mod:`lending_app.vetted_sources`)."""
    from lending_app.vetted_sources import arguments
    from typer.testing import CliRunner

    from yinsi.cli.app import app as yinsi_cli

    for args in arguments("测试合规部"):
        done = CliRunner().invoke(yinsi_cli, [*args, "--url", yinsi_url])
        assert done.exit_code == 0, done.output
