"""Hold semantics (issue 17, point 5): a running contract is not a legal retention.

A deletion for a borrower with a live loan, on :mod:`lender_schema` (no foreign keys, a
non-primary-key reference, Chinese column comments) in SQLite and PostgreSQL: the loan
stays processable for servicing and collection (nothing restricted, decisions allowed),
everything else is erased cell by cell, the application the loan was made from keeps its
row; its deletion is deferred. The test then settles the loan and moves the clock: the
deferred deletion restricts the loan while its 5-year retention runs, or erases it once
that has run out, and the answer tells the subject. yinsi's own database is a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import lender_schema
from conftest import EXAMPLES
from yinsi.cli.app import app
from yinsi.consent import Channel, Evidence
from yinsi.rights.plan import Action
from yinsi.rights.requests import Status
from yinsi.services.consent import Engine
from yinsi.services.jobs import DEFERRED_ERASURES, run_job
from yinsi.services.rights import RightsService
from yinsi.services.root import Services
from yinsi.storage import create_engine, upgrade

pytest_plugins = ["storage_fixtures"]

CHINA = timezone(timedelta(hours=8))
APP = "xiaoying_kadai"
ENV = "LENDER_DB_URL"
SERVICING = ("loan_service", "payment_settlement", "post_loan_management")
"""The purposes of the declaration's loan_repayment scenario: servicing and collection."""
Row = tuple[object, ...]


@dataclass
class Bench:
    lender: lender_schema.Lender
    folder: Path
    now: list[datetime]
    services: Services | None = None

    def open(self, map_text: str | None = None) -> Services:
        """Services on yinsi's database with the lender's map (or ``map_text``)."""
        if self.services is not None:
            self.services.close()
        path = self.folder / "datamap.yaml"
        path.write_text(map_text or lender_schema.data_map_text(ENV), encoding="utf-8")
        self.services = Services.open(
            f"sqlite:///{self.folder / 'yinsi.db'}",
            data_map=path,
            environ={ENV: self.lender.url},
            hash_key=b"h" * 32,
            clock=lambda: self.now[0],
            export_dir=self.folder / "exports",
        )
        return self.services

    @property
    def rights(self) -> RightsService:
        assert self.services is not None
        return self.services.rights

    def notices(self, request_id: str) -> list[str]:
        """The outcomes of the answer notices recorded for the request."""
        assert self.services is not None
        records = self.services.delivery.records(request_id)
        return [r.outcome for r in records if r.purpose == "request_answer"]

    def decide(self, subject: str, element: str, purpose: str) -> tuple[bool, str]:
        d = self.rights.engine.decide(
            APP, subject, scenario="loan_repayment", element=element, purpose=purpose
        )
        return d.allowed, d.reason

    def settle(self, loan_no: str, day: date) -> None:
        engine = sa.create_engine(self.lender.url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    sa.update(lender_schema.loan)
                    .where(lender_schema.loan.c.loan_no == loan_no)
                    .values(loan_status="settled", settle_date=day)
                )
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    from storage_fixtures import postgres_database

    if request.param == "sqlite":
        yield from _bench(f"sqlite:///{tmp_path / 'lender.db'}", tmp_path)
    else:
        with postgres_database() as lender_url:
            yield from _bench(lender_url, tmp_path)


def _bench(lender_url: str, folder: Path) -> Iterator[Bench]:
    lender = lender_schema.build(lender_url)
    url = f"sqlite:///{folder / 'yinsi.db'}"
    upgrade(url)
    Engine(database=create_engine(url)).publish(EXAMPLES / "xiaoying-kadai.yaml")
    bench = Bench(lender, folder, [datetime(2026, 6, 2, 10, 0, tzinfo=CHINA)])
    bench.open()
    try:
        yield bench
    finally:
        if bench.services is not None:
            bench.services.close()


def _deleted(bench: Bench, person: lender_schema.Person) -> str:
    rights = bench.rights
    request = rights.submit(str(person.uid), "deletion", trigger="purpose_done")
    rights.verify(request.id, person.id_number[-6:], method="id_suffix")
    assert rights.approve(request.id, actor="operator").status is Status.APPROVED
    return rights.run(request.id).id


def _rows(snapshot: dict[str, list[Row]], table: str) -> dict[object, Row]:
    return {row[0]: row for row in snapshot[table]}


