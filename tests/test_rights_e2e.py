"""Rights requests end to end against the sample lending back-end of 小赢卡贷.

The stores are real: PostgreSQL + MariaDB + Redis (``services``) or SQLite files + Redis
(``sqlite``, what ``make demo`` runs on). yinsi's own database is a SQLite file. The
ground truth is what :func:`yinsi.sample.seed` wrote; every assertion compares the stores
with it cell by cell.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conftest import EXAMPLES
from delivery_fixtures import CapturedSms
from yinsi.connectors import Connectors
from yinsi.consent import Channel, EventKind, Evidence, compile_rules
from yinsi.rights.plan import Action, StepStatus
from yinsi.rights.requests import InvalidRequest, InvalidTransition, Requester, Status
from yinsi.rights.verification import CodeLimited, VerificationFailed
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.storage import create_engine, upgrade

if TYPE_CHECKING:
    from sample_fixtures import LendingStores

pytest_plugins = ["sample_fixtures"]

CHINA = timezone(timedelta(hours=8))
XY = EXAMPLES / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct")
HASH_KEY = b"e2e-erasure-key-0123456789abcdef"


@dataclass
class Desk:
    service: RightsService
    stores: LendingStores
    sms: CapturedSms
    url: str

    def subject(self, profile: str) -> str:
        from yinsi_demo import Profile

        return self.stores.seeded.of(Profile(profile))[0].user_id

    def approved(self, subject: str, kind: str, **kw: Any) -> str:
        s = self.service
        request = s.submit(subject, kind, **kw)
        s.send_code(request.id)
        s.verify(request.id, self.sms.code())
        assert s.approve(request.id, actor="operator").status is Status.APPROVED
        return request.id


def _services(stores: LendingStores, url: str, export_dir: Path, sms: CapturedSms) -> Services:
    def now() -> datetime:
        return datetime.combine(stores.seeded.today, datetime.min.time(), CHINA) + timedelta(
            hours=10
        )

    return Services(
        create_engine(url),
        data_map=stores.data_map,
        connectors=Connectors(stores.data_map),
        hash_key=HASH_KEY,
        export_dir=export_dir,
        sms=sms,
        clock=now,
        actor="rights",
    )


@pytest.fixture
def desk(lending_stores: LendingStores, tmp_path: Path) -> Iterator[Desk]:
    url = f"sqlite:///{tmp_path / 'yinsi.db'}"
    upgrade(url)
    sms = CapturedSms()
    services = _services(lending_stores, url, tmp_path / "exports", sms)
    services.consent.publish(XY)
    yield Desk(services.rights, lending_stores, sms, url)
    services.close()


def _text(value: object) -> str:
    from yinsi.rights.export import plain

    v = plain(value)
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _archive_values(path: Path) -> tuple[set[str], dict[str, Any], str]:
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read("data.json"))
        index = zf.read("说明.md").decode("utf-8")
    values: set[str] = set()
    for rows in data["datasets"].values():
        for row in rows:
            values.update(_text(v) for v in row.values() if v is not None)
    return values, data, index


# ------------------------------------------------------------ export


def test_x31_export_finds_every_seeded_value_of_the_subject_and_nobody_elses(desk: Desk) -> None:
    seeded = desk.stores.seeded
    for profile in ("mixed", "no_loan"):
        subject = desk.subject(profile)
        rid = desk.approved(subject, "copy")
        done = desk.service.run(rid)
        assert done.status is Status.COMPLETED, done
        values, data, index = _archive_values(desk.service.archive_path(rid))
        mine = {_text(v) for v in seeded.cells_of(subject).values() if v is not None}
        assert mine - values == set(), "an export missed some of the subject's PI"
        for other in seeded.subjects:
            if other != subject:
                assert not (seeded.unique_values(other) & values), f"{other}'s PI leaked"
        others = {_text(v) for v in seeded.others.values() if v is not None}
        assert not ({v for v in others if len(v) > 6} & values)
        assert "手机号码" in index and "处理目的" in index and "保存期限" in index
        assert data["app"] == APP
        assert done.due is not None and not done.due.provisional
        assert "副本" in done.answer


# ------------------------------------------------------------ deletion


def test_x28_deletion_erases_the_erasable_keeps_held_records_restricted_and_no_one_else(
    desk: Desk,
) -> None:
    seeded = desk.stores.seeded
    before = desk.stores.snapshot()
    subject = desk.subject("mixed")
    assert seeded.held[subject], "the mixed profile has held loans"
    rid = desk.approved(subject, "deletion", trigger="purpose_done")
    done = desk.service.run(rid)
    assert done.status is Status.PARTIALLY_COMPLETED
    after = desk.stores.snapshot()

    held = seeded.held_cells(subject)
    for cell, value in seeded.erasable_cells(subject).items():
        assert after.get(cell) != value or value is None, f"{cell} still holds its PI"
    for cell, value in held.items():
        assert after.get(cell) == value, f"held {cell} was touched"
    for cell, value in before.items():
        if seeded.owner(cell) != subject:
            assert after.get(cell) == value, f"{cell} of someone else was touched"

    # What only the settled loans hold is restricted (store only); what the live loan's
    # contract also holds (its loan records) is restricted once that contract ends.
    state = desk.service.engine.state(APP, subject)
    restrict = next(s for s in desk.service.steps(rid) if s.action is Action.RESTRICT)
    assert restrict.params["elements"] and set(restrict.params["elements"]) <= state.restricted
    assert "loan_records" in restrict.params["postponed"]
    assert not set(restrict.params["postponed"]) & state.restricted
    rules = compile_rules(desk.service.engine.declaration(APP))
    for element, allowed in [("loan_records", True), (restrict.params["elements"][0], False)]:
        triple = next(t for t in rules.triples if t[1] == element)
        decision = desk.service.engine.decide(
            APP, subject, scenario=triple[0], element=triple[1], purpose=triple[2]
        )
        assert (decision.reason == "restricted") is not allowed, (element, decision)
    # The requester is told what was kept, why and until when.
    assert "依法保留：借款记录" in done.answer and "保存期限" in done.answer
    assert "除存储和采取必要的安全保护措施外不作其他处理" in done.answer
    assert "暂缓删除：借款记录" in done.answer and "与尚未履行完毕的合同共用" in done.answer


def test_x30_cancellation_is_irreversible_and_stops_all_processing(desk: Desk) -> None:
    subject = desk.subject("no_loan")
    desk.service.engine.accept_policy(APP, subject, evidence=EVIDENCE)
    rid = desk.approved(subject, "cancel_account", channel="customer_service")
    done = desk.service.run(rid)
    assert done.status is Status.COMPLETED
    assert "不可恢复" in done.answer
    state = desk.service.engine.state(APP, subject)
    assert "*" in state.restricted
    login = desk.service.engine.decide(
        APP,
        subject,
        element="mobile_number",
        purpose="account_registration",
        scenario="registration",
    )
    assert (login.allowed, login.reason) == (False, "restricted")
    after = desk.stores.snapshot()
    for cell, value in desk.stores.seeded.erasable_cells(subject).items():
        assert after.get(cell) != value or value is None


def test_w16_cancellation_refused_while_a_loan_is_outstanding(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("outstanding")
    request = s.submit(subject, "cancel_account")
    s.send_code(request.id)
    s.verify(request.id, desk.sms.code())
    refused = s.approve(request.id, actor="operator")
    assert refused.status is Status.REFUSED
    assert refused.refusal is not None
    assert refused.refusal.ground == "precondition:no_outstanding_loan"
    assert "未结清" in refused.answer and refused.refusal.remedy
    before = desk.stores.snapshot()
    with pytest.raises(InvalidRequest):
        s.run(request.id)
    assert desk.stores.snapshot() == before


def test_w14_deletion_via_customer_service_is_recorded_on_that_channel(desk: Desk) -> None:
    subject = desk.subject("no_loan")
    desk.service.engine.accept_policy(APP, subject, evidence=EVIDENCE)
    desk.service.engine.grant(APP, subject, "location", evidence=EVIDENCE)
    rid = desk.approved(
        subject, "withdraw_consent", consent_id="location", channel="customer_service"
    )
    assert desk.service.run(rid).status is Status.COMPLETED
    last = desk.service.engine.events(APP, subject)[-1]
    assert last.kind is EventKind.CONSENT_WITHDRAWN and last.consent_id == "location"
    assert last.evidence.channel is Channel.CUSTOMER_SERVICE and last.evidence.account == rid


def test_x33_opting_out_of_personalisation_withdraws_and_erases_what_it_collected(
    desk: Desk,
) -> None:
    s = desk.service
    subject = desk.subject("no_loan")
    s.engine.accept_policy(APP, subject, evidence=EVIDENCE)
    s.engine.grant(APP, subject, "personalisation", evidence=EVIDENCE)
    before = desk.stores.snapshot()
    rid = desk.approved(subject, "opt_out_personalisation")
    assert s.run(rid).status is Status.COMPLETED
    state = s.engine.state(APP, subject)
    assert "personalisation" in state.withdrawn
    steps = s.steps(rid)
    assert steps[0].action is Action.WITHDRAW
    # Only what was collected for personalisation alone is erased; the sample holds none
    # of it, so nothing else changes.
    assert desk.stores.snapshot() == before


def test_x27_correction_is_validated_and_applied_where_the_element_lives(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("no_loan")
    with pytest.raises(InvalidRequest, match="mobile_number"):
        s.submit(subject, "correction", corrections={"mobile_number": "12345"})
    before = desk.stores.snapshot()
    rid = desk.approved(subject, "correction", corrections={"mobile_number": "13912345678"})
    done = s.run(rid)
    assert done.status is Status.COMPLETED and done.corrections == {}
    assert s.get(rid).corrections == {}  # the new value is not kept in the request
    after = desk.stores.snapshot()
    mine = {c.name: v for c, v in after.items() if c.dataset == "users" and c.key == subject}
    assert mine["mobile_number"] == "13912345678"
    # the app's hash of the phone also holds mobile_number, but the value is not for it:
    # the raw number in clear there would break every lookup by hash
    hashes = [c for c in after if c.dataset == "users" and c.name == "phone_hash"]
    assert hashes and all(after[c] == before[c] for c in hashes)


def test_x32_contesting_an_automated_decision_is_answered_by_a_person(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("mixed")
    rid = desk.approved(subject, "contest_automated_decision", text="额度评估结果有误")
    waiting = s.run(rid)
    assert waiting.status is Status.EXECUTING
    assert waiting.due is not None and waiting.due.working_days == 15
    done = s.answer(rid, "经人工复核，已重新评估您的授信额度。", actor="operator")
    assert done.status is Status.COMPLETED and "人工复核" in done.answer


def test_x34_a_close_relative_may_access_but_not_cancel(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("settled_long_ago")
    relative = Requester(relation="child", name="张小明")
    rid = desk.approved(subject, "access", requester=relative)
    assert s.run(rid).status is Status.COMPLETED
    with pytest.raises(InvalidRequest, match=r"Art\. 49"):
        s.submit(subject, "cancel_account", requester=relative)
    with pytest.raises(InvalidRequest, match="close relative"):
        s.submit(subject, "access", requester=Requester(relation="friend"))


def test_x35_identity_first_and_refusal_only_on_declared_grounds(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("no_loan")
    request = s.submit(subject, "access")
    assert request.due is None  # the 15 working days count from verification
    with pytest.raises(InvalidTransition):
        s.approve(request.id, actor="operator")
    s.send_code(request.id)
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(VerificationFailed) as wrong:
            s.verify(request.id, "000000" if desk.sms.code() != "000000" else "111111")
        assert wrong.value.remaining == left
    with pytest.raises(VerificationFailed):
        s.verify(request.id, desk.sms.code())  # locked for good: attempts survive resends
    with pytest.raises(CodeLimited):
        s.send_code(request.id)  # and a resend within the cooldown is refused (issue 14)
    id_number = desk.stores.seeded.subject(subject).id_number
    verified = s.verify(request.id, id_number[-6:], method="id_suffix")
    assert verified.status is Status.VERIFIED and verified.due is not None
    assert verified.due.working_days == 15
    with pytest.raises(InvalidRequest, match="declared ground"):
        s.refuse(request.id, "we_are_busy", actor="operator")
    refused = s.refuse(request.id, "trade_secret", actor="operator")
    assert refused.status is Status.REFUSED and "商业秘密" in refused.answer
    assert "法院" in refused.answer  # PIPL Art. 50: how to complain or sue


def test_x35_verification_by_id_number_suffix(desk: Desk) -> None:
    s = desk.service
    subject = desk.stores.seeded.subject(desk.subject("no_loan"))
    request = s.submit(subject.user_id, "access")
    with pytest.raises(VerificationFailed):
        s.verify(request.id, "000000", method="id_suffix")
    ok = s.verify(request.id, subject.id_number[-6:].lower(), method="id_suffix")
    assert ok.status is Status.VERIFIED


def test_x36_w18_complaint_target_three_working_days_fifteen_at_most(desk: Desk) -> None:
    s = desk.service
    subject = desk.subject("no_loan")
    request = s.submit(subject, "complaint", text="催收电话过于频繁")
    s.send_code(request.id)
    verified = s.verify(request.id, desk.sms.code())
    due = verified.due
    assert due is not None and due.target is not None
    assert due.working_days == 15 and due.target < due.date
    from yinsi.rights.calendar import WorkingCalendar
    from yinsi.rights.deadlines import working_days_between

    cal = WorkingCalendar.default()
    assert working_days_between(due.counted_from, due.target, cal) == 3
    assert working_days_between(due.counted_from, due.date, cal) == 15


# ------------------------------------------------------------ durability (kill -9)

_CRASHING_RUN = """
import os, signal, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from yinsi.connectors import Connectors
from yinsi.declaration.datamap_checks import load_data_map
from yinsi.declaration.loader import load
from yinsi.services.consent import Engine
from yinsi.rights import executor
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.jobs import JobSettings
from yinsi.storage import create_engine
from yinsi_demo import with_key_prefix

