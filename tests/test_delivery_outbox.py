"""Failed deliveries are retried, not lost: the delivery outbox on SQLite and PostgreSQL.

The SMS gateway is a real HTTP server on loopback (``delivery_fixtures.Endpoint``) whose
answers the test scripts (503: down, 200: back, 400: refused); the e-mail server is
aiosmtpd, stopped and started again. Time is a clock the test moves, so the backoff
(5 min, 15 min, 1 h, 4 h, then 12 h) and the 72-hour deadline run in a moment. Each test
checks what ARRIVED at the server, the delivery records, and what the table holds: never
the phone, the e-mail address or the text in clear.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from delivery_fixtures import Arrived, Endpoint, running_endpoint, smtp_server
from yinsi.delivery import EmailMessage, Purpose, PushMessage, SmsMessage
from yinsi.services import delivery_retry
from yinsi.services.delivery_retry import BACKOFF, THEN, backoff, decode, encode
from yinsi.services.jobs import DELIVERIES_RETRY, PERIODIC, run_job
from yinsi.services.metrics import DELIVERIES, DELIVERIES_GIVEN_UP
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.jobs import JobSchedule
from yinsi.storage import create_engine, upgrade
from yinsi.storage.deliveries import DeliveryRecord
from yinsi.storage.outbox import OutboxEntry

pytest_plugins = ["storage_fixtures"]

SECRET = "outbox-test-secret-0123456789"
KEY = b"outbox-erasure-key-0123456789abcdef"
APP = "xiaoying_kadai"
PHONE = "13812345678"
TEXT = "【小赢卡贷】您提交的删除个人信息申请已办理完毕，请在App“个人信息权利”中查看答复。"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


class Clock:
    """The services' clock; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Bench:
    services: Services
    gateway: Endpoint
    clock: Clock
    url: str

    def send(self, reference: str = "req_0001", **changes: Any) -> DeliveryRecord:
        """An answer to a request by SMS (the gateway decides what becomes of it)."""
        message = SmsMessage(
            PHONE, Purpose.REQUEST_ANSWER, TEXT, {"kind": "删除", "result": "已办理"}
        )
        return self.services.delivery.send(
            APP, reference, replace(message, **changes), subject_id="subj_0001"
        )

    def retry(self, **kwargs: Any) -> dict[str, int]:
        summary: dict[str, int] = run_job(self.services, DELIVERIES_RETRY, kwargs)
        return summary

    def rows(self) -> list[dict[str, Any]]:
        with self.services.database.connect() as conn:
            found = conn.execute(sa.text("SELECT * FROM delivery_outbox ORDER BY created_at"))
            return [dict(r._mapping) for r in found]

    def only(self) -> dict[str, Any]:
        (row,) = self.rows()
        return row

    def entry(self) -> OutboxEntry:
        """The one kept message, as the store reads it (times as aware datetimes)."""
        found = self.services.outbox.get(self.only()["id"])
        assert found is not None
        return found


def settings(gateway: str, *, smtp_port: int | None = None, hours: float = 72) -> Settings:
    delivery: dict[str, Any] = {
        "sms": {"provider": "http", "url": gateway, "secret": SECRET},
        "backoff_seconds": 0,
        "timeout_seconds": 2,
    }
    if smtp_port is not None:
        delivery["email"] = {
            "provider": "smtp",
            "host": "127.0.0.1",
            "port": smtp_port,
            "security": "plain",
            "sender": "privacy@xiaoying.example",
        }
    return Settings(delivery=delivery, jobs={"delivery_retry_hours": hours})


def open_services(url: str, given: Settings, clock: Clock, key: bytes = KEY) -> Services:
    return Services(create_engine(url), environ={}, hash_key=key, settings=given, clock=clock)


@pytest.fixture
def bench(empty_url: str) -> Iterator[Bench]:
    upgrade(empty_url)
    clock = Clock(T0)
    with running_endpoint() as gateway:
        services = open_services(empty_url, settings(gateway.url + "/sms"), clock)
        try:
            yield Bench(services, gateway, clock, empty_url)
        finally:
            services.close()


