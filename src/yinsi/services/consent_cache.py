"""Subjects' consent states kept in memory for decisions, never served stale.

A bounded LRU cache in front of the one read a decision needs (the subject's state row),
kept fresh by a change feed (:class:`~yinsi.storage.notify.ChangeFeed`, PostgreSQL
``LISTEN``/``NOTIFY``): every committed change of a subject's state, by any process,
evicts the subject here. The guarantee (``docs/scaling.md``):

    A decision that starts after a change of the subject's state has committed — in
    this process or any other — is decided on the changed state.

How it holds:

- **A hit is used only behind a fence.** The decision asks the feed for a fence after it
  has found the entry and waits for it: the fence completes once the listener has
  received every notification of every transaction committed before the fence was
  asked for (one ``SELECT 1`` on the listening connection, shared by every decision
  waiting at that moment). Then the entry is looked up again: a change committed before
  the decision started has evicted it by now.
- **A fill cannot store a state older than an eviction.** A miss reads the database and
  stores what it read only if no eviction of that subject (and no reset) was recorded
  since the read began: a change committed while the read ran is evicted after it, or
  refused before it is stored.
- **No listener, no cache.** While the feed is not connected, or a fence fails or takes
  longer than ``fence_wait_s``, decisions read the database and nothing is stored; each
  (re)connection and each lost connection empties the cache.

**The bound, on an event loop.** A server binds the feed to its loop at start-up
(:meth:`ConsentStateCache.serve_on_loop`; ``yinsi serve`` does, through
:func:`yinsi.server.create_app`): the listening connection is then read by the loop and
a fence is a ``SELECT 1`` the loop sends itself. A decision on the loop asks for its fence
(:meth:`fence_for`) after it has found the entry; the fence's ``SELECT 1`` goes out at
the end of the loop's pass (shared with every decision that pass starts), or — when one
is in flight, sent before the decision asked — as the next one, right after
that answer. Either way the decision is answered only after the answer to a ``SELECT 1``
sent after it asked, so every change committed before it asked has evicted its subject:
no staleness window, as with the thread. Decisions waiting at the same moment share one
round trip; when one completes it settles their waiter on the loop directly (no
``call_soon_threadsafe``). A synchronous read on that loop's own thread (which must not
block it waiting for the fence) reads the database instead.

A subject's state changes only through the ledger, which announces every change in the
changing transaction (:func:`yinsi.storage.notify.announce`). A write made with plain
SQL behind yinsi's back (or a restore) is not announced: send
``NOTIFY yinsi_consent, '*'`` after it and every process empties its cache.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FenceTimeout
from datetime import datetime
from typing import Protocol
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine as SqlEngine

from yinsi.consent import ConsentState
from yinsi.settings.cache import CacheSettings
from yinsi.storage.notify import ChangeFeed

__all__ = ["ConsentStateCache", "Fences", "LoopFences", "state_cache"]

Key = tuple[str, str]
Row = tuple[str | None, str | None, int, int, int, int, datetime | None]
"""A cached state as stored: (accepted_version, declined_version, granted, withdrawn,
restricted, last_seq, updated_at), the three item sets as numbers in the cache's table of
sets. Only atomic values: the garbage collector stops tracking such a tuple, so cached
states add nothing to its full collections, which stop the whole process (kept as
``ConsentState`` objects, 100,000 of them made the first full collection after they were
filled take 0.6 s; as tuples 0.12 s, measured at a load average of 4–5). A hit builds
the ``ConsentState`` again (about 2.5 µs)."""

MAX_EVICTIONS_KEPT = 10_000
"""Evictions remembered per subject to refuse stale fills; older ones count as a reset."""


class Fences(Protocol):
    """What the cache needs of a change feed (:class:`~yinsi.storage.notify.ChangeFeed`)."""

    @property
    def ready(self) -> bool: ...

    def start(self) -> None: ...

    def fence(self) -> Future[None]: ...

    def close(self) -> None: ...


def state_cache(database: SqlEngine, settings: CacheSettings) -> ConsentStateCache | None:
    """The decisions' state cache of a process on ``database``, with its change feed
    (started on the first decision); None on SQLite and MariaDB (no change feed: another
    process's write would go unseen) or when ``cache.consent_states`` is 0."""
    if database.dialect.name != "postgresql" or settings.consent_states == 0:
        return None
    cache = ConsentStateCache(settings.consent_states, fence_wait_s=settings.fence_wait_s)
    cache.attach(ChangeFeed(database, cache.evict, cache.clear))
    return cache


class LoopFences:
    """Fences awaited on one event loop: every request waiting for the same fence is
    settled by one callback on the loop (one wake-up of the loop per fence, not one per
    request), with False if the fence has not completed after ``wait_s``.

    Each request awaits a future of its own, set directly when the fence settles: a
    request cancelled (its client gone) cancels only that future, and the wake-up costs
    one step of its task (``asyncio.shield`` around one shared future cost two more
    callbacks a request). A request that comes when its fence has settled already gets
    the answer without waiting."""

    def __init__(self, wait_s: float) -> None:
        self._wait_s = wait_s
        self._fence: Future[None] | None = None
        self._waiters: _Waiters | None = None

    async def passed(self, fence: Future[None]) -> bool:
        """Whether ``fence`` completed (False: it failed or took longer than ``wait_s``)."""
        waiters = self._waiters
        if fence is not self._fence or waiters is None:
            waiters = self._waiters = _Waiters(asyncio.get_running_loop(), self._wait_s)
            self._fence = fence
            fence.add_done_callback(waiters.fence_done)  # at once when already done
        if waiters.result is not None:
            return waiters.result
        mine: asyncio.Future[bool] = waiters.loop.create_future()
        waiters.futures.append(mine)
        return await mine


class _Waiters:
    """The requests waiting on one fence on one loop, and its outcome once settled."""

    def __init__(self, loop: asyncio.AbstractEventLoop, wait_s: float) -> None:
        self.loop = loop
        self.futures: list[asyncio.Future[bool]] = []
        self.result: bool | None = None
        self._timer = loop.call_later(wait_s, self.settle, False)

    def fence_done(self, finished: Future[None]) -> None:
        """The fence's callback, on the loop that drives the feed or on the thread that
        completed it (then the loop is woken)."""
        ok = finished.exception() is None
        if asyncio._get_running_loop() is self.loop:  # a feed driven by this loop
            self.settle(ok)
        else:  # the listener thread: wake the loop
            self.loop.call_soon_threadsafe(self.settle, ok)

    def settle(self, ok: bool) -> None:
        """On the loop: the first outcome (the fence's, or the timer's False) is final."""
        if self.result is not None:
            return
        self.result = ok
        self._timer.cancel()
        futures, self.futures = self.futures, []
        for future in futures:
            if not future.done():  # a cancelled request's
                future.set_result(ok)


class ConsentStateCache:
    """At most ``max_states`` states, least recently used dropped first."""

    def __init__(self, max_states: int, *, fence_wait_s: float = 1.0) -> None:
        if max_states < 1:
            raise ValueError(f"cache.consent_states must be at least 1 (got {max_states})")
        self.max_states = max_states
        self._wait_s = fence_wait_s
        self._states: OrderedDict[Key, Row] = OrderedDict()
        self._sets: dict[frozenset[str], int] = {}
        self._set_list: list[frozenset[str]] = []
        """The item sets of cached states, each once (equal sets of subjects share it)."""
        self._evicted: OrderedDict[Key, int] = OrderedDict()
        self._seq = 0
        """Counts evictions and resets; a fill is stored only if none touched it since."""
        self._floor = 0
        """Fills that began before this count are refused (a reset, or evictions forgotten)."""
        self._lock = threading.Lock()
        self._feed: Fences | None = None
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, LoopFences] = WeakKeyDictionary()
        self.hits = 0
        self.misses = 0
        self.bypassed = 0

    def attach(self, feed: Fences) -> None:
        """Use ``feed``'s fences (set once, when built); it starts on the first read."""
        self._feed = feed

    @property
    def feed(self) -> Fences | None:
        return self._feed

    async def serve_on_loop(self) -> None:
        """Have the change feed driven by the running event loop (a server's start-up):
        fences asked for on it cost no thread hop (:meth:`ChangeFeed.bind`)."""
        if isinstance(self._feed, ChangeFeed):
            self._feed.bind(asyncio.get_running_loop())

    async def stop_serving_on_loop(self) -> None:
        """The server's loop stops: close the feed's connection there (a later read
        listens in a thread again)."""
        if isinstance(self._feed, ChangeFeed):
            await self._feed.unbind()

    def close(self) -> None:
        """Stop the change feed; from now on every read loads."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
        self.clear()

    def __len__(self) -> int:
        return len(self._states)

    # ------------------------------------------------------------ reads

    def read(self, app_id: str, subject_id: str, load: Callable[[], ConsentState]) -> ConsentState:
        """The subject's state: cached behind a fence (waited for here), else ``load()``ed
        (and stored)."""
        fence = self.fence_for(app_id, subject_id)
        if fence is not None:
            if isinstance(self._feed, ChangeFeed) and self._feed.driven_here:
                self.bypassed += 1  # blocking here would stall the loop the fence needs
                return load()
            try:
                fence.result(self._wait_s)
            except (FenceTimeout, RuntimeError):  # FeedDown, or the wait ran out
                self.bypassed += 1
                return load()
            state = self.confirmed(app_id, subject_id)
            if state is not None:
                return state
        return self.fill(app_id, subject_id, load)

    @property
    def fence_wait_s(self) -> float:
        """How long a hit may wait for its fence before the state is read instead."""
        return self._wait_s

    def fence_for(self, app_id: str, subject_id: str) -> Future[None] | None:
        """For a subject cached now: the fence its cached state must wait for before
        :meth:`confirmed` (an event loop awaits it instead of blocking); None when the
        subject is not cached or the feed is down (then :meth:`fill`)."""
        feed = self._feed
        if feed is None or not feed.ready:
            if feed is not None:
                feed.start()  # once; reconnecting is the feed's own business
            return None
        if (app_id, subject_id) not in self._states:
            return None
        return feed.fence()

    async def passed(self, fence: Future[None]) -> bool:
        """Await ``fence`` on the running event loop (requests awaiting the same fence share
        one wake-up); False when it failed or took longer than ``fence_wait_s``."""
        loop = asyncio.get_running_loop()
        fences = self._loops.get(loop)
        if fences is None:
            fences = self._loops[loop] = LoopFences(self._wait_s)
        return await fences.passed(fence)

    def confirmed(self, app_id: str, subject_id: str) -> ConsentState | None:
        """After the subject's fence completed: its cached state, or None when a change
        evicted it meanwhile (then :meth:`fill`)."""
        key = (app_id, subject_id)
        with self._lock:
            row = self._states.get(key)
            if row is None:
                return None
            self._states.move_to_end(key)
            self.hits += 1
            sets = self._set_list
            accepted, declined, granted, withdrawn, restricted, last_seq, updated_at = row
            items = sets[granted], sets[withdrawn], sets[restricted]  # before a clear()
        return ConsentState(
            app_id,
            subject_id,
            accepted,
            declined,
            *items,
            last_seq,
            updated_at,
        )

    def fill(self, app_id: str, subject_id: str, load: Callable[[], ConsentState]) -> ConsentState:
        """``load()`` the subject's state and store it unless a change may have raced the
        read (or the feed is down)."""
        feed = self._feed
        if feed is None or not feed.ready:
            self.bypassed += 1
            return load()
        return self._fill((app_id, subject_id), load, feed)

    def _fill(self, key: Key, load: Callable[[], ConsentState], feed: Fences) -> ConsentState:
        self.misses += 1
        with self._lock:
            began = self._seq
        state = load()
        if not feed.ready:
            return state
        with self._lock:
            if began < self._floor or self._evicted.get(key, -1) > began:
                return state  # changed (or possibly changed) while it was read
            self._states[key] = self._compact(state)
            self._states.move_to_end(key)
            while len(self._states) > self.max_states:
                self._states.popitem(last=False)
        return state

    def _compact(self, state: ConsentState) -> Row:
        """The state as stored (:data:`Row`), its item sets numbered in the shared table;
        under the lock."""
        if len(self._set_list) > 4 * self.max_states:  # sets of states long dropped
            self._states.clear()  # only forgets: every later read loads again
            self._sets.clear()
            self._set_list.clear()
        number = self._set_number
        return (
            state.accepted_version,
            state.declined_version,
            number(state.granted),
            number(state.withdrawn),
            number(state.restricted),
            state.last_seq,
            state.updated_at,
        )

    def _set_number(self, items: frozenset[str]) -> int:
        found = self._sets.get(items)
        if found is None:
            found = self._sets[items] = len(self._set_list)
            self._set_list.append(items)
        return found

    # ------------------------------------------------------------ invalidation

    def evict(self, app_id: str, subject_id: str) -> None:
        """The subject's state changed (a notification, or a write of this process)."""
        key = (app_id, subject_id)
        with self._lock:
            self._seq += 1
            self._states.pop(key, None)
            self._evicted[key] = self._seq
            self._evicted.move_to_end(key)
            if len(self._evicted) > MAX_EVICTIONS_KEPT:
                _, forgotten = self._evicted.popitem(last=False)
                self._floor = max(self._floor, forgotten)

    def clear(self) -> None:
        """Forget every state, and refuse every fill that began before now."""
        with self._lock:
            self._seq += 1
            self._floor = self._seq
            self._states.clear()
            self._evicted.clear()
            self._sets.clear()
            self._set_list.clear()
