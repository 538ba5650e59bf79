"""The decisions' consent-state cache (issue 16, point 2): bounds, eviction, fences.

Unit tests run :class:`ConsentStateCache` against a fence double (a port of the cache,
like httpx's ``MockTransport``); the PostgreSQL tests run it with its real change feed
on a scratch database: hits only behind a fence, a withdrawal by another engine seen by
the next decision, and a killed listener connection bypassing the cache until it is back.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
import sqlalchemy as sa

from decision_cache_fixtures import pg
from yinsi.consent import Channel, ConsentState, Evidence
from yinsi.services.consent import Engine
from yinsi.services.consent_cache import ConsentStateCache, state_cache
from yinsi.services.root import Services
from yinsi.settings.cache import CacheSettings
from yinsi.storage import create_engine
from yinsi.storage.notify import APPLICATION_NAME, ChangeFeed, FeedDown

pytest_plugins = ["storage_fixtures"]
__all__ = ["pg"]  # the fixture

APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct", signature_sha256="0" * 64)
LOCATION = {"element": "precise_location", "purpose": "anti_fraud", "scenario": "location"}


class Fences:
    """A change feed double: ready or not; fences complete at once, fail, or hang."""

    def __init__(self) -> None:
        self.ready = True
        self.fences = 0
        self.mode = "ok"
        self.started = 0
        self.closed = False

    def start(self) -> None:
        self.started += 1

    def fence(self) -> Future[None]:
        self.fences += 1
        done: Future[None] = Future()
        if self.mode == "ok":
            done.set_result(None)
        elif self.mode == "down":
            done.set_exception(FeedDown("test"))
        return done  # "hang": never completes

    def close(self) -> None:
        self.closed = True


def made(max_states: int = 3, wait_s: float = 1.0) -> tuple[ConsentStateCache, Fences]:
    cache = ConsentStateCache(max_states, fence_wait_s=wait_s)
    feed = Fences()
    cache.attach(feed)
    return cache, feed


def state(subject: str, *granted: str) -> ConsentState:
    return ConsentState(APP, subject, accepted_version="1.3", granted=frozenset(granted))


def test_a_hit_waits_for_a_fence_and_a_miss_reads_once() -> None:
    cache, feed = made()
    db = {"s1": state("s1", "location")}
    first = cache.read(APP, "s1", lambda: db["s1"])
    assert first == db["s1"] and cache.misses == 1 and feed.fences == 0  # a miss needs none
    db["s1"] = state("s1")  # changed behind the cache's back, never announced
    assert cache.read(APP, "s1", lambda: db["s1"]) == first  # a hit, behind a fence
    assert (cache.hits, feed.fences) == (1, 1)


def test_least_recently_used_states_are_dropped_beyond_the_bound() -> None:
    cache, _ = made(max_states=3)
    for subject in ("a", "b", "c"):
        cache.read(APP, subject, lambda s=subject: state(s))  # type: ignore[misc]
    cache.read(APP, "a", lambda: pytest.fail("a is cached"))  # a is now the most recent
    cache.read(APP, "d", lambda: state("d"))
    assert len(cache) == 3
    reads: list[str] = []
    for subject in ("a", "c", "d", "b"):
        cache.read(APP, subject, lambda s=subject: reads.append(s) or state(s))  # type: ignore[misc]
    assert reads == ["b"]  # b was the least recently used one when d came in


def test_an_eviction_makes_the_next_read_load() -> None:
    cache, _ = made()
    cache.read(APP, "s1", lambda: state("s1", "location"))
    cache.evict(APP, "s1")
    assert cache.read(APP, "s1", lambda: state("s1")).granted == frozenset()


def test_a_fill_that_raced_an_eviction_is_not_stored() -> None:
    """A read that began before a change committed must not be cached after the eviction."""
    cache, _ = made()

    def slow_old_read() -> ConsentState:
        cache.evict(APP, "s1")  # the change's notification arrives while the read runs
        return state("s1", "location")  # what the read saw: the state before the change

    assert cache.read(APP, "s1", slow_old_read).granted == {"location"}
    assert len(cache) == 0
    assert cache.read(APP, "s1", lambda: state("s1")).granted == frozenset()


def test_a_clear_refuses_fills_that_began_before_it() -> None:
    cache, _ = made()

    def read_across_a_reconnection() -> ConsentState:
        cache.clear()
        return state("s1", "location")

    cache.read(APP, "s1", read_across_a_reconnection)
    assert len(cache) == 0


def test_forgotten_evictions_refuse_older_fills() -> None:
    from yinsi.services import consent_cache

    cache, _ = made(max_states=10)

    def read_while_many_change() -> ConsentState:
        for i in range(consent_cache.MAX_EVICTIONS_KEPT + 5):
            cache.evict(APP, f"other{i}")
        return state("s1")

    cache.read(APP, "s1", read_while_many_change)
    assert len(cache) == 0  # s1's own eviction might be among the forgotten ones


def test_no_feed_or_a_failed_fence_reads_the_database_and_stores_nothing() -> None:
    cache, feed = made(wait_s=0.05)
    feed.ready = False
    cache.read(APP, "s1", lambda: state("s1"))
    assert len(cache) == 0 and cache.bypassed == 1 and feed.started == 1
    feed.ready = True
    cache.read(APP, "s1", lambda: state("s1", "location"))
    for mode in ("down", "hang"):
        feed.mode = mode
        loaded = cache.read(APP, "s1", lambda: state("s1"))
        assert loaded.granted == frozenset()  # the database's answer, not the cached one
    assert cache.bypassed == 3 and cache.hits == 0


def test_equal_item_sets_are_shared_between_subjects() -> None:
    cache, _ = made(max_states=10)
    one = cache.read(APP, "a", lambda: state("a", "location", "privacy_policy"))
    two = cache.read(APP, "b", lambda: state("b", "privacy_policy", "location"))
    cached_one = cache.read(APP, "a", lambda: pytest.fail("cached"))
    cached_two = cache.read(APP, "b", lambda: pytest.fail("cached"))
    assert one == cached_one and two == cached_two
    assert cached_one.granted is cached_two.granted


def test_the_cache_is_only_built_on_postgresql(tmp_path: Path) -> None:
    sqlite = create_engine(f"sqlite:///{tmp_path / 'y.db'}")
    try:
        assert state_cache(sqlite, CacheSettings()) is None  # another process's write: unseen
    finally:
        sqlite.dispose()
    with pytest.raises(ValueError, match="consent_states"):
        ConsentStateCache(0)


# ---------------------------------------------------------------- on PostgreSQL


def _decide(engine: Engine, subject: str) -> str:
    return engine.decide(APP, subject, **LOCATION).reason


def _ready(services: Services, timeout_s: float = 10) -> None:
    cache = services.state_cache
    assert cache is not None and cache.feed is not None
    services.consent.decide(APP, "warm-up", **LOCATION)  # starts the feed
    deadline = time.monotonic() + timeout_s
    while not cache.feed.ready:
        assert time.monotonic() < deadline, "the change listener did not connect"
        time.sleep(0.02)


def _caught_up(services: Services) -> None:
    """Wait until the listener has seen every change committed so far."""
    cache = services.state_cache
    assert cache is not None and cache.feed is not None
    cache.feed.fence().result(10)


def test_postgresql_decisions_hit_the_cache_and_see_other_engines_writes(
    pg: tuple[str, Services],
) -> None:
    url, services = pg
    _ready(services)
    cache = services.state_cache
    assert cache is not None
    with Engine(url) as other:  # another pool: what another process would do
        other.accept_policy(APP, "s1", evidence=EVIDENCE)
        other.grant(APP, "s1", "location", evidence=EVIDENCE)
        for _ in range(30):
            assert _decide(services.consent, "s1") == "consent"
            hits = cache.hits
            other.withdraw(APP, "s1", "location", evidence=EVIDENCE)
            assert _decide(services.consent, "s1") == "consent_withdrawn"
            other.grant(APP, "s1", "location", evidence=EVIDENCE)
            assert _decide(services.consent, "s1") == "consent"
            assert _decide(services.consent, "s1") == "consent"
        assert hits > 0 and cache.hits > 30


def test_x29_decisions_under_concurrent_writes_never_see_an_older_state(
    pg: tuple[str, Services],
) -> None:
    """Threads deciding while another engine flips a consent: a decision that ran wholly
    between two writes (none in progress) answers by the last committed one."""
    url, services = pg
    _ready(services)
    version = [0]  # odd while a write is in progress; even: version // 2 writes committed
    stop = threading.Event()
    wrong: list[tuple[int, str]] = []
    checked = [0]
    with Engine(url) as other:
        other.accept_policy(APP, "s2", evidence=EVIDENCE)
        other.grant(APP, "s2", "location", evidence=EVIDENCE)

        def decide() -> None:
            while not stop.is_set():
                before = version[0]
                reason = _decide(services.consent, "s2")
                if before % 2 == 0 and version[0] == before:
                    expected = "consent_withdrawn" if before // 2 % 2 else "consent"
                    checked[0] += 1
                    if reason != expected:
                        wrong.append((before, reason))

        threads = [threading.Thread(target=decide) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            for i in range(80):
                version[0] += 1
                write = other.withdraw if i % 2 == 0 else other.grant
                write(APP, "s2", "location", evidence=EVIDENCE)
                version[0] += 1
                time.sleep(0.005)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert wrong == [] and checked[0] > 20


def _kill_listeners(url: str) -> list[int]:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )
            return [row.pid for row in rows]
    finally:
        admin.dispose()


def test_a_killed_listener_bypasses_the_cache_until_it_reconnects(
    pg: tuple[str, Services],
) -> None:
    url, services = pg
    _ready(services)
    cache = services.state_cache
    assert cache is not None and cache.feed is not None
    with Engine(url) as other:
        other.accept_policy(APP, "s3", evidence=EVIDENCE)
        other.grant(APP, "s3", "location", evidence=EVIDENCE)
        assert _decide(services.consent, "s3") == "consent"
        assert _decide(services.consent, "s3") == "consent"
        feed = cache.feed
        assert isinstance(feed, ChangeFeed)
        listening = feed.backend_pid
        killed = _kill_listeners(url)
        assert killed == [listening]
        other.withdraw(APP, "s3", "location", evidence=EVIDENCE)  # announced to nobody
        assert _decide(services.consent, "s3") == "consent_withdrawn"
        deadline = time.monotonic() + 10
        while not feed.ready or feed.backend_pid in killed:  # reconnects by itself
            assert _decide(services.consent, "s3") == "consent_withdrawn"
            assert time.monotonic() < deadline, "the listener did not reconnect"
            time.sleep(0.01)
        hits = cache.hits
        other.grant(APP, "s3", "location", evidence=EVIDENCE)
        _caught_up(services)
        for _ in range(3):
            assert _decide(services.consent, "s3") == "consent"
        assert cache.hits > hits  # cached again once the listener is back


def test_an_event_loop_awaits_the_fence_and_decides_without_the_database(
    pg: tuple[str, Services],
) -> None:
    """The on-loop path (``decision_fence``, ``fence_passed``, ``decide_cached``): many
    requests awaiting one fence share it; a withdrawal committed before is seen."""
    import asyncio

    from yinsi.consent import DecisionRequest

    url, services = pg
    _ready(services)
    engine = services.consent
    step = DecisionRequest(LOCATION["element"], LOCATION["purpose"], LOCATION["scenario"])

    async def decide(subject: str) -> str | None:
        fence = engine.decision_fence(APP, subject)
        if fence is None or not await engine.fence_passed(fence):
            return None  # not cached, or the fence failed: the caller reads the database
        decided = engine.decide_cached(APP, subject, [step])
        return None if decided is None else decided[0].reason

    with Engine(url) as other:
        other.accept_policy(APP, "s4", evidence=EVIDENCE)
        other.grant(APP, "s4", "location", evidence=EVIDENCE)
        assert asyncio.run(decide("s4")) is None  # not cached yet
        _caught_up(services)  # else the grant's eviction, still on its way, refuses the fill
        assert _decide(engine, "s4") == "consent"  # cached now

        async def many() -> list[str | None]:
            return await asyncio.gather(*(decide("s4") for _ in range(20)))

        assert asyncio.run(many()) == ["consent"] * 20
        other.withdraw(APP, "s4", "location", evidence=EVIDENCE)
        assert asyncio.run(decide("s4")) is None  # evicted: read the database
        assert _decide(engine, "s4") == "consent_withdrawn"
        assert asyncio.run(decide("s4")) == "consent_withdrawn"