def test_provider_down_keeps_the_message_encrypted_and_back_up_delivers_it_once(
    bench: Bench,
) -> None:
    bench.gateway.statuses = [503]
    first = bench.send()
    assert first.outcome == "failed" and first.attempts == 3
    row = bench.only()
    assert row["status"] == "pending" and row["tries"] == 1
    assert row["channel"] == "sms" and row["purpose"] == "request_answer"
    assert row["address"] == "138****5678" and row["reference"] == "req_0001"
    # the full phone and the text are in the table only inside the envelope token
    raw = str(row)
    assert PHONE not in raw and "小赢卡贷" not in raw and "删除" not in raw
    assert str(row["payload"]).startswith("yv1.outbox1.")
    (count,) = bench.services.outbox.pending()
    assert (count.channel, count.purpose, count.pending, count.given_up) == (
        "sms", "request_answer", 1, 0,
    )  # fmt: skip

    bench.gateway.statuses = [200]
    bench.clock.now = T0 + timedelta(minutes=4)  # not due yet: nothing is sent
    assert bench.retry() == {"delivered": 0, "later": 0, "given_up": 0}
    assert len(bench.gateway.arrived) == 3
    before = DELIVERIES.labels("sms", "delivered")._value.get()
    bench.clock.now = T0 + timedelta(minutes=5)
    assert bench.retry() == {"delivered": 1, "later": 0, "given_up": 0}
    assert DELIVERIES.labels("sms", "delivered")._value.get() == before + 1
    assert len(bench.gateway.arrived) == 4
    body = bench.gateway.arrived[-1].json()
    assert body["phone"] == PHONE and body["text"] == TEXT and body["purpose"] == "request_answer"
    assert bench.rows() == []  # delivered: the row (and the address in it) is gone
    history = bench.services.delivery.records("req_0001")
    assert [(r.outcome, r.attempts) for r in history] == [("failed", 3), ("delivered", 1)]
    assert history[1].started_at == T0 + timedelta(minutes=5)
    bench.clock.now = T0 + timedelta(days=1)
    assert bench.retry(every=True) == {"delivered": 0, "later": 0, "given_up": 0}
    assert len(bench.gateway.arrived) == 4  # sent once


def test_verification_codes_are_never_kept(bench: Bench) -> None:
    bench.gateway.statuses = [503]
    code = bench.send("req_code", purpose=Purpose.VERIFICATION, text="验证码123456", secret=True)
    assert code.outcome == "failed"
    secret = bench.send("req_secret", text="验证码654321", secret=True)  # secret, any purpose
    assert secret.outcome == "failed"
    assert bench.rows() == []
    assert bench.services.outbox.pending() == []


def test_a_refusal_is_not_kept_and_a_refusal_on_retry_gives_up(bench: Bench) -> None:
    bench.gateway.statuses = [400]
    assert bench.send("req_refused").outcome == "failed"
    assert bench.rows() == []  # no retry helps a refusal
    bench.gateway.statuses = [400, 503, 503, 503, 400]  # by arrival, the first included
    bench.send("req_later")
    bench.clock.now = T0 + timedelta(minutes=5)
    assert bench.retry() == {"delivered": 0, "later": 0, "given_up": 1}
    row = bench.only()
    assert row["status"] == "given_up" and row["payload"] is None
    assert "服务商拒收" in row["last_error"] and "HTTP 400" in row["last_error"]


def test_given_up_after_the_deadline_with_the_backoff_between_tries(bench: Bench) -> None:
    given_up = DELIVERIES_GIVEN_UP.labels("sms", "request_answer")
    before = given_up._value.get()
    bench.gateway.statuses = [503]
    bench.send()
    waits = []
    while (entry := bench.entry()).status == "pending":
        waits.append(entry.next_at - bench.clock.now)
        bench.clock.now = entry.next_at
        bench.retry()
    expected = [*BACKOFF, *[THEN] * 5, timedelta(hours=72) - sum(BACKOFF, THEN * 5)]
    assert waits[: len(BACKOFF) + 1] == [*BACKOFF, THEN]
    assert sum(waits, timedelta()) == timedelta(hours=72) == sum(expected, timedelta())
    assert bench.clock.now == T0 + timedelta(hours=72)
    row, entry = bench.only(), bench.entry()
    assert row["status"] == "given_up" and row["payload"] is None and row["claimed_by"] is None
    assert entry.finished_at == T0 + timedelta(hours=72) == entry.deadline_at
    assert entry.last_error is not None and "超过重试期限（72 小时" in entry.last_error
    history = bench.services.delivery.records("req_0001")
    assert len(history) == len(waits) + 1 == 11 and {r.outcome for r in history} == {"failed"}
    (count,) = bench.services.outbox.pending()
    assert (count.pending, count.given_up, count.oldest) == (0, 1, None)
    assert given_up._value.get() == before + 1  # yinsi_deliveries_given_up: alert on it
    bench.gateway.statuses = [200]
    bench.clock.now += timedelta(days=1)
    assert bench.retry(every=True)["delivered"] == 0  # given up is final
    assert given_up._value.get() == before + 1


def test_the_deadline_is_a_setting(empty_url: str) -> None:
    upgrade(empty_url)
    clock = Clock(T0)
    with running_endpoint() as gateway:
        gateway.statuses = [503]
        services = open_services(empty_url, settings(gateway.url, hours=1), clock)
        try:
            services.delivery.send(APP, "req_1", SmsMessage(PHONE, Purpose.REMINDER, TEXT))
            (row,) = _rows(services)
            tries = 1
            while (entry := services.outbox.get(row["id"])) and entry.status == "pending":
                clock.now = entry.next_at
                services.outbox.retry(services.delivery)
                tries += 1
        finally:
            services.close()
    # 0, +5 min, +20 min, +1 h 20 min capped at the deadline (1 h): four sends
    assert tries == 4 and clock.now == T0 + timedelta(hours=1)


