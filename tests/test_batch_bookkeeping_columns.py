"""A batch's journal rows on SQLite's cursor, built column by column (issue 16): each value
converted as the row alone would convert it, a value met again converted once, and the
step journal's errors and guards unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.requests import RightsRequest, Status, Transition
from yinsi.storage import SqlUnitOfWork, claims
from yinsi.storage.columns import JsonType, UtcDateTime
from yinsi.storage.dbapi_writes import DbapiStatement, _converted
from yinsi.storage.errors import NaiveTimestamp, PlanExists, StepNotFound
from yinsi.storage.rights_mapping import (
    changed_columns,
    progress_values,
    step_columns,
    step_values,
)
from yinsi.taxonomy import DeletionTrigger, RightKind

pytest_plugins = ["storage_fixtures"]

_T = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("doc", JsonType),
    sa.Column("at", UtcDateTime),
)
_INSERT = sa.insert(_T).values({c.key: sa.bindparam(c.key, type_=c.type) for c in _T.c})
T0 = datetime(2026, 12, 7, 3, tzinfo=UTC)


def test_columns_store_what_rows_store() -> None:
    """The same rows given by column and by row (one by one) are stored alike, including
    values equal as dict keys but not as stored, a tuple as a JSON array, and None."""
    east = T0.astimezone(timezone(timedelta(hours=8)))
    docs: list[Any] = [{"affected": 1}, {"affected": True}, {}, (), ("a",), None, {"a": [1]}]
    times = [T0, east, None, T0, east, T0, None]
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        _T.create(conn)
        cursor = conn.connection.driver_connection.cursor()
        statement = DbapiStatement(_INSERT)
        columns = {"n": list(range(len(docs))), "doc": docs, "at": times}
        assert statement.run_columns(cursor, conn.dialect, columns) == len(docs)
        by_columns = conn.execute(sa.text("SELECT n, doc, at FROM t ORDER BY n")).all()
        conn.execute(sa.delete(_T))
        for n, (doc, at) in enumerate(zip(docs, times, strict=True)):
            statement.run(cursor, conn.dialect, {"n": n, "doc": doc, "at": at})
        one_by_one = conn.execute(sa.text("SELECT n, doc, at FROM t ORDER BY n")).all()
    assert by_columns == one_by_one
    assert [r[1] for r in by_columns[:5]] == [
        '{"affected": 1}',
        '{"affected": true}',
        "{}",
        "[]",
        '["a"]',
    ]
    assert by_columns[0][2] == by_columns[1][2]  # one instant in two zones: stored UTC
    assert by_columns[0][2] == by_columns[3][2] == by_columns[5][2]


def test_a_value_met_again_is_converted_once() -> None:
    seen: list[Any] = []

    def process(value: Any) -> str:
        seen.append(value)
        return repr(value)

    same = T0
    values = [same, same, T0 + timedelta(0), None, None, {"a": 1}, {"a": 1}, {"a": True}, 1, True]
    assert _converted(process, values) == [repr(v) for v in values]
    assert seen == [same, None, {"a": 1}, {"a": True}, 1, True]


def test_a_statement_binding_nothing_runs_once_per_row() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        _T.create(conn)
        cursor = conn.connection.driver_connection.cursor()
        statement = DbapiStatement(sa.update(_T).values(doc=sa.null()))
        conn.execute(sa.insert(_T), [{"n": 1}, {"n": 2}])
        assert statement.run_many(cursor, conn.dialect, [{}, {}]) == 4  # 2 rows, twice
        with pytest.raises(ValueError, match="binding nothing"):
            statement.run_columns(cursor, conn.dialect, {})


def _plan(request_id: str, at: datetime | None) -> list[Step]:
    match = {"match": {"user_id": ["u1"], "via": ["users"]}}
    return [
        Step(request_id, n, Action.ERASE, "logins", (), match, StepStatus.RUNNING, 1, {}, at)
        for n in (1, 2)
    ]


@pytest.fixture
def uow_db(engine: sa.Engine) -> sa.Engine:
    """A migrated database (SQLite and PostgreSQL) holding request ``req_1``."""
    request = RightsRequest(
        id="req_1",
        app_id="xiaoying_kadai",
        subject_id="u1",
        kind=RightKind.DELETION,
        status=Status.RECEIVED,
        received_at=T0,
        trigger=DeletionTrigger.CONSENT_WITHDRAWN,
        history=(Transition(T0, Status.RECEIVED, "subject"),),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.requests.add(request)
        uow.commit()
    return engine


def test_plans_by_columns_read_back_as_given(uow_db: sa.Engine) -> None:
    steps = _plan("req_1", T0)
    with SqlUnitOfWork(uow_db) as uow:
        uow.plans.insert_many([steps])
        uow.commit()
    done = [s.finished(T0 + timedelta(seconds=1), {"affected": 3}) for s in steps]
    with SqlUnitOfWork(uow_db) as uow:
        uow.plans.update_many(done)
        uow.commit()
    with SqlUnitOfWork(uow_db) as uow:
        assert uow.plans.steps("req_1") == done
        with pytest.raises(PlanExists):
            uow.plans.insert_many([steps])
    with SqlUnitOfWork(uow_db) as uow, pytest.raises(StepNotFound):
        uow.plans.update_many([done[0], Step("req_1", 9, Action.ERASE, "logins")])


def test_a_naive_time_is_refused_by_columns_as_by_rows() -> None:
    naive = _plan("req_1", datetime(2026, 12, 7, 3))
    with pytest.raises(NaiveTimestamp):
        step_values(naive[0])
    with pytest.raises(NaiveTimestamp, match="started_at of step 1 of req_1"):
        step_columns(naive)
    east = _plan("req_1", T0.astimezone(timezone(timedelta(hours=8))))
    assert step_columns(east)["started_at"] == [T0, T0]


def _requests(engine: sa.Engine, count: int) -> list[str]:
    ids = [f"req_{n}" for n in range(2, count + 2)]
    with SqlUnitOfWork(engine) as uow:
        for request_id in ids:
            uow.requests.add(
                RightsRequest(
                    id=request_id,
                    app_id="xiaoying_kadai",
                    subject_id="u1",
                    kind=RightKind.DELETION,
                    status=Status.RECEIVED,
                    received_at=T0,
                    trigger=DeletionTrigger.CONSENT_WITHDRAWN,
                    history=(Transition(T0, Status.RECEIVED, "subject"),),
                )
            )
        uow.commit()
    return ids


def test_claims_of_a_chunk_taken_and_released_as_one_by_one(
    uow_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Free and lapsed claims are taken, a live one of another run is not, in parts of
    ids; releasing gives up only the owner's (SQLite: on the cursor; PostgreSQL: Core)."""
    monkeypatch.setattr(claims, "PART", 2)  # several parts, one shorter
    ids = ["req_1", *_requests(uow_db, 4)]
    later = T0 + timedelta(minutes=10)
    with SqlUnitOfWork(uow_db) as uow:
        assert uow.claims.take("req_2", "other", now=T0, until=later)  # live at T0 + 5'
        assert uow.claims.take("req_3", "other", now=T0, until=T0 + timedelta(minutes=1))
        uow.commit()
    now = T0 + timedelta(minutes=5)
    with SqlUnitOfWork(uow_db) as uow:
        taken = uow.claims.take_many([*ids, "req_1"], "mine", now=now, until=later)
        uow.commit()
    assert taken == set(ids) - {"req_2"}
    with SqlUnitOfWork(uow_db) as uow:
        assert uow.claims.holder("req_2") == ("other", later)
        assert uow.claims.holder("req_3") == ("mine", later)
        uow.claims.release_many(ids, "mine")
        uow.commit()
    with SqlUnitOfWork(uow_db) as uow:
        assert [uow.claims.holder(i) for i in ids] == [None, ("other", later), None, None, None]
        assert uow.claims.take_many([], "mine", now=now, until=later) == set()


def test_changed_columns_as_compared_value_by_value() -> None:
    """The shortcut for moves sharing the read request's objects says what comparing
    every progress column says."""
    read = RightsRequest(
        id="req_1",
        app_id="xiaoying_kadai",
        subject_id="u1",
        kind=RightKind.DELETION,
        status=Status.APPROVED,
        received_at=T0,
        verified_at=T0,
        history=(Transition(T0, Status.APPROVED, "ops"),),
    )
    later = T0 + timedelta(minutes=1)
    cases = [
        read.moved(Status.EXECUTING, later, "rights"),
        replace(read, answer="done").moved(Status.EXECUTING, later, "rights"),
        replace(read, verified_at=later),
        replace(read, verified_at=T0.astimezone(timezone(timedelta(hours=8)))),  # same instant
        replace(read, answer="done", verified_at=later),
    ]
    for moved in cases:
        values, before = progress_values(moved), progress_values(read)
        slow = sorted(k for k, v in values.items() if k != "status" and before[k] != v)
        assert changed_columns(read, moved, values) == slow
    assert [changed_columns(read, m, progress_values(m)) for m in cases[:3]] == [
        [],
        ["answer"],
        ["verified_at"],
    ]
