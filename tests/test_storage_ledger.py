"""The consent ledger on SQL: append, replay, evidence (X41), rollback, append-only."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from yinsi.consent import Channel, ConsentEvent, ConsentState, EventKind, Evidence, replay
from yinsi.storage import EventAlreadyStored, NaiveTimestamp, SqlUnitOfWork
from yinsi.storage.tables import ConsentEventRow

pytest_plugins = ["storage_fixtures"]

APP, SUBJECT = "xiaoying_kadai", "subj_0001"
EventFactory = Callable[..., ConsentEvent]
T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


def history(new_event: EventFactory) -> list[ConsentEvent]:
    return [
        new_event(EventKind.POLICY_ACCEPTED, None, at=T0),
        new_event(EventKind.CONSENT_GRANTED, "marketing", at=T0 + timedelta(minutes=1)),
        new_event(EventKind.CONSENT_GRANTED, "face", at=T0 + timedelta(minutes=2)),
        new_event(EventKind.CONSENT_WITHDRAWN, "marketing", at=T0 + timedelta(minutes=3)),
        new_event(
            EventKind.POLICY_DECLINED, None, policy_version="1.4", at=T0 + timedelta(minutes=4)
        ),
    ]


def test_append_numbers_events_and_keeps_state_equal_to_replay(
    engine: Engine, new_event: EventFactory
) -> None:
    with SqlUnitOfWork(engine) as uow:
        stored = [uow.ledger.append(e) for e in history(new_event)]
        uow.commit()
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    with SqlUnitOfWork(engine) as uow:
        events = uow.ledger.events(APP, SUBJECT)
        state = uow.ledger.state(APP, SUBJECT)
    assert events == stored
    assert state == replay(APP, SUBJECT, events)
    assert state == ConsentState(
        APP,
        SUBJECT,
        accepted_version="1.3",
        declined_version="1.4",
        granted=frozenset({"face"}),
        withdrawn=frozenset({"marketing"}),
        last_seq=5,
        updated_at=T0 + timedelta(minutes=4),
    )


def test_subjects_have_their_own_ledgers(engine: Engine, new_event: EventFactory) -> None:
    with SqlUnitOfWork(engine) as uow:
        a = uow.ledger.append(new_event(subject_id="subj_a"))
        b = uow.ledger.append(new_event(subject_id="subj_b"))
        other_app = uow.ledger.append(new_event(app_id="wolai_shuke", subject_id="subj_a"))
        uow.commit()
    assert (a.seq, b.seq, other_app.seq) == (1, 1, 1)


def test_unknown_subject_has_the_empty_state(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.state(APP, "nobody") == ConsentState(APP, "nobody")
        assert uow.ledger.events(APP, "nobody") == []


def test_x41_acceptance_evidence_recorded(engine: Engine) -> None:
    beijing = timezone(timedelta(hours=8))
    signature_hash = hashlib.sha256(b"<handwritten signature image>").hexdigest()
    accepted = ConsentEvent(
        app_id=APP,
        subject_id="subj_7f3a9c",  # an opaque id: never the phone 13812345678 or an ID number
        kind=EventKind.POLICY_ACCEPTED,
        policy_version="1.3",
        at=datetime(2024, 5, 1, 16, 30, 5, 123456, tzinfo=beijing),
        evidence=Evidence(
            channel=Channel.H5,
            account="acct_51b2",
            signature_sha256=signature_hash,
            client_ip="203.0.113.7",
            user_agent="Mozilla/5.0 (Linux; Android 14) XiaoyingKadai/5.2",
        ),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.append(accepted)
        uow.commit()
    with engine.connect() as conn:
        row = conn.execute(select(ConsentEventRow.__table__)).mappings().one()
    stored = {k: v for k, v in row.items() if k != "id"}
    assert stored == {
        "app_id": APP,
        "subject_id": "subj_7f3a9c",
        "seq": 1,
        "kind": "policy_accepted",
        "policy_version": "1.3",
        "consent_id": None,
        "element": None,
        "at": datetime(2024, 5, 1, 8, 30, 5, 123456, tzinfo=UTC),
        "channel": "h5",
        "account": "acct_51b2",
        "signature_sha256": signature_hash,
        "client_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Linux; Android 14) XiaoyingKadai/5.2",
    }
    with SqlUnitOfWork(engine) as uow:
        (loaded,) = uow.ledger.events(APP, "subj_7f3a9c")
    assert loaded == replace(accepted, seq=1)
    assert loaded.at.tzinfo == UTC


def test_an_exception_rolls_the_unit_of_work_back(engine: Engine, new_event: EventFactory) -> None:
    with pytest.raises(RuntimeError), SqlUnitOfWork(engine) as uow:
        uow.ledger.append(new_event())
        raise RuntimeError("the request failed half-way")
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.append(new_event())  # not committed
    with SqlUnitOfWork(engine) as uow:
        assert uow.ledger.events(APP, SUBJECT) == []
        assert uow.ledger.state(APP, SUBJECT) == ConsentState(APP, SUBJECT)


def test_an_event_is_appended_once(engine: Engine, new_event: EventFactory) -> None:
    with SqlUnitOfWork(engine) as uow:
        stored = uow.ledger.append(new_event())
        with pytest.raises(EventAlreadyStored, match="seq=None"):
            uow.ledger.append(stored)


def test_naive_time_is_refused(engine: Engine, new_event: EventFactory) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(NaiveTimestamp, match="timezone-aware"):
        uow.ledger.append(new_event(at=datetime(2024, 5, 1, 8, 30)))


def test_the_ledger_table_is_append_only(engine: Engine, new_event: EventFactory) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.ledger.append(new_event())
        uow.commit()
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("UPDATE consent_events SET consent_id = 'other'"))
