"""Helpers of :mod:`.rights_batch`: a chunk's store part (its segments, one store each,
erased in set-based statements on the batch's store thread), and the cyclic garbage
collector held back while a batch runs."""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.rights.plan import Step, StepStatus
from yinsi.rights.planner import MATCH, subset
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.rights.predicates import PARENT, by_link

__all__ = [
    "CHUNK",
    "GC_YOUNG",
    "RETRIES",
    "Segment",
    "SetKey",
    "StorePart",
    "batch_runtime",
    "chunk_sizes",
    "erase_segments",
    "erase_sets",
    "erase_where_many",
    "in_segments",
    "preferred_chunk",
    "settled",
]

RETRIES = 2
"""Store transactions of a segment run again after the store rolled one back over a
concurrent one (:attr:`ConnectorError.retryable`: a serialization failure, a deadlock)."""

SetKey = tuple[str, tuple[str, ...] | None, bool]
"""A set of a chunk's steps erased together: dataset, elements (None: all), by predicate."""
Member = tuple[str, int]
"""A step of a chunk: its request and number."""


@dataclass(slots=True)
class Segment:
    """A chunk's leading erase steps on one store, stored ``running`` before the effect."""

    store: str
    running: dict[Member, Step] = field(default_factory=dict)
    """The steps, as stored (running), by request and index in its plan."""
    by_set: dict[SetKey, list[Member]] = field(default_factory=dict)
    """The steps grouped by what one statement erases for all of them."""


@dataclass(slots=True)
class StorePart:
    """What :func:`erase_segments` did: each segment's counts, in order, up to the one
    that failed (``failed``: its index; its requests' own runs say why) or was not
    started (``stale``)."""

    counts: list[dict[Member, int]] = field(default_factory=list)
    failed: int | None = None
    stale: bool = False


def in_segments(
    steps: list[tuple[str, int, Step]], store_of: Callable[[Step], str]
) -> list[Segment]:
    """``steps`` (request, index in its plan, the step started), in their order, as
    segments of one store each, grouped by what one statement erases for all of them."""
    segments: list[Segment] = []
    for request_id, at, step in steps:
        store = store_of(step)
        if not segments or segments[-1].store != store:
            segments.append(Segment(store))
        segment = segments[-1]
        segment.running[(request_id, at)] = step
        elements = step.params.get("elements")
        wanted = None if elements is None else tuple(sorted(str(e) for e in elements))
        key: SetKey = (step.dataset or "", wanted, MATCH in step.params)
        segment.by_set.setdefault(key, []).append((request_id, at))
    return segments


def settled(
    segments: list[Segment], part: StorePart, now: datetime
) -> tuple[dict[Member, Step], list[Step]]:
    """After the store part: the steps of the segments done, finished with their counts,
    and those of the segments not done (failed, or not started), pending again."""
    done: dict[Member, Step] = {}
    for segment, counts in zip(segments, part.counts, strict=False):
        done |= {m: s.finished(now, {"affected": counts[m]}) for m, s in segment.running.items()}
    failed = len(segments) if part.failed is None else part.failed
    again = [
        replace(s, status=StepStatus.PENDING, started_at=None)
        for segment in segments[failed:]
        for s in segment.running.values()
    ]
    return done, again


def erase_segments(
    connectors: Mapping[str, Connector],
    data_map: DataMap,
    segments: list[Segment],
    hash_key: bytes,
    *,
    start_by: float,
    stop: threading.Event,
) -> StorePart:
    """The segments erased in order, each in one transaction of its store (a serialization
    failure runs it again, :data:`RETRIES` times); stops at the first that fails. Runs on
    the batch's store thread and writes nothing of yinsi's own: the caller journals the
    outcome. Nothing starts after ``start_by`` (``time.monotonic()``: the chunk's claims
    may have lapsed meanwhile, its requests then run alone) or once ``stop`` is set
    (``stale``). An unexpected error sets ``stop``: the store parts queued behind start
    nothing, and the batch stops."""
    part = StorePart()
    if stop.is_set() or time.monotonic() > start_by:
        part.stale, part.failed = True, 0
        return part
    try:
        return _erase_segments(connectors, data_map, segments, hash_key, part)
    except BaseException:
        stop.set()
        raise


def _erase_segments(
    connectors: Mapping[str, Connector],
    data_map: DataMap,
    segments: list[Segment],
    hash_key: bytes,
    part: StorePart,
) -> StorePart:
    for at, segment in enumerate(segments):
        connector = connectors[segment.store]
        for attempt in range(1 + RETRIES):
            try:
                counts = erase_sets(connector, data_map, segment.by_set, segment.running, hash_key)
                break
            except (ConnectorError, ValueError) as exc:
                if attempt < RETRIES and isinstance(exc, ConnectorError) and exc.retryable:
                    continue  # rolled back: the same statements again, on a new snapshot
                part.failed = at
                return part
        part.counts.append(counts)
    return part


CHUNK = 250
"""Requests per chunk at most (:func:`chunk_sizes`) unless a store prefers larger sets
(:func:`preferred_chunk`): their claims last the chunk; their sets fill a few IN lists."""
SMALL_ENDS_FROM = 32
"""Requests from which a batch's first and last chunks are small (:func:`chunk_sizes`):
fewer gain less from the overlap than the extra commits cost."""
SWITCH_S = 0.0005
"""CPython's thread switch interval while a batch runs (its default: 5 ms): see
:func:`batch_runtime`."""