url, data_map_path, declaration_path, prefix, export_dir, request_id, kill_at = sys.argv[1:]
data_map = with_key_prefix(load_data_map(data_map_path, load(declaration_path)), prefix)
real = executor._execute

def crashing(step, ctx):
    outcome = real(step, ctx)
    if step.n == int(kill_at):
        os.kill(os.getpid(), signal.SIGKILL)  # after the effect, before it is marked done
    return outcome

executor._execute = crashing
today = datetime.fromisoformat(os.environ["E2E_NOW"])
services = Services(
    create_engine(url), data_map=data_map, connectors=Connectors(data_map), actor="rights",
    hash_key=os.environ["E2E_KEY"].encode(), export_dir=Path(export_dir), clock=lambda: today,
    settings=Settings(jobs=JobSettings(lease_s=1)),  # the rerun takes over 1 s after the kill
)
services.rights.run(request_id)
"""


def test_kill_9_mid_erasure_then_the_rerun_finishes_without_repeating_effects(
    desk: Desk, tmp_path: Path
) -> None:
    s, stores = desk.service, desk.stores
    subject = desk.subject("no_loan")
    rid = desk.approved(subject, "deletion", trigger="consent_withdrawn")
    script = tmp_path / "crashing_run.py"
    script.write_text(_CRASHING_RUN, encoding="utf-8")
    from sample_fixtures import DATA_MAP_PATH, DECLARATION_PATH

    now = s._clock()
    env = {**os.environ, **stores.environ, "E2E_NOW": now.isoformat(), "E2E_KEY": HASH_KEY.decode()}
    kill_at = 2
    args = [desk.url, DATA_MAP_PATH, DECLARATION_PATH, stores.redis_prefix, tmp_path / "exports"]
    result = subprocess.run(
        [sys.executable, str(script), *map(str, args), rid, str(kill_at)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    steps = s.steps(rid)
    # The crash left its step running, with the steps of its group (erasures on one SQL
    # store: one journal commit marks them running, one store transaction erases).
    running = [st.n for st in steps if st.status is StepStatus.RUNNING]
    assert kill_at in running and running == list(range(running[0], running[-1] + 1))
    assert all(st.status is StepStatus.DONE for st in steps[: running[0] - 1])
    assert all(st.status is StepStatus.PENDING for st in steps[running[-1] :])

    time.sleep(1.1)  # the killed run's lease (1 s) lapses; until then a rerun is refused
    done = s.run(rid)
    assert done.status is Status.COMPLETED
    steps = s.steps(rid)
    assert all(st.status is StepStatus.DONE for st in steps)
    assert [st.attempts for st in steps] == [2 if st.n in running else 1 for st in steps]
    after = stores.snapshot()
    for cell, value in stores.seeded.erasable_cells(subject).items():
        assert after.get(cell) != value or value is None
    # A keyed hash applied twice would differ from one applied once: it is applied once.
    from yinsi.lifecycle.deidentify import Strategy, apply

    for cell, value in stores.seeded.cells_of(subject).items():
        if cell.dataset == "users" and cell.name == "id_number_hash":
            once = apply(Strategy.KEYED_HASH, value, element="id_number", key=HASH_KEY)
            assert after[cell] == once


def test_x28_a_legal_hold_keeps_a_dataset_restricted_until_released(desk: Desk) -> None:
    s, seeded = desk.service, desk.stores.seeded
    subject = desk.subject("no_loan")
    hold = s.add_hold(subject, "存在未决的投诉纠纷", actor="legal", dataset="devices")
    before = desk.stores.snapshot()
    rid = desk.approved(subject, "deletion", trigger="purpose_done")
    done = s.run(rid)
    assert done.status is Status.PARTIALLY_COMPLETED
    assert "存在未决的投诉纠纷" in done.answer
    after = desk.stores.snapshot()
    devices = {c: v for c, v in seeded.cells_of(subject).items() if c.dataset == "devices"}
    assert devices and all(after.get(c) == v for c, v in devices.items())
    others = {c: v for c, v in seeded.erasable_cells(subject).items() if c.dataset != "devices"}
    assert all(after.get(c) != v or v is None for c, v in others.items())
    assert {c for c in before if seeded.owner(c) not in (subject, None)} <= set(after)
    assert "device_id" in s.engine.state(APP, subject).restricted
    s.release_hold(hold.id, actor="legal")
    again = desk.approved(subject, "deletion", trigger="purpose_done")
    assert s.run(again).status is Status.COMPLETED
    assert all(desk.stores.snapshot().get(c) is None for c in devices)