def test_two_runs_at_once_send_each_message_once(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench.gateway.statuses = [503]
    for n in range(6):
        bench.send(f"req_{n}")
    assert len(bench.rows()) == 6
    bench.gateway.statuses = [503] * 18 + [200]  # the 18 failed tries above, then up
    monkeypatch.setattr(delivery_retry, "BATCH", 2)  # both runs claim batch after batch

    def slow(arrived: Arrived) -> dict[str, str]:
        time.sleep(0.1)  # a send takes a while: the runs overlap
        return {"id": f"gw-{arrived.json()['id']}"}

    bench.gateway.answer = slow
    bench.clock.now = T0 + timedelta(minutes=5)
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(bench.services.outbox.retry(bench.services.delivery).summary())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(r["delivered"] for r in results) == 6
    assert all(r["delivered"] for r in results)  # both runs took a share
    assert len(bench.gateway.arrived) == 18 + 6
    sent_to = [a.json()["id"] for a in bench.gateway.arrived[18:]]
    assert len(set(sent_to)) == 6
    assert bench.rows() == []
    for n in range(6):
        outcomes = [r.outcome for r in bench.services.delivery.records(f"req_{n}")]
        assert outcomes == ["failed", "delivered"]


def test_an_email_with_its_attachment_waits_for_the_smtp_server(empty_url: str) -> None:
    upgrade(empty_url)
    clock = Clock(T0)
    from aiosmtpd.controller import Controller

    from delivery_fixtures import _Collect

    first, box = smtp_server()
    first.stop()  # the SMTP server is down: connections are refused
    controller = Controller(_Collect(box), hostname="127.0.0.1", port=box.port)
    report = ("report.json", b'{"incident": "inc_1"}', "application/json")
    to = "report@cac.example"
    try:
        with running_endpoint() as gateway:
            given = settings(gateway.url, smtp_port=box.port)
            services = open_services(empty_url, given, clock)
            try:
                message = EmailMessage(to, Purpose.REGULATOR_REPORT, "事件报告", "见附件。", report)
                assert services.delivery.send(APP, "inc_1", message).outcome == "failed"
                (row,) = _rows(services)
                assert to not in str(row) and "见附件" not in str(row)
                assert row["address"] != to and row["channel"] == "email"
                controller.start()  # back, on the same port
                clock.now = T0 + timedelta(minutes=5)
                assert services.outbox.retry(services.delivery).delivered == 1
            finally:
                services.close()
    finally:
        if controller.loop.is_running():
            controller.stop()
    ((_, rcpt, raw),) = box.messages
    assert rcpt == [to] and b"report.json" in raw


def test_a_payload_that_does_not_decrypt_is_given_up_with_the_reason(bench: Bench) -> None:
    bench.gateway.statuses = [503]
    bench.send()
    other = open_services(bench.url, bench.services.settings, bench.clock, key=b"another-key" * 3)
    try:
        bench.clock.now = T0 + timedelta(minutes=5)
        assert other.outbox.retry(other.delivery).given_up == 1
    finally:
        other.close()
    row = bench.only()
    assert row["status"] == "given_up" and row["payload"] is None
    assert "无法解密" in row["last_error"] and "YINSI_ERASURE_KEY" in row["last_error"]
    assert len(bench.gateway.arrived) == 3  # nothing sent with it


def test_the_job_is_on_beats_schedule_every_five_minutes() -> None:
    from yinsi.workers.app import beat_schedule

    assert PERIODIC["deliveries_retry"] == DELIVERIES_RETRY
    entry = beat_schedule(JobSchedule())["deliveries_retry"]
    assert entry["task"] == DELIVERIES_RETRY
    assert entry["schedule"].minute == set(range(0, 60, 5))
    assert "deliveries_retry" not in beat_schedule(JobSchedule(deliveries_retry=""))


def test_kept_messages_round_trip_and_the_backoff() -> None:
    sms = SmsMessage(PHONE, Purpose.REQUEST_ANSWER, TEXT, {"kind": "删除"})
    mail = EmailMessage(
        "a@b.example", Purpose.REMINDER, "提醒", "正文", ("a.csv", b"\x00\x01", "text/csv")
    )
    push = PushMessage("u_1", Purpose.INCIDENT_NOTICE, "通知", "正文")
    for message in (sms, mail, push):
        assert decode(encode(message)) == message
    with pytest.raises(ValueError, match="not a kept message"):
        decode('{"purpose": "reminder"}')
    assert [backoff(n) for n in range(1, 7)] == [*BACKOFF, THEN, THEN]


def _rows(services: Services) -> list[dict[str, Any]]:
    with services.database.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM delivery_outbox"))]
