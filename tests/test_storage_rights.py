"""Rights requests on SQL: requests and their history, plans, challenges, legal holds, the
ledger's restrictions, optimistic concurrency and the audit chain, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from yinsi.consent import ConsentEvent, ConsentState, EventKind, replay
from yinsi.consent.ledger import ALL_ELEMENTS
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.requests import (
    Due,
    Refusal,
    Requester,
    RightsRequest,
    Status,
    Transition,
)
from yinsi.rights.verification import Method, id_suffix_challenge, sms_challenge
from yinsi.security import verify
from yinsi.storage import (
    HoldExists,
    HoldNotFound,
    NaiveTimestamp,
    PlanExists,
    RequestConflict,
    RequestExists,
    RequestNotFound,
    SqlUnitOfWork,
    StepNotFound,
    create_engine,
)
from yinsi.taxonomy import DeletionTrigger, RightKind

pytest_plugins = ["storage_fixtures"]

APP, SUBJECT = "xiaoying_kadai", "subj_0001"
BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2024, 9, 27, 10, 0, tzinfo=BEIJING)
EventFactory = Callable[..., ConsentEvent]


def filed(
    request_id: str = "req_0a1b2c",
    *,
    kind: RightKind = RightKind.DELETION,
    subject_id: str = SUBJECT,
    at: datetime = T0,
    **fields: Any,
) -> RightsRequest:
    """A request just received, with its first transition."""
    request = RightsRequest(
        id=request_id,
        app_id=APP,
        subject_id=subject_id,
        kind=kind,
        status=Status.RECEIVED,
        received_at=at,
        trigger=DeletionTrigger.CONSENT_WITHDRAWN if kind is RightKind.DELETION else None,
        history=(Transition(at, Status.RECEIVED, "subject"),),
    )
    return replace(request, **fields)


def due(day: date | None) -> Due | None:
    if day is None:
        return None
    return Due(date=day, working_days=15, counted_from=day - timedelta(days=21))


def add(engine: Engine, *requests: RightsRequest) -> None:
    with SqlUnitOfWork(engine) as uow:
        for request in requests:
            uow.requests.add(request)
        uow.commit()


def get(engine: Engine, request_id: str) -> RightsRequest:
    with SqlUnitOfWork(engine) as uow:
        return uow.requests.get(request_id)


def save(engine: Engine, request: RightsRequest, actor: str = "key_ops") -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.requests.save(request, actor=actor)
        uow.commit()


def audit_actions(engine: Engine) -> list[str]:
    with SqlUnitOfWork(engine) as uow:
        return [e.action for e in uow.audit.entries()]


# --- requests -------------------------------------------------------------------------


def test_request_round_trips_every_field(engine: Engine) -> None:
    request = filed(
        "req_c0ffee",
        kind=RightKind.CORRECTION,
        requester=Requester(relation="spouse", name="王小红"),
        channel="customer_service",
        corrections={"mobile": "13912345678", "address": "上海市浦东新区"},
        text="请更正预留手机号",
        due=Due(
            date=date(2024, 10, 25),
            working_days=15,
            counted_from=date(2024, 9, 27),
            provisional=True,
            target=date(2024, 10, 9),
            warning="截止日期按工作日推算",
        ),
    )
    add(engine, request)
    assert get(engine, "req_c0ffee") == request
    loaded = get(engine, "req_c0ffee")
    assert loaded.received_at.tzinfo == UTC and loaded.history[0].at == T0


def test_unknown_request_names_its_id(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(RequestNotFound, match="req_missing"):
        uow.requests.get("req_missing")


def test_a_request_is_added_once(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow, pytest.raises(RequestExists, match="req_0a1b2c"):
        uow.requests.add(filed())


def test_only_a_received_request_is_added(engine: Engine) -> None:
    verified = filed().moved(Status.VERIFIED, T0, "key_ops")
    with SqlUnitOfWork(engine) as uow, pytest.raises(ValueError, match="stored as received"):
        uow.requests.add(verified)


def test_naive_times_are_refused(engine: Engine) -> None:
    naive = filed(received_at=datetime(2024, 9, 27, 10, 0), history=())
    with SqlUnitOfWork(engine) as uow, pytest.raises(NaiveTimestamp, match="received_at"):
        uow.requests.add(naive)


def test_save_stores_progress_and_appends_the_new_transitions(engine: Engine) -> None:
    add(engine, filed())
    request = get(engine, "req_0a1b2c")
    verified_at = T0 + timedelta(hours=1)
    request = replace(
        request.moved(Status.VERIFIED, verified_at, "key_ops", "短信验证通过"),
        verified_at=verified_at,
        due=due(date(2024, 10, 25)),
    )
    save(engine, request)
    assert get(engine, "req_0a1b2c") == request
    request = request.moved(Status.APPROVED, T0 + timedelta(hours=2), "key_ops").moved(
        Status.EXECUTING, T0 + timedelta(hours=3), "executor"
    )
    save(engine, request)
    stored = get(engine, "req_0a1b2c")
    assert stored == request
    assert [t.status for t in stored.history] == [
        Status.RECEIVED,
        Status.VERIFIED,
        Status.APPROVED,
        Status.EXECUTING,
    ]


def test_refusal_round_trips(engine: Engine) -> None:
    add(engine, filed(kind=RightKind.CANCEL_ACCOUNT, trigger=None))
    refusal = Refusal(
        ground="precondition:outstanding_debt",
        text="您有未结清的借款，暂无法注销账号",
        remedy="如您对处理结果不满意，可以向有关部门投诉或者向人民法院提起诉讼",
    )
    request = replace(
        get(engine, "req_0a1b2c").moved(Status.REFUSED, T0 + timedelta(days=1), "key_ops"),
        refusal=refusal,
        answer=refusal.text,
    )
    save(engine, request)
    assert get(engine, "req_0a1b2c") == request


def test_two_units_of_work_moving_one_request_conflict(engine: Engine) -> None:
    add(engine, filed())
    seen_by_a = get(engine, "req_0a1b2c")
    seen_by_b = get(engine, "req_0a1b2c")
    save(engine, seen_by_a.moved(Status.VERIFIED, T0 + timedelta(minutes=5), "key_a"))
    withdrawn = seen_by_b.moved(Status.WITHDRAWN, T0 + timedelta(minutes=6), "key_b")
    with pytest.raises(RequestConflict, match=r"reload it with requests\.get\(\) and retry"):
        save(engine, withdrawn, actor="key_b")
    stored = get(engine, "req_0a1b2c")
    assert stored.status is Status.VERIFIED and len(stored.history) == 2
    retried = stored.moved(Status.WITHDRAWN, T0 + timedelta(minutes=7), "key_b")
    save(engine, retried, actor="key_b")
    assert get(engine, "req_0a1b2c") == retried


def test_a_save_waiting_on_a_concurrent_move_conflicts(postgres_url: str) -> None:
    """PostgreSQL: B reads, A moves (uncommitted), B's guarded UPDATE waits for A's row
    lock, A commits, B's guard no longer matches: a conflict, not a lost move."""
    engine = create_engine(postgres_url)
    try:
        add(engine, filed())
        seen = get(engine, "req_0a1b2c")
        outcome: list[BaseException | None] = []

        def b_saves() -> None:
            try:
                save(engine, seen.moved(Status.WITHDRAWN, T0, "key_b"), actor="key_b")
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        with SqlUnitOfWork(engine) as a:
            a.requests.save(seen.moved(Status.VERIFIED, T0, "key_a"), actor="key_a")
            b = threading.Thread(target=b_saves)
            b.start()
            _wait_for_a_lock_wait(engine)
            a.commit()
        b.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], RequestConflict)
        assert get(engine, "req_0a1b2c").status is Status.VERIFIED
    finally:
        engine.dispose()


