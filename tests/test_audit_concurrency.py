"""Concurrent appenders never fork the audit chain, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from yinsi.security import verify
from yinsi.storage import SqlUnitOfWork

pytest_plugins = ["storage_fixtures"]


def append_many(engine: Engine, writer: int, count: int) -> None:
    """``count`` appends by one writer, each its own unit of work and transaction."""
    for i in range(count):
        with SqlUnitOfWork(engine) as uow:
            uow.audit.append(f"key_{writer}", "consent.granted", "xiaoying_kadai", f"s{i}")
            uow.commit()


def test_four_threads_append_one_intact_chain(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(append_many, engine, writer, 50) for writer in range(4)]
        for future in futures:
            future.result()
    with SqlUnitOfWork(engine) as uow:
        entries = list(uow.audit.entries())
        head = uow.audit.head()
    assert [e.seq for e in entries] == list(range(1, 201))
    assert {e.actor for e in entries} == {f"key_{w}" for w in range(4)}
    assert verify(entries, head) == []
    assert head.seq == 200