def _keys_of(before: dict[str, list[Row]], uid: int) -> dict[str, set[object]]:
    """The borrower's primary keys per table, found by the links of the schema."""
    users = _rows(before, "users")
    cust = users[uid][1]
    applies = {k for k, r in _rows(before, "apply").items() if r[2] == uid}
    loans = {k: r for k, r in _rows(before, "loan").items() if r[2] in applies}
    loan_nos = {r[1] for r in loans.values()}
    return {
        "users": {uid},
        "user_idcard": {k for k, r in _rows(before, "user_idcard").items() if r[1] == uid},
        "apply": applies,
        "loan": set(loans),
        "repay_plan": {k for k, r in _rows(before, "repay_plan").items() if r[1] in loan_nos},
        "user_contact": {k for k, r in _rows(before, "user_contact").items() if r[1] == uid},
        "bank_card": {k for k, r in _rows(before, "bank_card").items() if r[1] == uid},
        "cust_credit": {k for k, r in _rows(before, "cust_credit").items() if r[1] == cust},
        "login_log": {k for k, r in _rows(before, "login_log").items() if r[1] == uid},
    }


ERASED_FIELDS = {"users": {3, 5, 6, 7, 8}, "apply": {5, 6, 7}}
"""Column positions a `fields` erasure nulls: users xm, sjh, yx, csrq, xb (login_name and
sfzh are not in the map: untouched); apply work_unit, month_income, home_addr."""
ROW_ERASED = ("user_idcard", "user_contact", "bank_card", "cust_credit", "login_log")
CONTRACT_HELD = ("loan", "repay_plan")


def test_x28_live_loan_stays_processable_rest_erased_and_deletion_deferred_until_settled(
    bench: Bench,
) -> None:
    person = bench.lender.person("outstanding")
    subject = str(person.uid)
    engine = bench.rights.engine
    evidence = Evidence(Channel.APP, account="acct")
    engine.accept_policy(APP, subject, evidence=evidence)
    engine.grant(APP, subject, "loan_info", evidence=evidence)  # 借款信息 (separate consent)
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (True, "consent")
    before = lender_schema.snapshot(bench.lender.url)
    mine = _keys_of(before, person.uid)
    assert mine["loan"] and len(mine["repay_plan"]) == 3

    rid = _deleted(bench, person)
    done = bench.rights.get(rid)
    assert done.status is Status.PARTIALLY_COMPLETED, done
    after = lender_schema.snapshot(bench.lender.url)

    # Cell by cell: the rest erased, the live loan and its plan untouched, nobody else touched.
    for table, rows in before.items():
        now = _rows(after, table)
        for row in rows:
            key = row[0]
            if key not in mine.get(table, set()):
                assert now.get(key) == row, f"{table} {key} of someone else was touched"
            elif table in ROW_ERASED:
                assert key not in now, f"{table} {key} was not deleted"
            elif table in CONTRACT_HELD:
                assert now[key] == row, f"held {table} {key} was touched"
            else:
                # users, apply: the row stays (the loan's application is kept), PI nulled
                kept = now[key]
                for i, value in enumerate(row):
                    if i in ERASED_FIELDS[table]:
                        assert kept[i] is None, f"{table}.{i} still holds its PI"
                    else:
                        assert kept[i] == value, f"{table}.{i} was changed"

    # Servicing and collection go on: nothing restricted, decisions allowed.
    assert engine.state(APP, subject).restricted == frozenset()
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (True, "consent")
    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    assert restrict.params["elements"] == []
    deferred = {d["dataset"]: set(d["keys"]) for d in restrict.params["deferred"]}
    assert deferred == {
        "loans": {str(k) for k in mine["loan"]},
        "repayments": {str(k) for k in mine["repay_plan"]},
    }
    assert [d["dataset"] for d in restrict.params["deferred"]] == ["repayments", "loans"]
    assert {k["kind"] for k in restrict.params["kept"]} == {"contract"}
    assert "暂缓删除：借据" in done.answer and "合同仍在履行中" in done.answer
    assert "继续进行" in done.answer and "结清" in done.answer
    assert "依法保留" not in done.answer

    # While the loan runs, the deferred deletion waits and changes nothing.
    (waiting,) = bench.rights.run_deferred()
    assert not waiting.finished and waiting.waiting == {"repayments": 3, "loans": 1}
    assert lender_schema.snapshot(bench.lender.url) == after

    # Settled today: the 5-year retention now runs — kept, store only, the subject told.
    (loan_no,) = {_rows(before, "loan")[k][1] for k in mine["loan"]}
    bench.settle(str(loan_no), date(2026, 6, 2))
    told_before = len(bench.notices(rid))
    (stored,) = bench.rights.run_deferred()
    assert stored.finished and stored.erased == {}
    assert set(stored.restricted) == {"transaction_records"}
    assert "transaction_records" in engine.state(APP, subject).restricted
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (False, "restricted")
    held = lender_schema.snapshot(bench.lender.url)
    assert {k for k in _rows(held, "loan")} >= mine["loan"]
    assert {k for k in _rows(held, "repay_plan")} >= mine["repay_plan"]
    told = bench.rights.get(rid)
    assert told.answer.startswith(done.answer)
    assert "2026-06-02更新：相关合同已履行完毕" in told.answer and "依法须保存" in told.answer
    # told through the answer notice (recorded; here nobody is reachable: the deletion
    # erased the phone on file, so it is recorded as no_channel with the reason)
    assert len(bench.notices(rid)) == told_before + 1
    assert bench.rights.run_deferred() == []  # done once


