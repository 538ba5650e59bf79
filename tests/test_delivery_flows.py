"""Delivery wired into the services (issue 14, Build 1), on SQLite and PostgreSQL.

yinsi's database is each backend; the sample lending back-end is SQLite + Redis. Every
channel is a real server the test starts: the lender's SMS gateway and the app's push
webhook (local HTTP endpoints), and an SMTP server (aiosmtpd). Each test checks what
ARRIVED there and what was recorded — by masked address only, never a code.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from delivery_fixtures import Endpoint, Mailbox, running_endpoint, smtp_server
from yinsi.cli.app import app
from yinsi.connectors import Connectors
from yinsi.delivery.signing import valid
from yinsi.rights.requests import Status
from yinsi.security.masking import mask_phone
from yinsi.services.delivery import CodeNotSent
from yinsi.services.delivery_notices import Contacts
from yinsi.services.metrics import DELIVERIES
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.storage import create_engine, upgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
SECRET = "flow-test-secret-0123456789"
T0 = datetime(2025, 6, 14, 22, 0, tzinfo=UTC)


@dataclass
class Flow:
    services: Services
    stores: LendingStores
    gateway: Endpoint
    push: Endpoint
    mailbox: Mailbox
    url: str
    settings: Settings

    def user(self, profile: Profile = Profile.NO_LOAN) -> str:
        return self.stores.seeded.of(profile)[0].user_id

    def rows(self) -> list[str]:
        """Every stored delivery row, as text (to look for what must not be there)."""
        with self.services.database.connect() as conn:
            return [str(tuple(r)) for r in conn.execute(sa.text("SELECT * FROM deliveries"))]

    def code(self) -> str:
        return str(self.gateway.arrived[-1].json()["params"]["code"])


def _settings(gateway: str, push: str, smtp_port: int) -> Settings:
    return Settings(
        delivery={
            "sms": {"provider": "http", "url": gateway, "secret": SECRET},
            "push": {"provider": "webhook", "url": push, "secret": SECRET},
            "email": {
                "provider": "smtp",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "plain",
                "sender": "privacy@xiaoying.example",
            },
            "regulator_emails": ["report@cac.example"],
            "staff_emails": ["dpo@xiaoying.example"],
            "reminder_days": 15,
            "backoff_seconds": 0,
        }
    )


@pytest.fixture
def flow(empty_url: str, lending_stores_factory: LendingFactory, tmp_path: Path) -> Iterator[Flow]:
    controller, box = smtp_server()
    with (
        lending_stores_factory("sqlite", tmp_path / "lending") as stores,
        running_endpoint() as gateway,
        running_endpoint() as push,
    ):
        upgrade(empty_url)
        settings = _settings(gateway.url + "/sms", push.url + "/push", box.port)
        services = Services(
            create_engine(empty_url),
            data_map=stores.data_map,
            connectors=Connectors(stores.data_map, environ=stores.environ),
            environ=stores.environ,
            hash_key=b"flow-erasure-key-0123456789abcdef",
            export_dir=tmp_path / "exports",
            settings=settings,
        )
        services.consent.publish(DECLARATION)
        try:
            yield Flow(services, stores, gateway, push, box, empty_url, settings)
        finally:
            services.close()
            controller.stop()


def test_verification_code_arrives_signed_and_only_a_masked_record_is_kept(flow: Flow) -> None:
    rights = flow.services.rights
    uid = flow.user()
    phone = flow.stores.seeded.subject(uid).mobile_number
    before = DELIVERIES.labels("sms", "delivered")._value.get()
    request = rights.submit(uid, "access")
    rights.send_code(request.id)
    (got,) = flow.gateway.arrived
    body = got.json()
    assert body["phone"] == phone and body["purpose"] == "verification"
    assert f"验证码{flow.code()}" in body["text"]
    assert valid(
        SECRET, got.headers["X-Yinsi-Timestamp"], got.body, got.headers["X-Yinsi-Signature"]
    )
    assert rights.verify(request.id, flow.code()).status is Status.VERIFIED
    (record,) = flow.services.delivery.records(request.id)
    assert (record.channel, record.purpose, record.outcome) == ("sms", "verification", "delivered")
    assert record.address == mask_phone(phone) and record.attempts == 1
    assert record.provider_id == "gw-1" and record.subject_id == uid
    stored = "\n".join(flow.rows())
    assert phone not in stored and flow.code() not in stored
    assert DELIVERIES.labels("sms", "delivered")._value.get() == before + 1


def test_a_gateway_failing_after_the_retries_is_recorded_and_the_user_told(flow: Flow) -> None:
    flow.gateway.statuses = [503]
    rights = flow.services.rights
    request = rights.submit(flow.user(), "access")
    with pytest.raises(CodeNotSent, match="验证码发送失败"):
        rights.send_code(request.id)
    assert len(flow.gateway.arrived) == 3  # YINSI_DELIVERY__ATTEMPTS (default 3)
    (record,) = flow.services.delivery.records(request.id)
    assert record.outcome == "failed" and record.attempts == 3
    assert record.error is not None and "HTTP 503" in record.error


def test_a_refusal_is_told_to_the_subject_by_sms(flow: Flow) -> None:
    rights = flow.services.rights
    uid = flow.user()
    request = rights.submit(uid, "deletion", trigger="purpose_done")
    id_number = flow.stores.seeded.subject(uid).id_number
    rights.verify(request.id, id_number[-6:], method="id_suffix")
    refused = rights.refuse(request.id, "legal_obligation", actor="operator")
    assert refused.status is Status.REFUSED
    (got,) = flow.gateway.arrived
    body = got.json()
    assert body["purpose"] == "request_answer" and "删除" in body["text"]
    assert "未能办理" in body["text"]
    (record,) = flow.services.delivery.records(request.id)
    assert record.purpose == "request_answer" and record.outcome == "delivered"


def test_x35_a_completed_deletion_is_told_on_the_phone_it_erased(flow: Flow) -> None:
    """The deletion erases the phone on file; the answer still reaches it: the address is
    read before the erasure (in memory for the run, never stored) and the SMS says done."""
    rights = flow.services.rights
    uid = flow.user()
    phone = flow.stores.seeded.subject(uid).mobile_number
    request = rights.submit(uid, "deletion", trigger="purpose_done")
    id_number = flow.stores.seeded.subject(uid).id_number
    rights.verify(request.id, id_number[-6:], method="id_suffix")
    rights.approve(request.id, actor="operator")
    done = rights.run(request.id, actor="operator")
    assert done.status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED)
    on_file = Contacts(flow.services.data_map, flow.services.connectors).of(uid, "mobile_number")
    assert on_file != phone  # erased in the app's stores (gone, or masked / hashed)
    (got,) = flow.gateway.arrived
    body = got.json()
    assert body["purpose"] == "request_answer" and body["phone"] == phone
    (record,) = flow.services.delivery.records(request.id)
    assert record.outcome == "delivered"
    assert not [r for r in flow.rows() if phone in r]  # the address is not kept


def _open(flow: Flow) -> Any:
    return flow.services.incidents.open(
        title="借款记录泄露",
        what_happened="内部人员违规导出了借款记录。",
        occurred_at=T0,
        discovered_at=T0,
        datasets=["loans"],
        user_advice="请警惕冒充客服的来电。",
        incident_id="inc_flow",
    )


def test_x26_incident_notice_is_pushed_to_each_user_and_the_report_mailed(
    flow: Flow, tmp_path: Path
) -> None:
    incident = _open(flow)
    affected = set(flow.services.incidents.subjects("inc_flow"))
    assert affected and incident.affected_count == len(affected)
    notified, _ = flow.services.incidents.notify("inc_flow", tmp_path / "out")
    pushed = [a.json() for a in flow.push.arrived]
    assert {p["user_id"] for p in pushed} == affected  # declared channel: 推送通知
    assert all("安全事件" in p["title"] and "请警惕冒充客服的来电" in p["body"] for p in pushed)
    assert all(
        valid(SECRET, a.headers["X-Yinsi-Timestamp"], a.body, a.headers["X-Yinsi-Signature"])
        for a in flow.push.arrived
    )
    ((_, rcpt, raw),) = flow.mailbox.messages
    assert rcpt == ["report@cac.example"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert "inc_flow" in str(mail["Subject"])
    assert any(p.get_filename() == "inc_flow-report.md" for p in mail.walk())
    told = {n.audience: n for n in notified.notifications}
    assert told["users"].count == len(affected) and "regulator" in told
    records = flow.services.incidents.deliveries("inc_flow")
    assert len(records) == len(affected) + 1
    assert {r.purpose for r in records} == {"incident_notice", "regulator_report"}
    assert all(r.outcome == "delivered" for r in records)
    assert next(r for r in records if r.channel == "email").address == "r***@cac.example"


def test_x26_failed_pushes_are_recorded_counted_and_shown(
    flow: Flow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(flow)
    flow.push.statuses = [500]
    notified, _ = flow.services.incidents.notify("inc_flow", tmp_path / "out")
    users = next(n for n in notified.notifications if n.audience == "users")
    assert users.count == 0  # nobody was reached: the incident does not claim otherwise
    failed = [r for r in flow.services.incidents.deliveries("inc_flow") if r.outcome == "failed"]
    assert failed and all(r.attempts == 3 and "HTTP 500" in (r.error or "") for r in failed)
    for variable, value in flow.stores.environ.items():
        monkeypatch.setenv(variable, value)
    shown = CliRunner().invoke(
        app, ["incident", "show", "inc_flow", "--map", str(DATA_MAP), "--url", flow.url]
    )
    assert shown.exit_code == 0, shown.output
    assert "发送记录" in shown.stdout and "失败" in shown.stdout and "HTTP 500" in shown.stdout


def test_reminders_mail_the_privacy_team_the_requests_due_soon(flow: Flow) -> None:
    from yinsi.services.delivery_notices import remind_due

    past = datetime(2025, 1, 6, 10, tzinfo=UTC)  # filed long ago: overdue now
    stores = flow.stores
    with Services(
        create_engine(flow.url),
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map, environ=stores.environ),
        environ=stores.environ,
        clock=lambda: past,
        settings=flow.settings,
    ) as earlier:
        uid = flow.user()
        request = earlier.rights.submit(uid, "access")
        suffix = stores.seeded.subject(uid).id_number[-6:]
        earlier.rights.verify(request.id, suffix, method="id_suffix")  # the clock starts
    listed, records = remind_due(
        flow.services.rights, flow.services.delivery, flow.settings.delivery
    )
    assert listed == 1 and [r.outcome for r in records] == ["delivered"]
    ((_, rcpt, raw),) = flow.mailbox.messages
    assert rcpt == ["dpo@xiaoying.example"]
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body()
    assert body is not None and request.id in body.get_content()
    assert "已逾期" in body.get_content()


def _other(flow: Flow, settings: Settings) -> Services:
    """Another root on the same databases, with other delivery settings."""
    stores = flow.stores
    return Services(
        create_engine(flow.url),
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map, environ=stores.environ),
        environ=stores.environ,
        settings=settings,
    )


def test_without_sms_or_email_an_answer_is_recorded_no_channel(flow: Flow) -> None:
    only_push = Settings(
        delivery={"push": {"provider": "webhook", "url": flow.push.url, "secret": SECRET}}
    )
    uid = flow.user()
    with _other(flow, only_push) as services:
        rights = services.rights
        request = rights.submit(uid, "deletion", trigger="purpose_done")
        suffix = flow.stores.seeded.subject(uid).id_number[-6:]
        rights.verify(request.id, suffix, method="id_suffix")
        rights.refuse(request.id, "legal_obligation", actor="operator")
        (record,) = services.delivery.records(request.id)
    assert (record.channel, record.outcome, record.attempts) == ("sms", "no_channel", 0)
    assert record.error is not None and "YINSI_DELIVERY__" in record.error
    assert not flow.gateway.arrived and not flow.push.arrived  # nothing sent


def test_x26_without_a_regulator_address_the_regulator_is_not_recorded_as_told(
    flow: Flow, tmp_path: Path
) -> None:
    _open(flow)
    delivery = flow.settings.delivery.model_copy(update={"regulator_emails": []})
    with _other(flow, flow.settings.model_copy(update={"delivery": delivery})) as services:
        notified, _ = services.incidents.notify("inc_flow", tmp_path / "out")
        records = services.incidents.deliveries("inc_flow")
    assert "regulator" not in {n.audience for n in notified.notifications}
    (report,) = [r for r in records if r.purpose == "regulator_report"]
    assert report.outcome == "no_channel" and "YINSI_DELIVERY__REGULATOR_EMAILS" in (
        report.error or ""
    )
    assert not flow.mailbox.messages


def test_rights_remind_on_the_command_line(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    past = datetime(2025, 1, 6, 10, tzinfo=UTC)
    uid = flow.user()
    stores = flow.stores
    with Services(
        create_engine(flow.url),
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map, environ=stores.environ),
        environ=stores.environ,
        clock=lambda: past,
        settings=flow.settings,
    ) as earlier:
        request = earlier.rights.submit(uid, "access")
        suffix = stores.seeded.subject(uid).id_number[-6:]
        earlier.rights.verify(request.id, suffix, method="id_suffix")
    for variable, value in stores.environ.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__PROVIDER", "smtp")
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__HOST", "127.0.0.1")
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__PORT", str(flow.mailbox.port))
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__SECURITY", "plain")
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__SENDER", "privacy@xiaoying.example")
    monkeypatch.setenv("YINSI_DELIVERY__STAFF_EMAILS", '["dpo@xiaoying.example"]')
    result = CliRunner().invoke(
        app, ["rights", "remind", "--map", str(DATA_MAP), "--url", flow.url]
    )
    assert result.exit_code == 0, result.output
    assert "d***@xiaoying.example" in result.stdout and "已送达" in result.stdout
    ((_, rcpt, raw),) = flow.mailbox.messages
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body()
    assert rcpt == ["dpo@xiaoying.example"] and body is not None
    assert request.id in body.get_content()
