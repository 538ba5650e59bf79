"""The change feed driven by a server's event loop (issue 16, point 2: decisions at speed).

``yinsi serve`` binds each process's change feed to its event loop at start-up
(:meth:`ConsentStateCache.serve_on_loop`): the listening connection is then a reader of
the loop, and a fence is a ``SELECT 1`` sent from the loop, with no thread in between.
These tests run that mode on a scratch PostgreSQL database: the guarantee (a decision
that starts after a change committed sees it) under concurrent writes, fences shared by
the decisions waiting together, fences asked for from another thread, a killed listener
connection, and shutting the loop down.
"""

from __future__ import annotations

import asyncio
import threading
import time

from decision_cache_fixtures import listeners, pg
from yinsi.consent import Channel, DecisionRequest, Evidence
from yinsi.services.consent import Engine
from yinsi.services.consent_cache import ConsentStateCache
from yinsi.services.root import Services
from yinsi.storage.notify import ChangeFeed

pytest_plugins = ["storage_fixtures"]
__all__ = ["pg"]  # the fixture

APP = "xiaoying_kadai"
EVIDENCE = Evidence(Channel.APP, account="acct", signature_sha256="0" * 64)
STEP = DecisionRequest("precise_location", "anti_fraud", "location")


def _parts(services: Services) -> tuple[ConsentStateCache, ChangeFeed]:
    cache = services.state_cache
    assert cache is not None and isinstance(cache.feed, ChangeFeed)
    return cache, cache.feed


async def _bound(services: Services) -> None:
    """Bind the feed to the running loop (as the server's start-up does), start it."""
    cache, feed = _parts(services)
    await cache.serve_on_loop()
    services.consent.decision_fence(APP, "warm-up")  # the first decision starts it
    deadline = time.monotonic() + 10
    while not feed.ready:
        assert time.monotonic() < deadline, "the change listener did not connect"
        await asyncio.sleep(0.01)
    assert feed.driven_here and feed._thread is None  # no listener thread


async def _decide(services: Services, subject: str) -> str:
    """What the route does: on the loop behind a fence when cached, else in the executor."""
    engine = services.consent
    fence = engine.decision_fence(APP, subject)
    if fence is not None and await engine.fence_passed(fence):
        decided = engine.decide_cached(APP, subject, [STEP])
        if decided is not None:
            return decided[0].reason
    loop = asyncio.get_running_loop()
    batch = await loop.run_in_executor(None, engine.decide_batch, APP, subject, [STEP])
    return batch[0].reason


def test_x29_on_the_loop_a_decision_never_sees_a_state_older_than_a_committed_change(
    pg: tuple[str, Services],
) -> None:
    """Decisions on the loop while another engine flips a consent in a thread: one that
    ran wholly between two writes answers by the last committed one; and decisions that
    wait together share fences."""
    url, services = pg
    cache, _ = _parts(services)
    version = [0]  # odd while a write is in progress
    wrong: list[tuple[int, str]] = []
    checked = [0]

    with Engine(url) as other:
        other.accept_policy(APP, "s1", evidence=EVIDENCE)
        other.grant(APP, "s1", "location", evidence=EVIDENCE)

        def flip(stop: threading.Event) -> None:
            for i in range(60):
                version[0] += 1
                write = other.withdraw if i % 2 == 0 else other.grant
                write(APP, "s1", "location", evidence=EVIDENCE)
                version[0] += 1
                time.sleep(0.005)
            stop.set()

        async def decider(stop: threading.Event) -> None:
            while not stop.is_set():
                before = version[0]
                reason = await _decide(services, "s1")
                if before % 2 == 0 and version[0] == before:
                    checked[0] += 1
                    expected = "consent_withdrawn" if before // 2 % 2 else "consent"
                    if reason != expected:
                        wrong.append((before, reason))

        async def main() -> None:
            await _bound(services)
            stop = threading.Event()
            writer = threading.Thread(target=flip, args=(stop,))
            writer.start()
            try:
                await asyncio.gather(*(decider(stop) for _ in range(8)))
            finally:
                writer.join()
            await cache.stop_serving_on_loop()

        asyncio.run(main())
    assert wrong == [] and checked[0] > 20
    assert cache.hits > 0


