"""A batch's chunks overlap (issue 16): each chunk's store part runs on the batch's store
thread while the main thread prepares the next chunk and closes the previous one.

What must hold whatever the overlap: the store parts run one after another in the chunks'
order; a store part that fails sends its requests to run alone and does not stop the next
chunk; an error while preparing a chunk still journals and closes the chunk before it;
a store part whose claims may have lapsed starts nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from itertools import accumulate, pairwise
from pathlib import Path
from typing import ClassVar

import pytest

from erasure_sets_fixtures import (
    SUBJECTS,
    Crash,
    CrashAfterCommit,
    Grouped,
    app_database,
    approved,
    cells,
    fill,
    open_copy,
)
from yinsi.declaration.datamap import Dataset
from yinsi.rights.plan import Action, StepStatus
from yinsi.rights.ports import ConnectorError, EraseOutcome
from yinsi.rights.requests import Status
from yinsi.services import rights_batch
from yinsi.services.rights_batch import run_many
from yinsi.services.rights_batch_sets import (
    CHUNK,
    Segment,
    chunk_sizes,
    erase_segments,
    preferred_chunk,
)

pytest_plugins = ["storage_fixtures"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[str]:
    with app_database("postgresql", tmp_path) as url:
        fill(url)
        yield url


class Watched(Grouped):
    """Erases by predicate like the store, recording each call's thread and subjects;
    ``fail_first``: the first call raises a store error (its transaction rolls back)."""

    calls: ClassVar[list[tuple[str, tuple[str, ...]]]] = []
    fail_first: ClassVar[bool] = False

    @property
    def erases_where(self) -> bool:
        return True

    def erase_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str], *, hash_key: bytes
    ) -> EraseOutcome:
        Watched.calls.append((threading.current_thread().name, tuple(subjects)))
        if Watched.fail_first and len(Watched.calls) == 1:
            raise ConnectorError("app", "the store went away (test)")
        return self.inner.erase_where(dataset, via, subjects, hash_key=hash_key)


@pytest.fixture
def watched() -> Iterator[type[Watched]]:
    Watched.calls, Watched.fail_first = [], False
    yield Watched
    Watched.calls, Watched.fail_first = [], False


def _requests(app: str, tmp_path: Path) -> list[str]:
    with open_copy(app, "a", tmp_path) as services:
        return [approved(services, s, n) for n, s in enumerate(SUBJECTS, start=1)]


def _erased_alike(app: str, tmp_path: Path) -> None:
    """Copy ``a`` (erased by the batch) holds what copy ``b`` holds once each request
    ran alone."""
    with open_copy(app, "b", tmp_path) as services:
        for request_id in [approved(services, s, n) for n, s in enumerate(SUBJECTS, start=1)]:
            services.rights.run(request_id, actor="test")
    assert list(cells(app, "a").values()) == list(cells(app, "b").values())


def test_store_parts_run_on_the_store_thread_in_the_chunks_order(
    app: str, tmp_path: Path, watched: type[Watched]
) -> None:
    ids = _requests(app, tmp_path)
    with open_copy(app, "a", tmp_path, watched) as services:
        report = run_many(services.rights, ids, actor="test", chunk=3)
    assert set(report.status.values()) == {Status.COMPLETED} and report.set_based > 0
    assert {name for name, _ in watched.calls} == {"yinsi-batch-store_0"}
    order = [tuple(sorted(subjects)) for _, subjects in watched.calls]
    sizes = chunk_sizes(len(SUBJECTS), 3)
    bounds = list(accumulate(sizes, initial=0))
    chunks = [tuple(SUBJECTS[low:high]) for low, high in pairwise(bounds)]
    assert len(chunks) > 2 and max(sizes) <= 3
    assert list(dict.fromkeys(order)) == chunks  # every set of chunk 1, then chunk 2, …
    _erased_alike(app, tmp_path)


def test_a_failed_store_part_runs_its_requests_alone_and_the_next_chunk_goes_on(
    app: str, tmp_path: Path, watched: type[Watched]
) -> None:
    watched.fail_first = True
    ids = _requests(app, tmp_path)
    with open_copy(app, "a", tmp_path, watched) as services:
        report = run_many(services.rights, ids, actor="test", chunk=4)
        steps = {i: services.rights.steps(i) for i in ids}
    first = chunk_sizes(len(ids), 4)[0]
    assert set(report.status.values()) == {Status.COMPLETED} and not report.skipped
    assert report.set_based == sum(len(steps[i]) for i in ids[first:])  # the next: set-based
    _erased_alike(app, tmp_path)


def test_an_error_preparing_a_chunk_still_closes_the_chunk_before_it(
    app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _requests(app, tmp_path)
    real = rights_batch.chunk_plans
    calls = []

    def failing_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("planning broke (test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(rights_batch, "chunk_plans", failing_second)
    with open_copy(app, "a", tmp_path) as services:
        with pytest.raises(RuntimeError, match="planning broke"):
            run_many(services.rights, ids, actor="test", chunk=4)
        size = chunk_sizes(len(ids), 4)[0]
        first = [services.rights.get(i).status for i in ids[:size]]
        monkeypatch.setattr(rights_batch, "chunk_plans", real)
        again = run_many(services.rights, ids[size:], actor="test")  # claims were released
    assert first == [Status.COMPLETED] * size
    assert set(again.status.values()) == {Status.COMPLETED} and not again.skipped
    _erased_alike(app, tmp_path)


def test_a_store_part_whose_claims_may_have_lapsed_starts_nothing(
    app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watched: type[Watched]
) -> None:
    """Nothing is erased by the store part; its requests run alone, each with its own
    claim, and end as they would have."""
    idle = threading.Event()
    part = erase_segments(
        {}, None, [Segment("app")], b"k", start_by=time.monotonic() - 1, stop=idle
    )  # type: ignore[arg-type]
    assert part.stale and part.failed == 0 and part.counts == []
    idle.set()
    part = erase_segments(
        {}, None, [Segment("app")], b"k", start_by=time.monotonic() + 9, stop=idle
    )  # type: ignore[arg-type]
    assert part.stale and part.counts == []
    real = rights_batch.erase_segments

    def lapsed(*args, start_by: float, stop: threading.Event):  # type: ignore[no-untyped-def]
        return real(*args, start_by=time.monotonic() - 1, stop=stop)

    monkeypatch.setattr(rights_batch, "erase_segments", lapsed)
    ids = _requests(app, tmp_path)
    with open_copy(app, "a", tmp_path, watched) as services:
        report = run_many(services.rights, ids, actor="test", chunk=4)
    assert set(report.status.values()) == {Status.COMPLETED} and not report.skipped
    assert report.set_based == 0
    assert {name for name, _ in watched.calls} == {"MainThread"}  # alone, on the main thread
    _erased_alike(app, tmp_path)


def test_a_store_part_that_dies_stops_the_batch_and_a_rerun_erases_once(
    app: str, tmp_path: Path
) -> None:
    """The first chunk's store part dies after its store committed: the chunk queued
    behind erases nothing (its steps pending again, claims released), no chunk after it
    starts, and nothing runs alone; a second batch completes every request, each effect
    once."""
    ids = _requests(app, tmp_path)
    sizes = chunk_sizes(len(ids), 3)
    assert len(sizes) > 2
    with open_copy(app, "a", tmp_path, wrapper=CrashAfterCommit) as services:
        with pytest.raises(Crash):
            run_many(services.rights, ids, actor="test", chunk=3)
        status = [services.rights.get(i).status for i in ids]
        second = [services.rights.steps(i) for i in ids[sizes[0] : sizes[0] + sizes[1]]]
        busy = [services.rights.leases.busy_for(i) for i in ids]
    first, queued, never = sizes[0], sizes[1], len(ids) - sizes[0] - sizes[1]
    assert status == [Status.EXECUTING] * (first + queued) + [Status.APPROVED] * never
    assert all(s.status is StepStatus.PENDING for steps in second for s in steps)
    assert busy == [0.0] * len(ids)
    with open_copy(app, "a", tmp_path) as services:
        report = run_many(services.rights, ids, actor="test", chunk=3)
        erased = {
            i: [s.outcome["affected"] for s in services.rights.steps(i) if s.action is Action.ERASE]
            for i in ids
        }
    assert report.status == dict.fromkeys(ids, Status.COMPLETED)
    assert {n for i in ids[:first] for n in erased[i]} == {0}  # erased by the first batch
    assert all(sum(erased[i]) > 0 for i in ids[first:])
    _erased_alike(app, tmp_path)


def test_chunk_sizes_are_small_at_both_ends_and_cover_every_request() -> None:
    assert chunk_sizes(1000, 250) == [62, 219, 219, 219, 219, 62]
    assert chunk_sizes(50, 250) == [6, 38, 6]
    assert chunk_sizes(1, 250) == [1] and chunk_sizes(0, 250) == []
    assert chunk_sizes(31, 250) == [31] and chunk_sizes(8, 4) == [4, 4]
    assert chunk_sizes(32, 8) == [2, 7, 7, 7, 7, 2]
    for count in range(1, 300):
        for chunk in (1, 2, 3, 4, 250):
            sizes = chunk_sizes(count, chunk)
            assert sum(sizes) == count and max(sizes) <= chunk and min(sizes) >= 1


@pytest.mark.parametrize(("backend", "chunk"), [("mariadb", 1000), ("postgresql", CHUNK)])
def test_a_batch_runs_in_the_chunks_its_stores_prefer(
    backend: str, chunk: int, tmp_path: Path
) -> None:
    """MariaDB pays a fixed cost per statement: a batch erases there in sets of up to
    1,000 subjects; PostgreSQL keeps :data:`CHUNK` (its statements overlap the journal)."""
    with app_database(backend, tmp_path) as url, open_copy(url, "a", tmp_path) as services:
        assert services.connectors["app"].set_size == (None if chunk == CHUNK else chunk)
        assert preferred_chunk(services.data_map, services.connectors) == chunk
