"""The hot read paths (``yinsi.storage.queries``) on SQLite and PostgreSQL.

They read on the driver's connection (pinned per thread on SQLite) and remember the state
made from a row by the row's raw values; these tests pin down that no change is missed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from yinsi.consent import Channel, Evidence
from yinsi.services.consent import Engine
from yinsi.storage import queries, upgrade

pytest_plugins = ["storage_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = ROOT / "examples" / "declarations" / "xiaoying-kadai.yaml"
APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP)


@pytest.fixture
def two_engines(empty_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database, as two service processes would have."""
    upgrade(empty_url)
    first, second = Engine(empty_url, actor="a"), Engine(empty_url, actor="b")
    first.publish(DECLARATION)
    yield first, second
    first.close()
    second.close()


def test_a_write_by_another_engine_is_seen_on_the_next_read(
    two_engines: tuple[Engine, Engine],
) -> None:
    reader, writer = two_engines
    assert reader.state(APP, "s1").accepted_version is None
    writer.accept_policy(APP, "s1", evidence=EVIDENCE)
    assert reader.state(APP, "s1").accepted_version == "1.3"
    writer.grant(APP, "s1", "location", evidence=EVIDENCE)
    assert "location" in reader.state(APP, "s1").granted
    writer.withdraw(APP, "s1", "location", evidence=EVIDENCE)
    after = reader.state(APP, "s1")
    assert "location" not in after.granted and "location" in after.withdrawn
    assert reader.state(APP, "s1") == after


def test_an_unchanged_row_gives_the_same_state_and_reads_stay_correct_across_threads(
    two_engines: tuple[Engine, Engine],
) -> None:
    reader, writer = two_engines
    writer.accept_policy(APP, "s2", evidence=EVIDENCE)
    first = reader.state(APP, "s2")
    assert reader.state(APP, "s2") == first
    seen: list[frozenset[str]] = []

    def read() -> None:
        seen.append(reader.state(APP, "s2").granted)

    writer.grant(APP, "s2", "location", evidence=EVIDENCE)
    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all("location" in granted for granted in seen)


def test_api_key_read_sees_revocation_and_engine_close_releases_connections(
    two_engines: tuple[Engine, Engine],
) -> None:
    reader, writer = two_engines
    with writer._uow() as uow:
        key, secret = uow.api_keys.create("k", ["backend"])
        uow.commit()
    read = queries.api_key
    assert read(reader._db, secret) is not None and read(reader._db, "nope") is None
    with writer._uow() as uow:
        uow.api_keys.revoke(key.id, actor="test")
        uow.commit()
    assert read(reader._db, secret) is None
    reader.close()  # disposes the engine: pinned SQLite connections are closed
    assert reader.state(APP, "s3").accepted_version is None  # and reopened on demand


def test_remembered_states_are_bounded(
    two_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = two_engines
    monkeypatch.setattr(queries, "MAX_REMEMBERED_STATES", 3)
    for n in range(10):
        writer.accept_policy(APP, f"m{n}", evidence=EVIDENCE)
        assert reader.state(APP, f"m{n}").accepted_version == "1.3"
    assert len(queries._reads_of(reader._db).states) <= 3


def test_many_threads_never_exhaust_the_pool_and_ended_threads_release_connections(
    two_engines: tuple[Engine, Engine],
) -> None:
    reader, writer = two_engines
    writer.accept_policy(APP, "t1", evidence=EVIDENCE)
    answers: list[str | None] = []

    def read() -> None:
        answers.append(reader.state(APP, "t1").accepted_version)

    for _ in range(3):  # 60 threads in all, more than the pool's 15 connections
        threads = [threading.Thread(target=read) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert answers == ["1.3"] * 60
    pinned = queries._reads_of(reader._db).state._pinned
    assert len(pinned) <= 21  # the last batch's threads (ended ones are closed on the next pin)
    with reader._uow() as uow:  # the pool still has every slot
        assert uow.policies.list(APP)