def test_fences_from_the_loop_and_from_threads_and_a_killed_connection(
    pg: tuple[str, Services],
) -> None:
    url, services = pg
    cache, feed = _parts(services)

    async def main() -> None:
        await _bound(services)
        with Engine(url) as other:
            other.accept_policy(APP, "s2", evidence=EVIDENCE)
            other.grant(APP, "s2", "location", evidence=EVIDENCE)
            await asyncio.wrap_future(feed.fence())  # else its eviction may refuse the fill
            assert await _decide(services, "s2") == "consent"  # a miss fills
            hits = cache.hits
            assert (
                await asyncio.gather(*(_decide(services, "s2") for _ in range(20)))
                == ["consent"] * 20
            )
            assert cache.hits >= hits + 20
            loop = asyncio.get_running_loop()
            # a fence asked for from another thread is sent by the loop
            waited = await loop.run_in_executor(None, lambda: feed.fence().result(5))
            assert waited is None
            other.withdraw(APP, "s2", "location", evidence=EVIDENCE)
            assert await _decide(services, "s2") == "consent_withdrawn"
            # the sync path (an executor thread) uses the cache behind a loop fence too
            hits = cache.hits
            decided = await loop.run_in_executor(
                None, services.consent.decide_batch, APP, "s2", [STEP]
            )
            assert decided[0].reason == "consent_withdrawn" and cache.hits == hits + 1
            # on the loop itself the sync path must not wait for a fence: it reads
            bypassed = cache.bypassed
            assert services.consent.decide_batch(APP, "s2", [STEP])[0].reason == (
                "consent_withdrawn"
            )
            assert cache.bypassed == bypassed + 1

            listening = feed.backend_pid
            watched = feed._fd
            assert watched is not None and watched in loop._selector.get_map()  # type: ignore[attr-defined]
            assert listeners(url, kill=True) == [listening]
            other.grant(APP, "s2", "location", evidence=EVIDENCE)  # announced to nobody
            lost_seen = False
            deadline = time.monotonic() + 10
            while not feed.ready or feed.backend_pid == listening:  # reconnects on the loop
                assert await _decide(services, "s2") == "consent"
                assert time.monotonic() < deadline, "the listener did not reconnect"
                await asyncio.sleep(0.01)
                if feed._fd is None:  # lost, not reconnected yet: its socket is unwatched
                    # (a registration left behind would be taken by the next socket given
                    # that number, a client's, never read: the drill "connections killed"
                    # hung 30 s on exactly that)
                    lost_seen = True
                    assert watched not in loop._selector.get_map()  # type: ignore[attr-defined]
            assert feed._thread is None and lost_seen
            other.withdraw(APP, "s2", "location", evidence=EVIDENCE)
            assert await _decide(services, "s2") == "consent_withdrawn"
            assert await _decide(services, "s2") == "consent_withdrawn"
        await cache.stop_serving_on_loop()
        assert not feed.ready and listeners(url) == []  # closed with the loop

    asyncio.run(main())
    # after the loop: the sync path listens in a thread again
    with Engine(url) as other:
        other.grant(APP, "s2", "location", evidence=EVIDENCE)
    services.consent.decide(APP, "s2", **_step())
    deadline = time.monotonic() + 10
    while not feed.ready:
        assert time.monotonic() < deadline, "the thread listener did not connect"
        time.sleep(0.02)
    assert feed._thread is not None
    assert services.consent.decide(APP, "s2", **_step()).reason == "consent"


def _step() -> dict[str, str]:
    return {"element": STEP.element, "purpose": STEP.purpose, "scenario": STEP.scenario}
