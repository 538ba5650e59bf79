"""The bulk writes of a batch run (issue 16, batch ≤ 1.5 pass): the same records, fewer
statements.

* :meth:`SqlAuditLog.append_many`: the entries appends one by one would write, chained
  alike, with one read of the head and one insert; a refused entry writes nothing.
* :meth:`SqlDeliveryStore.add_many` and :meth:`DeliveryService.no_channel_many`: the
  ``no_channel`` records :meth:`DeliveryService.no_channel` would store, in one insert.
* :func:`run_many` stores a chunk's new plans with their leading steps already running,
  in the commit before the first effect (no ``UPDATE`` of rows just inserted): a crash
  after the store committed leaves them running, and a second batch erases nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from audit_tamper import fill as fill_audit
from audit_tamper import stored_breaks
from erasure_sets_fixtures import (
    SUBJECTS,
    Crash,
    CrashAfterCommit,
    app_database,
    approved,
    cells,
    fill,
    open_copy,
)
from yinsi.delivery import Channel, Purpose, Senders
from yinsi.rights.plan import Action, StepStatus
from yinsi.rights.requests import Status
from yinsi.security import AuditRecordRejected
from yinsi.services.delivery import DeliveryService
from yinsi.services.metrics import DELIVERIES
from yinsi.services.rights_batch import run_many, runnable
from yinsi.storage import SqlUnitOfWork, create_engine, upgrade
from yinsi.storage.audit import Appended, append_all
from yinsi.storage.deliveries import DeliveryRecord

pytest_plugins = ["storage_fixtures"]

T0 = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)
BATCH: list[Appended] = [
    ("rights.request.executing", "xiaoying_kadai", "u001", {"request_id": "req_1", "n": 4}),
    ("rights.request.executing", "xiaoying_kadai", "u002", {"request_id": "req_2", "n": 4}),
    ("rights.request.completed", "xiaoying_kadai", "u001", None),
]


def _ticking() -> Iterator[datetime]:
    n = 0
    while True:
        n += 1
        yield T0 + timedelta(microseconds=n)


# -- the audit log ----------------------------------------------------------------------


def test_append_many_chains_as_appends_one_by_one(engine: Engine) -> None:
    before = fill_audit(engine, 2)
    with SqlUnitOfWork(engine) as uow:
        batch = uow.audit.append_many("rights", BATCH)
        uow.commit()
    after = fill_audit(engine, 1)
    assert [e.seq for e in batch] == [3, 4, 5] and after[0].seq == 6
    assert batch[0].prev_hash == before[-1].hash and after[0].prev_hash == batch[-1].hash
    assert [(e.action, e.subject_id, e.details) for e in batch] == [
        (a, s, d or {}) for a, _, s, d in BATCH
    ]
    with SqlUnitOfWork(engine) as uow:
        assert list(uow.audit.entries(after_seq=2, limit=3)) == batch
    assert stored_breaks(engine) == []  # every hash recomputes: the chain holds


def test_append_many_equals_one_by_one_entry_for_entry(tmp_path: Path, engine: Engine) -> None:
    """Same clock, same entries: the batch writes exactly the entries (hashes too) that
    appends one by one write on another log."""
    ticks = _ticking()
    with SqlUnitOfWork(engine, clock=lambda: next(ticks)) as uow:
        batch = uow.audit.append_many("rights", BATCH)
        uow.commit()
    second = create_engine(f"sqlite:///{tmp_path / 'one_by_one.db'}")
    upgrade(second)
    ticks = _ticking()
    with SqlUnitOfWork(second, clock=lambda: next(ticks)) as uow:
        single = [uow.audit.append("rights", *entry) for entry in BATCH]
        uow.commit()
    second.dispose()
    assert batch == single


def test_append_many_refuses_an_entry_and_writes_none(engine: Engine) -> None:
    fill_audit(engine, 1)
    bad = [*BATCH[:2], ("rights.request.note", "xiaoying_kadai", None, {"note": "13812345678"})]
    with SqlUnitOfWork(engine) as uow:
        head = uow.audit.head()
        with pytest.raises(AuditRecordRejected):
            uow.audit.append_many("rights", bad)
        assert uow.audit.head() == head
        assert [e.seq for e in uow.audit.entries()] == [1]
        assert uow.audit.append_many("rights", []) == []


def test_append_all_on_the_sql_log_is_append_many(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        entries = append_all(uow.audit, "rights", BATCH)
        uow.commit()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert stored_breaks(engine) == []


# -- delivery records -------------------------------------------------------------------


def _record(reference: str) -> DeliveryRecord:
    return DeliveryRecord(
        app_id="xiaoying_kadai",
        channel="sms",
        purpose="request_answer",
        reference=reference,
        address="—",
        outcome="no_channel",
        attempts=0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=1),
        subject_id="u001",
        error="no SMS provider is configured",
    )


def test_add_many_stores_what_add_stores(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        one = uow.deliveries.add(_record("req_1"))
        uow.deliveries.add_many([_record("req_2"), _record("req_3")])
        uow.deliveries.add_many([])
        uow.commit()
    with SqlUnitOfWork(engine, read_only=True) as uow:
        stored = [uow.deliveries.of(r) for r in ("req_1", "req_2", "req_3")]
    assert stored[0] == [one]
    for reference, (record,) in zip(("req_2", "req_3"), stored[1:], strict=True):
        assert record.id is not None and one.id is not None and record.id > one.id
        assert replace(record, id=None) == _record(reference)


def test_no_channel_many_records_each_and_counts_them(engine: Engine) -> None:
    def units(*, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only)

    delivery = DeliveryService(units, Senders(), clock=lambda: T0)
    counted = DELIVERIES.labels("sms", "no_channel")._value.get()
    untold = [("req_1", "u001", "no phone on file"), ("req_2", None, "no phone on file")]
    with units() as uow:
        delivery.no_channel_many("xiaoying_kadai", Purpose.REQUEST_ANSWER, untold, uow)
        uow.commit()
    assert DELIVERIES.labels("sms", "no_channel")._value.get() == counted + 2
    for reference, subject, reason in untold:
        (record,) = delivery.records(reference)
        assert (record.channel, record.purpose, record.outcome, record.address) == (
            Channel.SMS.value,
            Purpose.REQUEST_ANSWER.value,
            "no_channel",
            "—",
        )
        assert (record.subject_id, record.error, record.attempts) == (subject, reason, 0)
        assert record.started_at == record.finished_at == T0


# -- a batch's plans, stored with their first steps running ----------------------------


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        fill(url)
        yield url


def test_x28_a_crash_after_the_store_committed_leaves_plans_running_and_the_next_batch_erases_once(
    app: str, tmp_path: Path
) -> None:
    subjects = SUBJECTS[:4]
    with open_copy(app, "b", tmp_path) as services:
        b = [approved(services, s, SUBJECTS.index(s) + 1) for s in subjects]
        assert {services.rights.run(i, actor="test").status for i in b} == {Status.COMPLETED}
    with open_copy(app, "a", tmp_path, wrapper=CrashAfterCommit) as services:
        a = [approved(services, s, SUBJECTS.index(s) + 1) for s in subjects]
        with pytest.raises(Crash):
            run_many(services.rights, a, actor="test")
        for request_id in a:  # the plans were stored, their erasures running, before them
            erase = [s for s in services.rights.steps(request_id) if s.action is Action.ERASE]
            assert erase and {s.status for s in erase} == {StepStatus.RUNNING}
            assert services.rights.get(request_id).status is Status.EXECUTING
            assert services.rights.leases.busy_for(request_id) == 0.0  # claims released
    assert cells(app, "a") == cells(app, "b")  # the store committed the erasures
    with open_copy(app, "a", tmp_path) as services:
        # the next `yinsi rights run --approved` takes them up: executing, no run holds them
        assert sorted(runnable(services.rights)) == sorted(a)
        report = run_many(services.rights, runnable(services.rights), actor="test")
        assert report.status == dict.fromkeys(a, Status.COMPLETED)
        for request_id in a:
            steps = services.rights.steps(request_id)
            assert {s.status for s in steps} == {StepStatus.DONE}
            erase = [s for s in steps if s.action is Action.ERASE]
            assert {s.attempts for s in erase} == {2}
            assert {s.outcome["affected"] for s in erase} == {0}  # nothing erased twice
    assert cells(app, "a") == cells(app, "b")


def test_x28_the_next_batch_leaves_an_executing_request_a_live_run_holds(
    app: str, tmp_path: Path
) -> None:
    with open_copy(app, "a", tmp_path) as services:
        first, second = (approved(services, s, n) for n, s in enumerate(SUBJECTS[:2], start=1))
        rights = services.rights
        request = rights.get(second)
        owner = "another-run"
        with rights.units() as uow:  # another run holds `second`, mid-way
            moved = request.moved(Status.EXECUTING, rights.now(), "test")
            uow.requests.move_many([(request, moved)], actor="test")
            assert rights.leases.claim(uow, second, owner)
            uow.commit()
        assert runnable(rights) == [first]
        rights.leases.release(second, owner)  # it stopped without finishing: ours now
        assert sorted(runnable(rights)) == sorted([first, second])