def test_x28_deferred_deletion_erases_a_loan_whose_retention_ran_out(bench: Bench) -> None:
    person = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    mine = _keys_of(before, person.uid)
    rid = _deleted(bench, person)
    (loan_no,) = {_rows(before, "loan")[k][1] for k in mine["loan"]}
    bench.settle(str(loan_no), date(2026, 7, 1))
    bench.now[0] = datetime(2031, 7, 2, 10, 0, tzinfo=CHINA)  # 5 years and a day later

    assert bench.services is not None
    summary = run_job(bench.services, DEFERRED_ERASURES, {})  # what the daily job runs
    assert summary == {"requests": 1, "finished": 1}
    after = lender_schema.snapshot(bench.lender.url)
    assert not mine["loan"] & set(_rows(after, "loan"))
    assert not mine["repay_plan"] & set(_rows(after, "repay_plan"))
    for table in ("loan", "repay_plan"):
        assert len(after[table]) == len(before[table]) - len(mine[table])
    answer = bench.rights.get(rid).answer
    assert "2031-07-02更新：相关合同已履行完毕，此前暂缓删除的还款计划、借据已删除。" in answer
    assert bench.rights.run_deferred() == []


def test_a_hold_of_kind_legal_retention_restricts_a_running_row(bench: Bench) -> None:
    """`kind: legal_retention` on a hold: a row meeting `while` is stored only, restricted,
    and nothing is deferred (e.g. a disputed loan)."""
    old = "while: \"loan_status = 'outstanding'\"}"
    text = lender_schema.data_map_text(ENV)
    assert text.count(old) == 1
    bench.open(text.replace(old, old[:-1] + ", kind: legal_retention}"))
    person = bench.lender.person("outstanding")
    rid = _deleted(bench, person)
    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    assert restrict.params["elements"] == ["transaction_records"]
    assert "deferred" not in restrict.params
    assert {k["kind"] for k in restrict.params["kept"]} == {"legal_retention"}
    assert "transaction_records" in bench.rights.engine.state(APP, str(person.uid)).restricted
    answer = bench.rights.get(rid).answer
    assert "依法保留：借据" in answer and "暂缓删除" not in answer
    assert bench.rights.run_deferred() == []