GC_YOUNG = 50_000
"""Allocations between two young collections during a batch (CPython's default: 700)."""


def preferred_chunk(data_map: DataMap, connectors: Mapping[str, Connector]) -> int:
    """The chunk a batch runs in: the largest :attr:`~Connector.set_size` of the app's SQL
    stores (their connectors are made, not connected), else :data:`CHUNK`."""
    sizes = [connectors[s.id].set_size for s in data_map.stores if s.kind == "sql"]
    return max([n for n in sizes if n is not None], default=CHUNK)


def chunk_sizes(count: int, chunk: int) -> list[int]:
    """The sizes of the chunks ``count`` requests run in, none above ``chunk``. The chunks
    overlap, except the first's preparation and the last's close: those two chunks are
    small (an eighth of the requests at most, a quarter of ``chunk``), the others even.
    Fewer than :data:`SMALL_ENDS_FROM` requests (or ``chunk`` below 4) have none."""
    if count < 1:
        return []
    edge = min(chunk // 4, count // 8) if count >= SMALL_ENDS_FROM else 0
    if edge < 1:
        return _even(count, chunk)
    return [edge, *_even(count - 2 * edge, chunk), edge]


def _even(count: int, chunk: int) -> list[int]:
    """``count`` in as few parts as hold at most ``chunk`` each, their sizes even."""
    parts = -(-count // chunk)  # ceiling
    even, extra = divmod(count, parts)
    return [even + (1 if n < extra else 0) for n in range(parts)]


@contextmanager
def batch_runtime() -> Iterator[None]:
    """While a batch runs: the objects alive before it are frozen (:func:`gc.freeze`: no
    collection scans them again) and the young generation is collected every
    :data:`GC_YOUNG` allocations, not 700 — a batch makes hundreds of thousands of
    short-lived, acyclic objects (steps, rows, parameters) that reference counting frees.
    Both are restored after (the process may be a long-lived worker), except that a
    process which had frozen objects itself (``yinsi serve`` freezes its start-up) keeps
    everything frozen: :func:`gc.unfreeze` cannot tell its objects from ours, and undoing
    its freeze would cost it more than the batch's survivors do.

    The thread switch interval is :data:`SWITCH_S` meanwhile: when a statement's answer
    arrives, the store thread waits for the main thread (busy journaling) to hand the GIL
    over, up to the interval — 5 ms by default, several times per statement.

    Process-wide: a thread running beside the batch collects less often and switches more
    often meanwhile too."""
    young, *older = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    switch = sys.getswitchinterval()
    gc.freeze()
    gc.set_threshold(max(young, GC_YOUNG), *older)
    sys.setswitchinterval(min(switch, SWITCH_S))
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
        gc.set_threshold(young, *older)
        if not frozen_before:
            gc.unfreeze()


def erase_where_many(
    connector: Connector,
    data_map: DataMap,
    ds: Dataset,
    members: list[tuple[tuple[str, int], Step]],
    hash_key: bytes,
) -> dict[tuple[str, int], int]:
    """Predicate steps of one dataset: one ``DELETE``/``UPDATE … WHERE … IN (:subjects)``
    per parent chain for all their subjects; each step (``(request, n)``) gets its own
    subject's count (:attr:`EraseOutcome.by_subject`), a subject named by two steps
    counted once, for the first."""
    counts: dict[tuple[str, int], int] = {}
    by_via: dict[tuple[str, ...], list[tuple[tuple[str, int], Step]]] = {}
    for member, step in members:
        match = step.params[MATCH]
        via = ("=",) if PARENT in match else tuple(str(d) for d in match.get("via", []))
        by_via.setdefault(via, []).append((member, step))
    for via, group in by_via.items():
        # by its parent rows' link values (PARENT), or by the subject through the chain
        chain = [by_link(data_map, ds)] if via == ("=",) else [data_map.dataset(d) for d in via]
        named = "values" if via == ("=",) else "user_id"
        subjects = {m: [str(x) for x in step.params[MATCH][named]] for m, step in group}
        every = list(dict.fromkeys(x for xs in subjects.values() for x in xs))
        outcome = connector.erase_where(ds, chain, every, hash_key=hash_key)
        by = outcome.by_subject or {}
        given: set[str] = set()
        for member, _ in group:
            mine = [x for x in subjects[member] if x not in given]
            given.update(mine)
            counts[member] = sum(by.get(x, 0) for x in mine)
    return counts


def erase_sets(
    connector: Connector,
    data_map: DataMap,
    by_set: dict[SetKey, list[Member]],
    running: dict[Member, Step],
    hash_key: bytes,
) -> dict[Member, int]:
    """A segment's sets erased in one store transaction, in order; each step's count
    (steps by keys: the keys erased that are the step's, each counted once)."""
    counts: dict[Member, int] = {}
    with connector.session():
        for (dataset, wanted, matched), members in by_set.items():
            full = data_map.dataset(dataset)
            ds = subset(full, wanted) or full
            if matched:
                picked = [(m, running[m]) for m in members]
                counts |= erase_where_many(connector, data_map, ds, picked, hash_key)
                continue
            keys = list(dict.fromkeys(k for m in members for k in running[m].keys))
            outcome = connector.erase(
                ds, keys, hash_key=hash_key, idempotency_key=f"batch:{dataset}"
            )
            left = set(outcome.keys) if outcome.keys is not None else set(keys)
            for member in members:
                mine = left.intersection(running[member].keys)
                left -= mine
                counts[member] = len(mine)
    return counts
