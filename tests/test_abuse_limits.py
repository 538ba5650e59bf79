"""Abuse limits of verification codes (issue 14, X35): resend cooldown, caps per request
and per phone per day, attempts that survive resends, and an attempt counter that
concurrent answers cannot race — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from yinsi.api import errors
from yinsi.rights.requests import RightsRequest, Status, Transition
from yinsi.rights.verification import (
    MAX_ATTEMPTS,
    CodeLimited,
    Method,
    VerificationFailed,
    sms_challenge,
)
from yinsi.services.code_limits import CodeLimits, wait_text
from yinsi.settings.limits import LimitSettings
from yinsi.storage import SqlUnitOfWork, create_engine
from yinsi.storage.ports import UnitOfWork
from yinsi.taxonomy import RightKind

pytest_plugins = ["storage_fixtures"]

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
PHONE = "18200005750"
KEY = b"k" * 32


def filed(engine: Engine, request_id: str) -> str:
    request = RightsRequest(
        id=request_id,
        app_id="xiaoying_kadai",
        subject_id="subj_0001",
        kind=RightKind.ACCESS,
        status=Status.RECEIVED,
        received_at=T0,
        history=(Transition(T0, Status.RECEIVED, "subject"),),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.requests.add(request)
        uow.commit()
    return request_id


def limits(engine: Engine, now: Callable[[], datetime] = lambda: T0, **settings: int) -> CodeLimits:
    def units(*, read_only: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only)

    return CodeLimits(units, LimitSettings(**settings), KEY, now)


def send(codes: CodeLimits, request_id: str, at: datetime, phone: str = PHONE) -> str:
    challenge, code = sms_challenge(request_id, at)
    codes.store_new(challenge, phone)
    return code


def attempts(engine: Engine, request_id: str) -> int:
    with SqlUnitOfWork(engine) as uow:
        found = uow.challenges.get(request_id, Method.SMS)
    assert found is not None
    return found.attempts


def test_x35_attempts_survive_resends(engine: Engine) -> None:
    rid = filed(engine, "req_survive")
    clock = [T0]
    codes = limits(engine, lambda: clock[0])
    send(codes, rid, T0)
    for left in (4, 3):
        with pytest.raises(VerificationFailed) as wrong:
            codes.verify(rid, "not-it", Method.SMS, lambda: "")
        assert wrong.value.remaining == left
    clock[0] = T0 + timedelta(seconds=61)
    code = send(codes, rid, clock[0])  # a new code: the budget is not reset
    assert attempts(engine, rid) == 2
    for left in (2, 1, 0):
        with pytest.raises(VerificationFailed) as wrong:
            codes.verify(rid, "not-it", Method.SMS, lambda: "")
        assert wrong.value.remaining == left
    with pytest.raises(VerificationFailed, match="验证失败次数过多") as locked:
        codes.verify(rid, code, Method.SMS, lambda: "")  # even the right code
    assert locked.value.remaining == 0
    clock[0] = T0 + timedelta(seconds=200)
    fresh = send(codes, rid, clock[0])
    with pytest.raises(VerificationFailed, match="验证失败次数过多"):
        codes.verify(rid, fresh, Method.SMS, lambda: "")
    assert attempts(engine, rid) == MAX_ATTEMPTS


def test_x35_right_code_verifies_and_old_code_after_resend_does_not(engine: Engine) -> None:
    rid = filed(engine, "req_right")
    codes = limits(engine, lambda: T0 + timedelta(seconds=70))
    old = send(codes, rid, T0)
    new = send(codes, rid, T0 + timedelta(seconds=61))
    if old != new:
        with pytest.raises(VerificationFailed, match="不正确"):
            codes.verify(rid, old, Method.SMS, lambda: "")
    assert codes.verify(rid, new, Method.SMS, lambda: "") == T0 + timedelta(seconds=70)


def test_x35_resend_cooldown_says_how_long_to_wait(engine: Engine) -> None:
    rid = filed(engine, "req_cooldown")
    codes = limits(engine)
    send(codes, rid, T0)
    with pytest.raises(CodeLimited) as soon:
        send(codes, rid, T0 + timedelta(seconds=15))
    assert soon.value.retry_after == 45
    assert str(soon.value) == "验证码发送过于频繁，请 45 秒后再试。"
    send(codes, rid, T0 + timedelta(seconds=60))  # the cooldown is over


def test_x35_twenty_resends_send_at_most_the_cap(engine: Engine) -> None:
    rid = filed(engine, "req_twenty")
    codes = limits(engine)
    sent, refused = 0, []
    for i in range(20):
        try:
            send(codes, rid, T0 + timedelta(seconds=61 * i))
            sent += 1
        except CodeLimited as exc:
            refused.append(exc)
    assert sent == 5  # codes_per_request
    assert all(e.retry_after is None and "身份证号后六位" in str(e) for e in refused)


def test_x35_per_phone_per_day_cap_over_requests(engine: Engine) -> None:
    codes = limits(engine, codes_per_phone_per_day=3, code_resend_seconds=0)
    rids = [filed(engine, f"req_phone{i}") for i in range(4)]
    for i, rid in enumerate(rids[:3]):
        send(codes, rid, T0 + timedelta(minutes=i))
    with pytest.raises(CodeLimited, match="今日") as capped:
        send(codes, rids[3], T0 + timedelta(minutes=5))
    assert capped.value.retry_after == int(timedelta(hours=13, minutes=55).total_seconds())
    send(codes, rids[3], T0 + timedelta(minutes=5), phone="13900001111")  # another phone
    send(codes, rids[3], T0 + timedelta(days=1), phone=PHONE)  # the next day
    with pytest.raises(CodeLimited):  # formatting of the number does not dodge the cap
        send(codes, rids[2], T0 + timedelta(minutes=6), phone="+86 182-0000-5750")


def test_x35_concurrent_resends_send_one_code(engine: Engine) -> None:
    rid = filed(engine, "req_burst")
    codes = limits(engine)
    outcomes: list[str] = []
    barrier = threading.Barrier(20)

    def resend() -> None:
        barrier.wait()
        try:
            send(codes, rid, T0)
            outcomes.append("sent")
        except CodeLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=resend) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("sent") == 1 and outcomes.count("limited") == 19


def test_x35_eighty_concurrent_wrong_answers_get_exactly_five_tries(postgres_url: str) -> None:
    """Threads, each on its own connection (its own engine), answering at once."""
    setup = create_engine(postgres_url)
    rid = filed(setup, "req_race")
    send(limits(setup), rid, T0)
    engines = [create_engine(postgres_url) for _ in range(80)]
    answers: list[int] = []
    barrier = threading.Barrier(80)

    def guess(engine: Engine) -> None:
        codes = limits(engine)
        with engine.connect():
            pass  # connected before the start line
        barrier.wait()
        try:
            codes.verify(rid, "not-it", Method.SMS, lambda: "")
        except VerificationFailed as exc:
            answers.append(exc.remaining)

    threads = [threading.Thread(target=guess, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(answers) == 80
        counted = sorted(r for r in answers if r > 0)
        assert counted == [1, 2, 3, 4]  # and one answer that used the last try (0 left)
        assert answers.count(0) == 76
        assert attempts(setup, rid) == MAX_ATTEMPTS
    finally:
        for e in [setup, *engines]:
            e.dispose()


def test_x35_code_limited_is_429_with_retry_after() -> None:
    app = FastAPI()
    errors.install(app)

    @app.post("/soon")
    def soon() -> None:
        raise CodeLimited("验证码发送过于频繁，请 45 秒后再试。", 5, 45)

    @app.post("/capped")
    def capped() -> None:
        raise CodeLimited("本申请的验证码发送次数已达上限", 5, None)

    client = TestClient(app)
    answer = client.post("/soon")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "45"
    assert answer.json()["detail"] == {
        "message": "验证码发送过于频繁，请 45 秒后再试。",
        "remaining": 5,
        "retry_after_s": 45,
    }
    assert client.post("/capped").status_code == 429


def test_wait_text_in_chinese() -> None:
    assert wait_text(45) == "45 秒"
    assert wait_text(61) == "2 分钟"
    assert wait_text(3600 * 13 + 55 * 60) == "13 小时 55 分钟"


def test_limit_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from yinsi.settings import load_settings

    monkeypatch.setenv("YINSI_LIMITS__CODES_PER_REQUEST", "3")
    monkeypatch.setenv("YINSI_LIMITS__REDIS_URL", "redis://127.0.0.1:6379/0")
    loaded = load_settings().limits
    assert loaded.codes_per_request == 3 and loaded.redis_url == "redis://127.0.0.1:6379/0"