def _wait_for_a_lock_wait(engine: Engine) -> None:
    """Until a session of this database waits on a lock, for up to 30 s (was 5 s: on a
    loaded machine the second thread may take seconds to reach its UPDATE)."""
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second save never waited for the first one's lock")


def test_a_status_changes_only_with_a_transition(engine: Engine) -> None:
    add(engine, filed())
    sneaked = replace(get(engine, "req_0a1b2c"), status=Status.APPROVED)
    with SqlUnitOfWork(engine) as uow, pytest.raises(ValueError, match=r"request\.moved\(\)"):
        uow.requests.save(sneaked, actor="key_ops")


def test_saving_an_unchanged_request_writes_nothing(engine: Engine) -> None:
    add(engine, filed())
    before = audit_actions(engine)
    save(engine, get(engine, "req_0a1b2c"))
    assert audit_actions(engine) == before


def test_list_orders_by_due_date_with_undated_last(engine: Engine) -> None:
    add(
        engine,
        filed("req_undated_late", at=T0 + timedelta(hours=2)),
        filed("req_due_late", due=due(date(2024, 11, 5))),
        filed("req_undated_early", at=T0 + timedelta(hours=1)),
        filed("req_due_soon", due=due(date(2024, 10, 18)), subject_id="subj_0002"),
        filed("req_same_due_later", due=due(date(2024, 11, 5)), at=T0 + timedelta(hours=3)),
    )
    refused = get(engine, "req_due_late").moved(Status.REFUSED, T0 + timedelta(days=1), "ops")
    save(engine, refused)
    with SqlUnitOfWork(engine) as uow:
        everything = uow.requests.list(APP)
        open_ones = uow.requests.list(APP, statuses=[Status.RECEIVED])
        of_subject = uow.requests.list(APP, subject_id="subj_0002")
        assert uow.requests.list("wolai_shuke") == []
    assert [r.id for r in everything] == [
        "req_due_soon",
        "req_due_late",
        "req_same_due_later",
        "req_undated_early",
        "req_undated_late",
    ]
    assert everything[1] == refused
    assert "req_due_late" not in [r.id for r in open_ones] and len(open_ones) == 4
    assert [r.id for r in of_subject] == ["req_due_soon"]


