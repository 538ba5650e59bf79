"""The delivery outbox in the flows: a rights request's answer survives an SMS gateway
outage (X35), the ``yinsi deliveries`` commands, and migration 0013 up and down on
SQLite, PostgreSQL and MariaDB.

The lending back-end is the sample (SQLite); the SMS gateway a real HTTP server on
loopback, down (503) and then back (200).
"""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from delivery_fixtures import running_endpoint
from yinsi.cli.app import app
from yinsi.connectors import Connectors
from yinsi.delivery import Purpose, SmsMessage
from yinsi.rights.requests import Status
from yinsi.services.jobs import DELIVERIES_RETRY
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine, current_revision, upgrade
from yinsi.storage.migrate import MIGRATIONS, downgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory

pytest_plugins = ["sample_fixtures", "services"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
SECRET = "outbox-flow-secret-0123456789"
KEY = b"outbox-flow-erasure-key-0123456789"
T0 = datetime(2025, 6, 16, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _sms(gateway: str) -> Settings:
    return Settings(
        delivery={
            "sms": {"provider": "http", "url": gateway, "secret": SECRET},
            "backoff_seconds": 0,
        }
    )


def test_x35_an_answer_sent_while_the_gateway_is_down_reaches_the_subject_later(
    empty_url: str, lending_stores_factory: LendingFactory, tmp_path: Path
) -> None:
    """X35: the answer to a request must reach the subject. The gateway is down when the
    request is refused; the answer is kept (encrypted) and the retry job delivers it to
    the phone on file once the gateway is back, with both tries in the request's record."""
    clock = Clock(T0)
    upgrade(empty_url)
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores, running_endpoint() as gw:
        gw.statuses = [503]
        services = Services(
            create_engine(empty_url),
            data_map=stores.data_map,
            connectors=Connectors(stores.data_map, environ=stores.environ),
            environ=stores.environ,
            hash_key=KEY,
            export_dir=tmp_path / "exports",
            settings=_sms(gw.url + "/sms"),
            clock=clock,
        )
        try:
            services.consent.publish(DECLARATION)
            uid = stores.seeded.of(Profile.NO_LOAN)[0].user_id
            subject = stores.seeded.subject(uid)
            rights = services.rights
            request = rights.submit(uid, "deletion", trigger="purpose_done")
            rights.verify(request.id, subject.id_number[-6:], method="id_suffix")
            assert rights.refuse(request.id, "legal_obligation", actor="operator").status is (
                Status.REFUSED
            )
            (failed,) = services.delivery.records(request.id)
            assert failed.outcome == "failed" and failed.purpose == "request_answer"
            with services.database.connect() as conn:
                rows = [
                    str(tuple(r)) for r in conn.execute(sa.text("SELECT * FROM delivery_outbox"))
                ]
            assert len(rows) == 1 and subject.mobile_number not in rows[0]
            assert "未能办理" not in rows[0]

            gw.statuses = [200]
            clock.now = T0 + timedelta(minutes=5)
            services.jobs.enqueue(DELIVERIES_RETRY)  # in-process: runs now
            assert services.jobs.last == {"delivered": 1, "later": 0, "given_up": 0}
            body = gw.arrived[-1].json()
            assert body["phone"] == subject.mobile_number and body["purpose"] == "request_answer"
            assert "未能办理" in body["text"]
            history = services.delivery.records(request.id)
            assert [r.outcome for r in history] == ["failed", "delivered"]
            services.jobs.enqueue(DELIVERIES_RETRY, every=True)
            assert sum(1 for a in gw.arrived if a.json()["phone"] == subject.mobile_number) == 4
        finally:
            services.close()


@pytest.fixture
def kept(empty_url: str) -> Iterator[tuple[str, str]]:
    """A database with one answer kept while the gateway was down, and the gateway's URL
    (up again by the time the test runs the command)."""
    upgrade(empty_url)
    with running_endpoint() as gw:
        gw.statuses = [503]
        services = Services(
            create_engine(empty_url), environ={}, hash_key=KEY, settings=_sms(gw.url + "/sms")
        )
        try:
            message = SmsMessage("13912345678", Purpose.REQUEST_ANSWER, "【小赢卡贷】答复已出。")
            services.delivery.send("xiaoying_kadai", "req_cli", message)
        finally:
            services.close()
        gw.statuses = [503, 503, 503, 200]
        yield empty_url, gw.url + "/sms"


def test_deliveries_commands_show_counts_only_and_retry_now(
    kept: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, gateway = kept
    monkeypatch.setenv("YINSI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YINSI_ERASURE_KEY", base64.b64encode(KEY).decode())
    monkeypatch.setenv("YINSI_DELIVERY__SMS__PROVIDER", "http")
    monkeypatch.setenv("YINSI_DELIVERY__SMS__URL", gateway)
    monkeypatch.setenv("YINSI_DELIVERY__SMS__SECRET", SECRET)
    runner = CliRunner()
    shown = runner.invoke(app, ["deliveries", "pending", "--url", url])
    assert shown.exit_code == 0, shown.output
    assert "短信·请求答复：待重发 1 条，已放弃 0 条，最早一条已等待" in shown.stdout
    assert "13912345678" not in shown.stdout and "138" not in shown.stdout
    due = runner.invoke(app, ["deliveries", "retry", "--url", url])  # not due for 5 minutes
    assert due.exit_code == 0, due.output
    assert "已送达 0 条" in due.stdout
    now = runner.invoke(app, ["deliveries", "retry", "--now", "--url", url])
    assert now.exit_code == 0, now.output
    assert "已送达 1 条，稍后重试 0 条，已放弃 0 条" in now.stdout
    empty = runner.invoke(app, ["deliveries", "pending", "--url", url])
    assert "没有待重发的消息" in empty.stdout


# ------------------------------------------------------------------ migration 0013


def test_migration_0013_up_and_down(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == "0013"
        assert sa.inspect(engine).has_table("delivery_outbox")
        downgrade(engine, "0012")
        assert current_revision(engine) == "0012"
        assert not sa.inspect(engine).has_table("delivery_outbox")
        upgrade(engine)
        columns = {c["name"] for c in sa.inspect(engine).get_columns("delivery_outbox")}
        assert {"payload", "address", "next_at", "deadline_at", "claimed_until"} <= columns
    finally:
        engine.dispose()


def test_migration_0013_operations_run_on_mariadb(mariadb_url: str) -> None:
    """yinsi's own database runs on SQLite and PostgreSQL; the 0013 operations alone are
    plain DDL that MariaDB takes too (up, then down)."""
    path = next(Path(MIGRATIONS, "versions").glob("0013_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = sa.create_engine(mariadb_url)
    try:
        with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("delivery_outbox")}
        assert "ix_delivery_outbox_due" in indexes
        with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            module.downgrade()
        assert not sa.inspect(engine).has_table("delivery_outbox")
    finally:
        engine.dispose()
