"""``yinsi rights`` on the all-SQLite sample: the customer-service desk end to end (W14, X35).

yinsi's database and the sample's ``core`` and ``risk`` stores are SQLite files in
``tmp_path``; ``cache`` is the machine's Redis under a fresh key prefix. The SMS code is
read where it arrives: a local SMS gateway (``YINSI_DELIVERY__SMS__PROVIDER=http``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from delivery_fixtures import CapturedSms, Endpoint, running_endpoint
from yinsi.cli.app import app
from yinsi.rights.requests import Status
from yinsi.services.consent import Engine
from yinsi.services.root import Services
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi_demo import Profile

if TYPE_CHECKING:
    from sample_fixtures import LendingFactory, LendingStores

pytest_plugins = ["sample_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
DATA_MAP = ROOT / "examples" / "datamaps" / "xiaoying-kadai.yaml"
CODE = re.compile(r"验证码(\d{6})")

runner = CliRunner()


def prefixed_data_map(folder: Path, prefix: str) -> Path:
    """The sample's data map file with the test's Redis prefix before each key pattern."""
    text = DATA_MAP.read_text(encoding="utf-8")
    assert text.count('key: "') == 3  # sessions, locations, sms_codes
    path = folder / "datamap.yaml"
    path.write_text(text.replace('key: "', f'key: "{prefix}'), encoding="utf-8")
    return path


@dataclass
class Desk:
    """The command line of a customer-service agent, on the seeded sample."""

    url: str
    data_map: Path
    stores: LendingStores
    gateway: Endpoint

    def __call__(self, *args: str) -> Result:
        return runner.invoke(app, ["rights", *args, "--map", str(self.data_map), "--url", self.url])

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result

    def submit(self, *args: str) -> str:
        return self.ok("submit", *args).stdout.strip()

    def code(self) -> str:
        """The code of the last SMS that arrived at the gateway."""
        text = self.gateway.arrived[-1].json()["text"]
        found = CODE.search(text)
        assert found, text
        return found.group(1)

    def verified(self, request_id: str) -> None:
        self.ok("send-code", request_id)
        self.ok("verify", request_id, self.code())

    def user(self, profile: Profile) -> str:
        return self.stores.seeded.of(profile)[0].user_id

    def status(self, request_id: str) -> Status:
        engine = create_engine(self.url)
        try:
            with SqlUnitOfWork(engine) as uow:
                return uow.requests.get(request_id).status
        finally:
            engine.dispose()


@pytest.fixture
def desk(
    lending_stores_factory: LendingFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:
    with lending_stores_factory("sqlite", tmp_path / "lending") as stores, running_endpoint() as gw:
        monkeypatch.setenv("YINSI_DELIVERY__SMS__PROVIDER", "http")
        monkeypatch.setenv("YINSI_DELIVERY__SMS__URL", gw.url)
        monkeypatch.setenv("YINSI_DELIVERY__SMS__SECRET", "cli-test-gateway-secret")
        for variable, value in stores.environ.items():
            monkeypatch.setenv(variable, value)
        monkeypatch.setenv("YINSI_HOME", str(tmp_path / "home"))
        monkeypatch.delenv("YINSI_DATA_MAP", raising=False)
        url = f"sqlite:///{tmp_path / 'yinsi.db'}"
        upgrade(url)
        with Engine(url, actor="test") as engine:
            engine.publish(DECLARATION)
        yield Desk(url, prefixed_data_map(tmp_path, stores.redis_prefix), stores, gw)


def test_x35_access_submit_verify_approve_run_completed(desk: Desk, tmp_path: Path) -> None:
    uid = desk.user(Profile.NO_LOAN)
    request_id = desk.submit(uid, "access")
    assert request_id.startswith("req_")
    assert desk.status(request_id) is Status.RECEIVED
    desk.verified(request_id)
    assert desk.status(request_id) is Status.VERIFIED
    desk.ok("approve", request_id)
    run = desk.ok("run", request_id)
    assert Status.COMPLETED.label in run.stdout and "✓" in run.stdout
    shown = desk.ok("status", request_id).stdout
    for label in (Status.VERIFIED, Status.APPROVED, Status.EXECUTING, Status.COMPLETED):
        assert label.label in shown
    assert "截止日期" in shown and "执行步骤" in shown and "导出" in shown
    archive = tmp_path / "home" / "exports" / f"{request_id}.zip"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as z:
        names = z.namelist()
        data = json.loads(z.read("data.json"))
    assert "说明.md" in names and "data.json" in names
    subject = desk.stores.seeded.subject(uid)
    assert subject.mobile_number in json.dumps(data, ensure_ascii=False)


def test_w14_deletion_via_customer_service(desk: Desk) -> None:
    """W14: deletion is filed at customer service (the command line is that channel)."""
    uid = desk.user(Profile.NO_LOAN)
    subject = desk.stores.seeded.subject(uid)
    request_id = desk.submit(uid, "deletion", "--trigger", "consent_withdrawn")
    desk.verified(request_id)
    desk.ok("approve", request_id)
    ran = desk.ok("run", request_id).stdout
    assert "按主体" in ran  # erased by predicate: the step lists no keys, it names the subject
    assert desk.status(request_id) is Status.COMPLETED
    shown = desk.ok("status", request_id).stdout
    assert "customer_service" in shown and "已删除或匿名化处理" in shown
    left = desk.stores.snapshot()
    erasable = desk.stores.seeded.erasable_cells(uid)
    assert erasable and not [c for c, v in erasable.items() if left.get(c) == v]
    assert subject.id_number not in {str(v) for v in left.values()}


def test_w14_cancellation_via_customer_service(desk: Desk) -> None:
    """W14, W16: an account without debt is cancelled at customer service."""
    uid = desk.user(Profile.NO_LOAN)
    request_id = desk.submit(uid, "cancel_account")
    desk.verified(request_id)
    desk.ok("approve", request_id)
    run = desk.ok("run", request_id)
    assert desk.status(request_id) is Status.COMPLETED
    assert "注销" in run.stdout


def test_x35_refusal_on_an_undeclared_ground_is_a_clear_error(desk: Desk) -> None:
    request_id = desk.submit(desk.user(Profile.NO_LOAN), "access")
    result = desk("refuse", request_id, "too_busy")
    assert result.exit_code == 1
    assert "declared ground" in result.stderr and "trade_secret" in result.stderr
    assert "Traceback" not in result.output
    assert desk.status(request_id) is Status.RECEIVED


def test_x35_refusal_on_a_declared_ground_tells_how_to_complain(desk: Desk) -> None:
    request_id = desk.submit(desk.user(Profile.NO_LOAN), "access")
    refused = desk.ok("refuse", request_id, "abuse_of_rights", "--note", "重复申请")
    assert Status.REFUSED.label in refused.stdout and "投诉" in refused.stdout
    assert desk.status(request_id) is Status.REFUSED


def test_x35_five_wrong_codes_lock_the_code(desk: Desk) -> None:
    request_id = desk.submit(desk.user(Profile.NO_LOAN), "access")
    desk.ok("send-code", request_id)
    code = desk.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        result = desk("verify", request_id, wrong)
        assert result.exit_code == 1 and f"还可尝试{left}次" in result.stderr
    assert "重新提交申请" in desk("verify", request_id, wrong).stderr
    locked = desk("verify", request_id, code)  # the right code no longer helps
    assert locked.exit_code == 1 and "重新提交申请" in locked.stderr
    assert code not in locked.output
    assert desk.status(request_id) is Status.RECEIVED
    resent = desk("send-code", request_id)  # attempts survive resends (issue 14)
    assert resent.exit_code == 1 and "后再试" in resent.stderr
    suffix = desk.stores.seeded.subject(desk.user(Profile.NO_LOAN)).id_number[-6:]
    desk.ok("verify", request_id, suffix, "--method", "id_suffix")  # the other method
    assert desk.status(request_id) is Status.VERIFIED


def test_x27_correction_values_are_never_printed(desk: Desk) -> None:
    uid = desk.user(Profile.NO_LOAN)
    request_id = desk.submit(uid, "correction", "--correct", "address=上海市浦东新区世纪大道100号")
    result = desk("status", request_id)
    assert "address" in result.stdout and "世纪大道" not in result.output
    bad = desk("submit", uid, "correction", "--correct", "mobile_number=1380013800X")
    assert bad.exit_code == 1 and "1380013800X" not in bad.output


def test_list_sorted_by_due_date_with_status_filter(desk: Desk) -> None:
    first = desk.submit(desk.user(Profile.NO_LOAN), "access")
    second = desk.submit(desk.user(Profile.MIXED), "access")
    desk.verified(second)
    listed = desk.ok("list").stdout
    assert listed.index(second) < listed.index(first)  # a due date first, none after
    only = desk.ok("list", "--status", "verified").stdout
    assert second in only and first not in only
    assert desk.ok("list", "--overdue").stdout.count("req_") == 0
    bad = desk("list", "--status", "done")
    assert bad.exit_code == 1 and "received" in bad.stderr


def test_unknown_request_and_missing_map_exit_1(desk: Desk) -> None:
    unknown = desk("status", "req_0000")
    assert unknown.exit_code == 1 and "req_0000" in unknown.stderr
    no_map = runner.invoke(app, ["rights", "list", "--url", desk.url])
    assert no_map.exit_code == 1 and "YINSI_DATA_MAP" in no_map.stderr


def test_unpublished_app_says_to_publish(desk: Desk, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(url)
    result = runner.invoke(app, ["rights", "list", "--map", str(desk.data_map), "--url", url])
    assert result.exit_code == 1 and "yinsi publish" in result.stderr
    assert "Traceback" not in result.output


def _filed_in_the_past(desk: Desk, uid: str, environ: dict[str, str]) -> str:
    """An access request received and verified on Friday 2026-10-09: due 2026-10-29, 15
    working days later counting Saturday 10 October, a make-up working day (X35)."""
    past = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    sms = CapturedSms()
    with Services.open(
        desk.url, data_map=desk.data_map, environ=environ, sms=sms, clock=lambda: past
    ) as opened:
        service = opened.rights
        request = service.submit(uid, "access", channel="customer_service")
        service.send_code(request.id)
        code = CODE.search(sms.sent[-1][1])
        assert code
        verified = service.verify(request.id, code.group(1))
    assert verified.due is not None and verified.due.date == date(2026, 10, 29)
    return request.id


def test_x35_list_overdue_and_due_soon(desk: Desk, tmp_path: Path) -> None:
    environ = {**desk.stores.environ, "YINSI_HOME": str(tmp_path / "home")}
    late = _filed_in_the_past(desk, desk.user(Profile.MIXED), environ)
    fresh = desk.submit(desk.user(Profile.NO_LOAN), "access")
    desk.verified(fresh)
    listed = desk.ok("list")
    assert listed.stdout.index(late) < listed.stdout.index(fresh)
    assert "已逾期" in listed.stdout and "1 件已逾期" in listed.stderr
    overdue = desk.ok("list", "--overdue").stdout
    assert late in overdue and fresh not in overdue
    assert late not in desk.ok("list", "--due-soon").stdout


def test_actor_is_recorded(desk: Desk) -> None:
    request_id = desk.submit(desk.user(Profile.NO_LOAN), "access", "--actor", "agent-007")
    desk.verified(request_id)
    desk.ok("approve", request_id, "--actor", "agent-007")
    assert "agent-007" in desk.ok("status", request_id).stdout


def test_serve_with_a_bad_map_exits_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["serve", "--map", str(missing), "--url", url])
    assert result.exit_code == 1 and "nope.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_x35_verify_by_id_number_suffix(desk: Desk) -> None:
    uid = desk.user(Profile.NO_LOAN)
    suffix = desk.stores.seeded.subject(uid).id_number[-6:]
    request_id = desk.submit(uid, "access")
    wrong = desk(
        "verify", request_id, "000000" if suffix != "000000" else "111111", "--method", "id_suffix"
    )
    assert wrong.exit_code == 1 and "还可尝试4次" in wrong.stderr
    desk.ok("verify", request_id, suffix.lower(), "--method", "id_suffix")
    assert desk.status(request_id) is Status.VERIFIED
    assert suffix not in desk.ok("status", request_id).output
    bad = desk("verify", request_id, suffix, "--method", "face")
    assert bad.exit_code == 1 and "id_suffix" in bad.stderr


def test_x35_w14_a_request_received_by_phone_is_entered_with_its_true_receipt_time(
    desk: Desk,
) -> None:
    """``--received-at``: the deadline counts from when the call came in, not from when
    the agent typed it; the audit entry keeps the stated receipt and its own time."""
    user = desk.user(Profile.NO_LOAN)
    request_id = desk.submit(
        user, "access", "--channel", "phone", "--received-at", "2026-11-20 09:30"
    )
    engine = create_engine(desk.url)
    try:
        with SqlUnitOfWork(engine) as uow:
            request = uow.requests.get(request_id)
            entry = uow.audit.last("rights.request.received")
    finally:
        engine.dispose()
    assert request.received_at == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 +08:00
    assert request.channel == "phone"
    assert request.due is None  # 小赢卡贷 counts from verification (receipt_and_verification)
    assert entry is not None and entry.details["received_at"] == "2026-11-20T01:30:00+00:00"
    assert entry.details["channel"] == "phone" and entry.at > request.received_at

    future = desk("submit", user, "access", "--received-at", "2999-01-01")
    assert future.exit_code == 1 and "in the future" in future.output
    garbled = desk("submit", user, "access", "--received-at", "last tuesday")
    assert garbled.exit_code == 1 and "--received-at" in garbled.output
    unknown = desk("submit", user, "access", "--channel", "pigeon")
    assert unknown.exit_code == 1 and "--channel" in unknown.output


def test_x36_a_complaint_run_says_it_waits_for_a_persons_answer(desk: Desk) -> None:
    """`rights run` of a complaint stops at the person's review and says how to answer it;
    once answered, a run says nothing of the sort."""
    uid = desk.user(Profile.NO_LOAN)
    request_id = desk.submit(uid, "complaint", "--text", "客服态度差")
    desk.verified(request_id)
    desk.ok("approve", request_id)
    waiting = desk.ok("run", request_id).stdout
    assert f"{request_id}：{Status.EXECUTING.label}" in waiting
    assert f"待人工答复：yinsi rights answer {request_id} TEXT" in waiting
    desk.ok("answer", request_id, "已核实并向您致歉，相关客服已接受培训。")
    assert desk.status(request_id) is Status.COMPLETED
    shown = desk.ok("status", request_id).stdout
    assert "已核实并向您致歉" in shown and "待人工答复：" not in shown