def test_x28_a_held_loan_keeps_the_application_row_it_was_made_from(bench: Bench) -> None:
    """With `erase: row` on the applications, a deletion would remove the row the kept
    loan was made from: the hold keeps it whole, says why, and its deletion is deferred
    with the loan's."""
    old = "    erase: fields  # a held loan keeps the application row it was made from\n"
    text = lender_schema.data_map_text(ENV)
    assert text.count(old) == 1
    bench.open(text.replace(old, "    erase: row\n"))
    person = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    mine = _keys_of(before, person.uid)
    rid = _deleted(bench, person)
    after = lender_schema.snapshot(bench.lender.url)
    (apply_id,) = mine["apply"]
    assert _rows(after, "apply")[apply_id] == _rows(before, "apply")[apply_id]  # kept whole
    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    order = [d["dataset"] for d in restrict.params["deferred"]]
    assert order == ["repayments", "loans", "applications"]  # children first
    answer = bench.rights.get(rid).answer
    assert "暂缓删除：借款申请（与保留的“借据”记录相关联，为便于理解该记录一并保留" in answer

    (loan_no,) = {_rows(before, "loan")[k][1] for k in mine["loan"]}
    bench.settle(str(loan_no), date(2026, 7, 1))
    bench.now[0] = datetime(2031, 7, 2, 10, 0, tzinfo=CHINA)
    (run,) = bench.rights.run_deferred()
    assert run.erased == {"repayments": 3, "loans": 1, "applications": 1}
    assert apply_id not in _rows(lender_schema.snapshot(bench.lender.url), "apply")


def test_yinsi_rights_deferred_runs_them_from_the_command_line(bench: Bench) -> None:
    person = bench.lender.person("outstanding")
    before = lender_schema.snapshot(bench.lender.url)
    mine = _keys_of(before, person.uid)
    rid = _deleted(bench, person)
    args = ["rights", "deferred", "--map", str(bench.folder / "datamap.yaml")]
    args += ["--url", f"sqlite:///{bench.folder / 'yinsi.db'}"]
    env = {ENV: bench.lender.url, "YINSI_HOME": str(bench.folder / "home")}
    runner = CliRunner()
    waiting = runner.invoke(app, [*args, "--today", "2026-06-03"], env=env)
    assert waiting.exit_code == 0, waiting.output
    assert f"{rid}：删除 0 条；仍有 4 条合同履行中，继续暂缓" in waiting.output

    (loan_no,) = {_rows(before, "loan")[k][1] for k in mine["loan"]}
    bench.settle(str(loan_no), date(2026, 7, 1))
    done = runner.invoke(app, [*args, "--today", "2031-07-02"], env=env)
    assert done.exit_code == 0, done.output
    assert f"{rid}：删除 4 条；已完成并已告知用户" in done.output
    nothing = runner.invoke(app, [*args, "--today", "2031-07-03"], env=env)
    assert "没有暂缓删除的信息" in nothing.output
    bad = runner.invoke(app, [*args, "--today", "明天"], env=env)
    assert bad.exit_code == 1 and "--today '明天': not a date" in bad.output


def _second_loan(bench: Bench, person: lender_schema.Person, settled_on: date) -> int:
    """A settled loan beside the person's live one (its application, loan and plan); the
    new loan's id."""
    engine = sa.create_engine(bench.lender.url)
    try:
        with engine.begin() as conn:
            apply_id = 1 + int(
                conn.execute(sa.select(sa.func.max(lender_schema.apply.c.apply_id))).scalar_one()
            )
            loan_id = 1 + int(
                conn.execute(sa.select(sa.func.max(lender_schema.loan.c.loan_id))).scalar_one()
            )
            plan_id = int(
                conn.execute(
                    sa.select(sa.func.max(lender_schema.repay_plan.c.plan_id))
                ).scalar_one()
            )
            loan_no = f"LN{loan_id:010d}"
            conn.execute(
                sa.insert(lender_schema.apply).values(
                    apply_id=apply_id,
                    apply_no=f"AP{apply_id:08d}",
                    user_id=person.uid,
                    apply_amt=3000,
                    apply_time=datetime(2025, 7, 1, 9, 0),
                    work_unit="深圳市某科技有限公司",
                    month_income=9000,
                    home_addr="广东省深圳市南山区某路1号",
                    status="approved",
                )
            )
            conn.execute(
                sa.insert(lender_schema.loan).values(
                    loan_id=loan_id,
                    loan_no=loan_no,
                    apply_id=apply_id,
                    principal=3000,
                    loan_status="settled",
                    loan_date=date(2025, 7, 2),
                    settle_date=settled_on,
                )
            )
            conn.execute(
                sa.insert(lender_schema.repay_plan).values(
                    plan_id=plan_id + 1,
                    loan_no=loan_no,
                    term_no=1,
                    due_amt=3000,
                    due_date=settled_on,
                    paid_at=datetime.combine(settled_on, datetime.min.time()),
                )
            )
    finally:
        engine.dispose()
    return loan_id


