"""Console login throttling and the password policy (issue 14, X25): per name+address and
per address, never a lock-out of the account itself; unknown names answered like wrong
passwords; common passwords refused — on SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from yinsi.cli.app import app as cli
from yinsi.security.passwords import WeakPassword, check_strength, common_passwords
from yinsi.services.staff import LoginRefused, StaffService
from yinsi.settings.limits import LimitSettings
from yinsi.storage import SqlUnitOfWork, upgrade
from yinsi.storage.ports import UnitOfWork

pytest_plugins = ["storage_fixtures"]

PASSWORD = "violet kettle under rain"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def staff(engine: Engine, clock: list[datetime] | None = None) -> StaffService:
    now = clock or [T0]

    def units(*, read_only: bool = False) -> UnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only)

    return StaffService(units, clock=lambda: now[0], limits=LimitSettings())


def refused(service: StaffService, name: str, password: str, client: str) -> LoginRefused:
    with pytest.raises(LoginRefused) as caught:
        service.login(name, password, client=client)
    return caught.value


def test_x25_an_attacker_cannot_lock_admin_out(engine: Engine) -> None:
    service = staff(engine)
    service.add("admin", "admin", PASSWORD)
    answers = [refused(service, "admin", f"guess number {i}", "203.0.113.9") for i in range(12)]
    assert [a.status_code for a in answers] == [401] * 4 + [429] * 8
    assert answers[4].retry_after == 900 and "15 分钟" in str(answers[4])
    assert refused(service, "admin", PASSWORD, "203.0.113.9").status_code == 429
    signed = service.login("admin", PASSWORD, client="198.51.100.7")  # another address
    assert signed.user.username == "admin"
    with SqlUnitOfWork(engine) as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions.count("staff.login_throttled") == 1  # once, when the pair is blocked


def test_x25_an_address_failing_on_many_names_waits(engine: Engine) -> None:
    service = staff(engine)
    service.add("operator", "operator", PASSWORD)
    codes = [
        refused(service, f"name{i % 7}", "wrong password here", "192.0.2.1").status_code
        for i in range(20)
    ]
    assert codes[-1] == 429 and codes[:4] == [401] * 4
    blocked = refused(service, "operator", PASSWORD, "192.0.2.1")
    assert blocked.status_code == 429 and blocked.retry_after is not None
    assert service.login("operator", PASSWORD, client="192.0.2.2").user.username == "operator"


def test_x25_the_window_ends_and_a_success_starts_over(engine: Engine) -> None:
    clock = [T0]
    service = staff(engine, clock)
    service.add("auditor", "auditor", PASSWORD)
    for i in range(4):
        assert refused(service, "auditor", f"wrong {i} wrong", "10.0.0.1").status_code == 401
    service.login("auditor", PASSWORD, client="10.0.0.1")  # clears this name+address
    for i in range(4):
        assert refused(service, "auditor", f"wrong {i} wrong", "10.0.0.1").status_code == 401
    assert refused(service, "auditor", "wrong again", "10.0.0.1").status_code == 429
    clock[0] = T0 + timedelta(minutes=16)
    assert service.login("auditor", PASSWORD, client="10.0.0.1").user.username == "auditor"


def test_x25_unknown_names_are_answered_like_wrong_passwords(engine: Engine) -> None:
    service = staff(engine)
    service.add("operator", "operator", PASSWORD)
    known = [refused(service, "operator", f"wrong pass {i}", "10.1.1.1") for i in range(5)]
    unknown = [refused(service, "nobody", f"wrong pass {i}", "10.1.1.2") for i in range(5)]
    assert [(str(a), a.status_code) for a in known] == [(str(a), a.status_code) for a in unknown]
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(6):
        for kind, name in (("known", "operator"), ("unknown", "nobody")):
            started = time.perf_counter()
            refused(service, name, "a wrong password", f"10.2.{i}.{len(kind)}")
            timings[kind].append(time.perf_counter() - started)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.6 < ratio < 1.6, timings  # both verify one Argon2id hash


def test_x25_password_policy() -> None:
    assert len(common_passwords()) > 10000
    for weak, name in [
        ("password1234", ""),
        ("qwertyuiop123", ""),
        ("Iloveyou2024!", ""),
        ("short", ""),
        ("aaaaaaaaaaaaaa", ""),
        ("li.lei-secret-99", "li.lei"),
    ]:
        with pytest.raises(WeakPassword):
            check_strength(weak, name)
    check_strength(PASSWORD, "li.lei")
    check_strength("correct horse battery staple", "admin")


def test_x25_staff_add_refuses_common_passwords(engine: Engine, tmp_path: Path) -> None:
    service = staff(engine)
    with pytest.raises(WeakPassword, match="常见密码"):
        service.add("han.meimei", "operator", "password1234")
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    args = ["staff", "add", "li.lei", "--role", "admin", "--password-stdin", "--url", url]
    answer = CliRunner().invoke(cli, args, input="password1234\n")
    assert answer.exit_code == 1 and "常见密码" in answer.output
    answer = CliRunner().invoke(cli, args, input="li.lei.password.x\n")
    assert answer.exit_code == 1 and "用户名" in answer.output
