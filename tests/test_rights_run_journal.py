"""A run's journal writes (issue 16, one subject): the plan inserted in the run's first
commit with its first steps already ``running``, steps written on SQLite's cursor, a
request read without ORM objects — each still telling what it told before — and the
lease renewer woken only when a new lease falls due before its own wake-up.

The storage tests run on SQLite and PostgreSQL (``engine``); the run tests on an app
database in SQLite, yinsi's own database a SQLite file, as embedded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from erasure_sets_fixtures import SUBJECTS, app_database, approved, fill, open_copy
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.requests import RightsRequest, Status, Transition
from yinsi.security import verify
from yinsi.services.rights_execution import StepJournal
from yinsi.services.run_leases import Lease, Renewer
from yinsi.storage import PlanExists, SqlUnitOfWork, StepNotFound
from yinsi.taxonomy import DeletionTrigger, RightKind

pytest_plugins = ["storage_fixtures"]

APP = "xiaoying_kadai"
T0 = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)


def _filed(request_id: str = "req_journal") -> RightsRequest:
    return RightsRequest(
        id=request_id,
        app_id=APP,
        subject_id="subj_0001",
        kind=RightKind.DELETION,
        status=Status.RECEIVED,
        received_at=T0,
        trigger=DeletionTrigger.CONSENT_WITHDRAWN,
        history=(Transition(T0, Status.RECEIVED, "subject"),),
    )


def _plan(request_id: str = "req_journal") -> list[Step]:
    return [
        Step(request_id, n, Action.ERASE, dataset, params={"match": {"user_id": ["subj_0001"]}})
        for n, dataset in enumerate(["orders", "logins", "users"], start=1)
    ]


def _units(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)


def _stored(engine: Engine, request_id: str = "req_journal") -> list[Step]:
    with SqlUnitOfWork(engine, read_only=True) as uow:
        return uow.plans.steps(request_id)


@pytest.fixture
def filed(engine: Engine) -> Engine:
    """The migrated database with one request filed."""
    with SqlUnitOfWork(engine) as uow:
        uow.requests.add(_filed())
        uow.commit()
    return engine


def test_the_plan_is_inserted_with_its_first_steps_as_the_runner_stores_them(
    filed: Engine,
) -> None:
    plan = _plan()
    journal = StepJournal(lambda: _units(filed), None, defer_done=True, plan=plan)
    running = [s.started(T0) for s in plan[:2]]
    journal.update_many(running)
    assert _stored(filed) == [*running, plan[2]]  # one insert: running, running, pending
    done = [s.finished(T0 + timedelta(seconds=1), {"affected": 3}) for s in running]
    journal.update_many(done)  # held until the next write
    assert [s.status for s in _stored(filed)] == [StepStatus.RUNNING] * 2 + [StepStatus.PENDING]
    journal.flush()
    assert _stored(filed) == [*done, plan[2]]


def test_a_journal_with_nothing_run_still_stores_its_plan(filed: Engine) -> None:
    journal = StepJournal(lambda: _units(filed), None, plan=_plan())
    journal.flush()
    assert _stored(filed) == _plan()


def test_a_second_plan_for_the_request_is_refused(filed: Engine) -> None:
    StepJournal(lambda: _units(filed), None, plan=_plan()).flush()
    other = StepJournal(lambda: _units(filed), None, plan=_plan())
    with pytest.raises(PlanExists):
        other.update_many([_plan()[0].started(T0)])
    assert _stored(filed) == _plan()  # the losing commit wrote nothing


def test_step_progress_round_trips_and_an_unknown_step_is_refused(filed: Engine) -> None:
    plan = _plan()
    with SqlUnitOfWork(filed) as uow:
        uow.plans.insert(plan)
        uow.commit()
    at = datetime(2024, 9, 27, 10, 0, 0, 123456, tzinfo=UTC)
    moved = [
        s.started(at).finished(at + timedelta(seconds=2), {"affected": 7, "note": "已删除"})
        for s in plan[:2]
    ]
    with SqlUnitOfWork(filed) as uow:
        uow.plans.update_many(moved)
        uow.commit()
    assert _stored(filed) == [*moved, plan[2]]
    unknown = replace(moved[0], n=9)
    with SqlUnitOfWork(filed) as uow, pytest.raises(StepNotFound):
        uow.plans.update_many([moved[1], unknown])


def test_get_reads_only_the_transitions_its_row_counts(filed: Engine) -> None:
    """A move committed between the row's read and the history's: the row's count says
    which transitions belong to the request read."""
    with filed.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO rights_transitions (request_id, n, at, status, actor, note) "
                "VALUES ('req_journal', 2, :at, 'verified', 'later', '')"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
    with SqlUnitOfWork(filed, read_only=True) as uow:
        assert uow.requests.get("req_journal") == _filed()


# ---------------------------------------------------------------- a whole run


@pytest.fixture
def app(tmp_path: Path) -> str:
    with app_database("sqlite", tmp_path) as url:
        fill(url)
        return url


def test_a_run_stores_its_plan_running_in_its_first_commit_and_audits_each_move(
    app: str, tmp_path: Path
) -> None:
    with open_copy(app, "a", tmp_path) as services:
        request_id = approved(services, SUBJECTS[0], 1)
        seen: list[tuple[Status, list[StepStatus], bool]] = []

        def first_stored(step: Step) -> None:
            if not seen:  # the first commit: claim, move, plan and its first steps
                request = services.rights.get(request_id)
                stored = [s.status for s in services.rights.steps(request_id)]
                held = services.rights.leases.busy_for(request_id) > 0
                seen.append((request.status, stored, held))

        done = services.rights.run(request_id, actor="test", on_step=first_stored)
        assert done.status is Status.COMPLETED
        status, stored, held = seen[0]
        assert status is Status.EXECUTING and held
        erase = [s for s in services.rights.steps(request_id) if s.action is Action.ERASE]
        assert erase and stored == [StepStatus.RUNNING] * len(stored)
        assert all(s.status is StepStatus.DONE and s.attempts == 1 for s in erase)
        assert services.rights.leases.busy_for(request_id) == 0  # released in the last commit
        with services.units(read_only=True) as uow:
            entries = list(uow.audit.entries())
            assert verify(entries, uow.audit.head()) == []
        moves = [e.action for e in entries if e.details.get("request_id") == request_id]
        assert moves[-2:] == ["rights.request.executing", "rights.request.completed"]


# ---------------------------------------------------------------- the lease renewer


class _Ticking:
    """Stands for a held lease: due at ``due``, each renewal moving it ``period`` on."""

    def __init__(self, due: float, period: float) -> None:
        self.due = due
        self.period = period
        self.renewed: list[float] = []

    def renew_once(self) -> None:
        now = time.monotonic()
        self.renewed.append(now)
        self.due = now + self.period


class _CountedEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.sets = 0

    def set(self) -> None:
        self.sets += 1
        super().set()


def test_a_lease_registered_while_the_renewer_idles_is_renewed_without_waking_it() -> None:
    idle = 0.2
    renewer = Renewer(idle_s=idle)
    first = _Ticking(time.monotonic() + idle, idle)
    renewer.add(cast(Lease, first))  # starts the thread
    renewer.remove(cast(Lease, first))
    time.sleep(0.05)  # the thread now waits until its idle wake-up
    wake = renewer._wake = _CountedEvent()
    later = _Ticking(time.monotonic() + idle, idle)
    renewer.add(cast(Lease, later))  # due after the thread's own wake-up: no wake
    assert wake.sets == 0
    sooner = _Ticking(time.monotonic() + 0.01, idle)
    renewer.add(cast(Lease, sooner))  # due before it: woken
    assert wake.sets == 1
    deadline = time.monotonic() + 5
    while (not later.renewed or not sooner.renewed) and time.monotonic() < deadline:
        time.sleep(0.01)
    renewer.remove(cast(Lease, later))
    renewer.remove(cast(Lease, sooner))
    assert later.renewed and sooner.renewed  # each renewed once due, none missed