def _mixed(bench: Bench) -> tuple[str, str, dict[str, set[object]]]:
    """A borrower with a live loan and a loan settled in January, whose 5-year retention
    runs, who asked for deletion: the subject, the request, the keys before."""
    person = bench.lender.person("outstanding")
    subject = str(person.uid)
    settled = _second_loan(bench, person, date(2026, 1, 10))
    evidence = Evidence(Channel.APP, account="acct")
    bench.rights.engine.accept_policy(APP, subject, evidence=evidence)
    bench.rights.engine.grant(APP, subject, "loan_info", evidence=evidence)
    before = lender_schema.snapshot(bench.lender.url)
    mine = _keys_of(before, person.uid)
    assert settled in mine["loan"] and len(mine["loan"]) == 2
    return subject, _deleted(bench, person), mine


def test_x28_a_live_loan_beside_a_retained_one_stays_processable_until_it_ends(
    bench: Bench,
) -> None:
    """The settled loan is kept by law (store only) and the live one by its contract: both
    hold the element ``transaction_records``. Restricting it now would stop servicing and
    collecting the live loan, so the restriction is postponed until the contract ends, and
    the answer says so; then it is restricted."""
    subject, rid, mine = _mixed(bench)
    done = bench.rights.get(rid)
    assert done.status is Status.PARTIALLY_COMPLETED
    after = lender_schema.snapshot(bench.lender.url)
    assert mine["loan"] <= set(_rows(after, "loan"))  # both kept, untouched
    assert mine["repay_plan"] <= set(_rows(after, "repay_plan"))

    restrict = next(s for s in bench.rights.steps(rid) if s.action is Action.RESTRICT)
    assert restrict.params["elements"] == []
    assert restrict.params["postponed"] == ["transaction_records"]
    assert {k["kind"] for k in restrict.params["kept"]} == {"contract", "legal_retention"}
    assert bench.rights.engine.state(APP, subject).restricted == frozenset()
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (True, "consent")
    assert "依法保留：借据" in done.answer and "暂缓删除：借据" in done.answer
    assert "其中与尚未履行完毕的合同共用的信息，在该合同履行完毕前仍为履行合同所必需而处理" in (
        done.answer
    )

    (waiting,) = bench.rights.run_deferred()  # the loan runs: nothing restricted yet
    assert not waiting.finished and waiting.restricted == []
    assert bench.rights.engine.state(APP, subject).restricted == frozenset()

    live = [r for r in after["loan"] if r[0] in mine["loan"] and r[4] == "outstanding"]
    ((_, loan_no, *_),) = live
    bench.settle(str(loan_no), date(2026, 6, 2))  # settled: its own 5 years now run too
    (stored,) = bench.rights.run_deferred()
    assert stored.finished and stored.restricted == ["transaction_records"]
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (False, "restricted")
    assert bench.rights.run_deferred() == []


def test_x28_a_postponed_restriction_applies_when_the_live_loan_is_erased_instead(
    bench: Bench,
) -> None:
    """The live loan ends and is erased (its settle date lies more than 5 years back),
    while the January loan is still kept by law: the postponed element is restricted
    then, and the subject is told."""
    subject, rid, mine = _mixed(bench)
    after = lender_schema.snapshot(bench.lender.url)
    live = [r for r in after["loan"] if r[0] in mine["loan"] and r[4] == "outstanding"]
    ((live_id, loan_no, *_),) = live
    bench.settle(str(loan_no), date(2021, 1, 4))
    (run,) = bench.rights.run_deferred()
    assert run.finished and run.erased == {"repayments": 3, "loans": 1}
    assert run.restricted == ["transaction_records"]
    kept = lender_schema.snapshot(bench.lender.url)
    assert live_id not in _rows(kept, "loan") and len(mine["loan"] & set(_rows(kept, "loan"))) == 1
    for purpose in SERVICING:
        assert bench.decide(subject, "transaction_records", purpose) == (False, "restricted")
    answer = bench.rights.get(rid).answer
    assert "此前暂缓删除的还款计划、借据已删除。" in answer
    assert (
        "此前因与该合同共用而未限制处理的依法保留信息，现已停止除存储和采取必要的安全保护措施之外的处理。"
        in (answer)
    )
