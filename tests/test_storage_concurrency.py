"""Concurrent writers of one subject lose no event and repeat no seq, on both backends."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from yinsi.consent import Channel, ConsentEvent, EventKind, Evidence, replay
from yinsi.storage import SqlUnitOfWork, create_engine

pytest_plugins = ["storage_fixtures"]

APP, SUBJECT = "xiaoying_kadai", "subj_busy"


def grant(consent_id: str) -> ConsentEvent:
    return ConsentEvent(
        APP,
        SUBJECT,
        EventKind.CONSENT_GRANTED,
        "1.3",
        datetime.now(UTC),
        Evidence(Channel.APP),
        consent_id=consent_id,
    )


def append_many(engine: Engine, writer: int, count: int) -> None:
    """``count`` appends by one writer, each its own unit of work and transaction."""
    for i in range(count):
        with SqlUnitOfWork(engine) as uow:
            uow.ledger.append(grant(f"w{writer}_{i}"))
            uow.commit()


def append_many_in_process(url: str, writer: int, count: int) -> None:
    engine = create_engine(url)
    try:
        append_many(engine, writer, count)
    finally:
        engine.dispose()


def assert_complete(engine: Engine, total: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        events = uow.ledger.events(APP, SUBJECT)
        state = uow.ledger.state(APP, SUBJECT)
    assert [e.seq for e in events] == list(range(1, total + 1))
    assert len({e.consent_id for e in events}) == total
    assert state == replay(APP, SUBJECT, events)
    assert len(state.granted) == total and state.last_seq == total


def test_four_threads_lose_no_event(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(append_many, engine, writer, 50) for writer in range(4)]
        for future in futures:
            future.result()
    assert_complete(engine, 200)


def test_two_processes_lose_no_event_on_postgresql(postgres_url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    writers = [
        spawn.Process(target=append_many_in_process, args=(postgres_url, n, 100)) for n in range(2)
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers] == [0, 0]
    engine = create_engine(postgres_url)
    try:
        assert_complete(engine, 200)
    finally:
        engine.dispose()
