"""Helpers of :mod:`.rights_batch`: one dataset's predicate steps erased for a whole
chunk, and the cyclic garbage collector held back while a batch runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.rights.plan import Step
from yinsi.rights.planner import MATCH, subset
from yinsi.rights.ports import Connector

__all__ = ["GC_YOUNG", "SetKey", "collecting_less", "erase_sets", "erase_where_many"]

SetKey = tuple[str, tuple[str, ...] | None, bool]
"""A set of a chunk's steps erased together: dataset, elements (None: all), by predicate."""
Member = tuple[str, int]
"""A step of a chunk: its request and number."""

GC_YOUNG = 50_000
"""Allocations between two young collections during a batch (CPython's default: 700)."""


@contextmanager
def collecting_less() -> Iterator[None]:
    """While a batch runs: the objects alive before it are frozen (:func:`gc.freeze`: no
    collection scans them again) and the young generation is collected every
    :data:`GC_YOUNG` allocations, not 700 — a batch makes hundreds of thousands of
    short-lived, acyclic objects (steps, rows, parameters) that reference counting frees.
    Both are restored after (the process may be a long-lived worker), except that a
    process which had frozen objects itself (``yinsi serve`` freezes its start-up) keeps
    everything frozen: :func:`gc.unfreeze` cannot tell its objects from ours, and undoing
    its freeze would cost it more than the batch's survivors do. Process-wide: a thread
    running beside the batch collects less often meanwhile too."""
    young, *older = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(max(young, GC_YOUNG), *older)
    try:
        yield
    finally:
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
        via = tuple(str(d) for d in step.params[MATCH].get("via", []))
        by_via.setdefault(via, []).append((member, step))
    for via, group in by_via.items():
        chain = [data_map.dataset(d) for d in via]
        subjects = {m: [str(x) for x in step.params[MATCH]["user_id"]] for m, step in group}
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