def test_corrections_are_erased_once_executed(engine: Engine) -> None:
    add(engine, filed(kind=RightKind.CORRECTION, trigger=None, corrections={"mobile": "1"}))
    with SqlUnitOfWork(engine) as uow:
        uow.requests.clear_corrections("req_0a1b2c", actor="executor")
        uow.commit()
    assert get(engine, "req_0a1b2c").corrections == {}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT corrections FROM rights_requests")).scalar_one() in (
            {},
            "{}",
        )


def test_a_stale_request_never_writes_corrections_back(engine: Engine) -> None:
    add(engine, filed(kind=RightKind.CORRECTION, trigger=None, corrections={"mobile": "1"}))
    stale = get(engine, "req_0a1b2c")
    with SqlUnitOfWork(engine) as uow:
        uow.requests.clear_corrections("req_0a1b2c")
        uow.commit()
    save(engine, stale.moved(Status.VERIFIED, T0, "key_ops"))
    assert get(engine, "req_0a1b2c").corrections == {}


# --- plans ----------------------------------------------------------------------------


def plan(request_id: str = "req_0a1b2c") -> list[Step]:
    return [
        Step(request_id, 1, Action.EXPORT, "users", ("u_1",), {"format": "zip"}),
        Step(request_id, 2, Action.ERASE, "loans", ("l_1", "l_2")),
        Step(request_id, 3, Action.RESTRICT, params={"elements": ["id_number"]}),
        Step(request_id, 4, Action.NOTIFY, "credit_bureau"),
    ]


def test_a_plan_round_trips_in_order(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow:
        assert uow.plans.steps("req_0a1b2c") == []
        uow.plans.save(plan())
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.plans.steps("req_0a1b2c") == plan()


def test_a_plan_is_saved_once(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow:
        uow.plans.save(plan())
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(PlanExists, match="already has an execution plan"):
            uow.plans.save(plan()[:2])
        assert uow.plans.steps("req_0a1b2c") == plan()  # the unit of work is still usable


def test_a_plan_needs_its_request_and_numbered_steps(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(RequestNotFound):
            uow.plans.save(plan("req_missing"))
        with pytest.raises(ValueError, match="numbered 1, 2"):
            uow.plans.save(plan()[1:])
        with pytest.raises(ValueError, match="one request"):
            uow.plans.save([*plan()[:1], replace(plan()[1], request_id="req_other")])
        with pytest.raises(ValueError, match="at least one step"):
            uow.plans.save([])


def test_steps_are_updated_as_they_run(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow:
        uow.plans.save(plan())
        uow.commit()
    started = T0 + timedelta(minutes=1)
    first = plan()[0].started(started).finished(started + timedelta(seconds=2), {"rows": 1})
    second = plan()[1].started(started).failed(started, "store 'loans_db': connection refused")
    with SqlUnitOfWork(engine) as uow:
        uow.plans.update(first)
        uow.plans.update(second)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        steps = uow.plans.steps("req_0a1b2c")
    assert steps == [first, second, *plan()[2:]]
    assert steps[0].status is StepStatus.DONE and steps[1].attempts == 1
    with SqlUnitOfWork(engine) as uow, pytest.raises(StepNotFound, match="no plan step 9"):
        uow.plans.update(replace(first, n=9))


def test_many_steps_are_updated_in_one_statement(engine: Engine) -> None:
    add(engine, filed())
    with SqlUnitOfWork(engine) as uow:
        uow.plans.save(plan())
        uow.commit()
    started = T0 + timedelta(minutes=1)
    running = [s.started(started) for s in plan()]
    done = [s.finished(started + timedelta(seconds=1), {"affected": s.n}) for s in running]
    with SqlUnitOfWork(engine) as uow:
        uow.plans.update_many(running)
        uow.plans.update_many(done)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.plans.steps("req_0a1b2c") == done
    with SqlUnitOfWork(engine) as uow, pytest.raises(StepNotFound, match="no plan step 9"):
        uow.plans.update_many([done[0], replace(done[1], n=9)])
    with SqlUnitOfWork(engine) as uow:  # nothing of the refused batch was kept
        assert uow.plans.steps("req_0a1b2c") == done


# --- challenges -----------------------------------------------------------------------


def test_a_challenge_round_trips_and_a_new_one_replaces_it(engine: Engine) -> None:
    add(engine, filed())
    first, _code = sms_challenge("req_0a1b2c", T0)
    by_id = id_suffix_challenge("req_0a1b2c", "11010519491231002X", T0)
    with SqlUnitOfWork(engine) as uow:
        assert uow.challenges.get("req_0a1b2c", Method.SMS) is None
        uow.challenges.put(first)
        uow.challenges.put(by_id)
        uow.commit()
    counted = replace(first, attempts=2)
    with SqlUnitOfWork(engine) as uow:
        assert uow.challenges.get("req_0a1b2c", Method.SMS) == first
        uow.challenges.put(counted)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.challenges.get("req_0a1b2c", Method.SMS) == counted
        assert uow.challenges.get("req_0a1b2c", Method.ID_SUFFIX) == by_id
    second, _ = sms_challenge("req_0a1b2c", T0 + timedelta(minutes=11))
    with SqlUnitOfWork(engine) as uow:
        uow.challenges.put(second)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.challenges.get("req_0a1b2c", Method.SMS) == second
        with pytest.raises(RequestNotFound):
            uow.challenges.put(replace(second, request_id="req_missing"))


# --- legal holds ----------------------------------------------------------------------


def hold(hold_id: str, **fields: Any) -> LegalHold:
    made = LegalHold(hold_id, APP, SUBJECT, "存在未决的借款纠纷", T0, "staff_07")
    return replace(made, **fields)


def test_active_holds_leave_out_released_ended_and_others(engine: Engine) -> None:
    today = date(2024, 10, 1)
    holds = [
        hold("hold_open"),
        hold("hold_loans", dataset="loans", until=today, created_at=T0 + timedelta(1)),
        hold("hold_ended", until=today - timedelta(days=1)),
        hold("hold_released"),
        hold("hold_other", subject_id="subj_0002"),
    ]
    with SqlUnitOfWork(engine) as uow:
        for h in holds:
            uow.holds.add(h, actor="staff_07")
        uow.commit()
    released_at = T0 + timedelta(days=2)
    with SqlUnitOfWork(engine) as uow:
        released = uow.holds.release("hold_released", actor="staff_07", at=released_at)
        again = uow.holds.release("hold_released", actor="staff_07", at=released_at + timedelta(1))
        uow.commit()
    assert released == again == replace(holds[3], released_at=released_at)
    with SqlUnitOfWork(engine) as uow:
        assert uow.holds.active(APP, SUBJECT, today) == holds[:2]
        assert uow.holds.active(APP, SUBJECT, today + timedelta(days=1)) == holds[:1]
    assert audit_actions(engine).count("legal_hold.released") == 1


def test_holds_are_added_once_and_released_by_id(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.holds.add(hold("hold_1"), actor="staff_07")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(HoldExists, match="hold_1"):
            uow.holds.add(hold("hold_1"), actor="staff_07")
        with pytest.raises(HoldNotFound, match="hold_missing"):
            uow.holds.release("hold_missing", actor="staff_07", at=T0)


# --- the ledger's restrictions --------------------------------------------------------


def test_ledger_round_trips_restrictions(engine: Engine, new_event: EventFactory) -> None:
    def restriction(kind: EventKind, element: str, minutes: int) -> ConsentEvent:
        event = new_event(EventKind.POLICY_ACCEPTED, None, at=T0 + timedelta(minutes=minutes))
        return replace(event, kind=kind, element=element)

    history = [
        restriction(EventKind.PROCESSING_RESTRICTED, "id_number", 1),
        restriction(EventKind.PROCESSING_RESTRICTED, "loan_contract", 2),
        restriction(EventKind.RESTRICTION_LIFTED, "id_number", 3),
        restriction(EventKind.PROCESSING_RESTRICTED, ALL_ELEMENTS, 4),
    ]
    with SqlUnitOfWork(engine) as uow:
        stored = [uow.ledger.append(e) for e in history]
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        events = uow.ledger.events(APP, SUBJECT)
        state = uow.ledger.state(APP, SUBJECT)
    assert events == stored and [e.element for e in events] == [e.element for e in history]
    assert state == replay(APP, SUBJECT, events)
    assert state.restricted == {"loan_contract", ALL_ELEMENTS}
    lifted = restriction(EventKind.RESTRICTION_LIFTED, ALL_ELEMENTS, 5)
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.append(lifted)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.state(APP, SUBJECT) == replace(
            ConsentState(APP, SUBJECT), last_seq=5, updated_at=lifted.at
        )


# --- the audit ------------------------------------------------------------------------


def test_rights_writes_are_audited_by_id_and_keep_the_chain_intact(engine: Engine) -> None:
    secret = {"mobile": "13912345678", "email": "wang@example.com"}
    request = filed(
        kind=RightKind.CORRECTION,
        trigger=None,
        corrections=secret,
        requester=Requester(relation="child", name="王小明"),
    )
    add(engine, request)
    request = get(engine, request.id).moved(Status.VERIFIED, T0, "key_ops", "13912345678 已验证")
    save(engine, replace(request, verified_at=T0, due=due(date(2024, 10, 25))))
    save(engine, replace(get(engine, request.id), answer="已更正"))
    with SqlUnitOfWork(engine) as uow:
        uow.requests.clear_corrections(request.id, actor="executor")
        uow.holds.add(hold("hold_1", until=date(2029, 12, 31)), actor="staff_07")
        uow.holds.release("hold_1", actor="staff_07", at=T0 + timedelta(days=1))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        entries = list(uow.audit.entries())
        assert verify(entries, uow.audit.head()) == []
    assert [(e.actor, e.action) for e in entries] == [
        ("subject", "rights.request.received"),
        ("key_ops", "rights.request.verified"),
        ("key_ops", "rights.request.updated"),
        ("executor", "rights.request.corrections_erased"),
        ("staff_07", "legal_hold.added"),
        ("staff_07", "legal_hold.released"),
    ]
    assert entries[0].details == {
        "request_id": "req_0a1b2c",
        "kind": "correction",
        "channel": "app",
        "received_at": "2024-09-27T10:00:00+08:00",
        "relation": "child",
    }
    assert entries[1].details == {
        "request_id": "req_0a1b2c",
        "kind": "correction",
        "n": 2,
        "fields": [
            "due_counted_from",
            "due_date",
            "due_provisional",
            "due_warning",
            "due_working_days",
            "verified_at",
        ],
    }
    assert entries[2].details["fields"] == ["answer"]
    assert entries[3].details["elements"] == ["email", "mobile"]
    assert all(e.subject_id == SUBJECT for e in entries)
    written = repr([e.details for e in entries])
    for value in [*secret.values(), "王小明", "存在未决的借款纠纷"]:
        assert value not in written
