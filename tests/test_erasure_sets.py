"""Set-based erasure (issue 16, point 3): grouped steps, crashes mid-group, batches.

Each test erases copy ``a`` of an app database one way and copy ``b`` another (or not
at all) and compares them cell by cell, on SQLite, PostgreSQL and MariaDB. yinsi's own
database is a SQLite file per copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

import erasure_sets_fixtures
from erasure_sets_fixtures import (
    SUBJECTS,
    Crash,
    Delegate,
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
from yinsi.services.rights_batch import run_many

pytest_plugins = ["storage_fixtures"]

BACKENDS = ["sqlite", "postgresql", "mariadb"]


class Ungrouped(Delegate):
    """The same store without sessions: every step in its own transaction, as before
    (erasing by predicate where the store can: the plans stay the same)."""

    @property
    def erases_where(self) -> bool:
        return self.inner.erases_where

    def erase_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str], *, hash_key: bytes
    ) -> EraseOutcome:
        return self.inner.erase_where(dataset, via, subjects, hash_key=hash_key)


class CrashAfterCommit(erasure_sets_fixtures.CrashAfterCommit):
    """Groups like SQL, erases by keys only, and dies right after the store commits a group
    of erasures (before the journal's commit)."""

    @property
    def erases_where(self) -> bool:
        return False


class CrashBeforeCommit(CrashAfterCommit):
    """Dies after a group's statements ran, before the store's commit."""

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.inner.session():
            yield
            if self.erased:
                raise Crash("killed before the store committed")


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        fill(url)
        yield url


def _requests(url: str, copy: str, folder: Path, subjects: list[str]) -> list[str]:
    """Approved deletion requests of ``subjects``; a legal hold keeps u003's logins."""
    with open_copy(url, copy, folder) as services:
        services.rights.add_hold(SUBJECTS[2], "诉讼保全", actor="test", dataset="logins")
        return [approved(services, s, SUBJECTS.index(s) + 1) for s in subjects]


def _run_each(
    url: str, copy: str, folder: Path, ids: list[str], wrapper: type[Delegate] | None = None
) -> list[Status]:
    with open_copy(url, copy, folder, wrapper) as services:
        return [services.rights.run(i, actor="test").status for i in ids]


def test_x28_grouped_erasure_equals_step_by_step_cell_by_cell(app: str, tmp_path: Path) -> None:
    subjects = SUBJECTS[:5]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    assert _run_each(app, "a", tmp_path, a) == _run_each(app, "b", tmp_path, b, wrapper=Ungrouped)
    ours, theirs = cells(app, "a"), cells(app, "b")
    assert ours == theirs
    assert [r[0] for r in ours["orders"]] == [n * 10 + o for n in range(6, 9) for o in range(n % 4)]
    assert len(ours["logins"]) == 3 + 3 * 3  # the held subject's and three untouched
    with open_copy(app, "a", tmp_path) as sa, open_copy(app, "b", tmp_path) as sb:
        for x, y in zip(a, b, strict=True):
            grouped, plain = sa.rights.steps(x), sb.rights.steps(y)
            assert [(s.action, s.dataset, s.outcome) for s in grouped] == [
                (s.action, s.dataset, s.outcome) for s in plain
            ]
            assert all(s.status is StepStatus.DONE and s.attempts == 1 for s in grouped)
        assert sa.rights.get(a[2]).status is Status.PARTIALLY_COMPLETED  # logins held


@pytest.mark.parametrize("crash", [CrashAfterCommit, CrashBeforeCommit])
def test_crash_mid_group_then_rerun_erases_once(
    app: str, tmp_path: Path, crash: type[Delegate]
) -> None:
    subjects = SUBJECTS[:4]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    _run_each(app, "b", tmp_path, b, wrapper=Ungrouped)
    before = cells(app, "a")
    with open_copy(app, "a", tmp_path, wrapper=crash) as services:
        with pytest.raises(Crash):
            services.rights.run(a[1], actor="test")
        steps = services.rights.steps(a[1])
        erase = [s for s in steps if s.action is Action.ERASE]
        assert len(erase) > 1 and all(s.status is StepStatus.RUNNING for s in erase)
        assert services.rights.get(a[1]).status is Status.EXECUTING
    after_crash = cells(app, "a")
    if crash is CrashBeforeCommit:
        assert after_crash == before  # rolled back: nothing of the group happened
    else:
        assert after_crash != before
    assert _run_each(app, "a", tmp_path, a) == [
        Status.COMPLETED,
        Status.COMPLETED,
        Status.PARTIALLY_COMPLETED,
        Status.COMPLETED,
    ]
    assert cells(app, "a") == cells(app, "b")  # same cells: no effect doubled or lost
    with open_copy(app, "a", tmp_path) as services:
        steps = services.rights.steps(a[1])
        assert all(s.status is StepStatus.DONE for s in steps)
        assert {s.attempts for s in steps if s.action is Action.ERASE} == {2}


def test_x28_batch_of_subjects_equals_one_run_each(app: str, tmp_path: Path) -> None:
    subjects = SUBJECTS[:6]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    with open_copy(app, "a", tmp_path) as services:
        report = run_many(services.rights, a, actor="test", chunk=4)
        assert report.set_based > 0 and not report.skipped and not report.failed
        batch = [report.status[i] for i in a]
        batch_steps = [services.rights.steps(i) for i in a]
        answers = [services.rights.get(i).answer for i in a]
    assert batch == _run_each(app, "b", tmp_path, b)
    assert cells(app, "a") == cells(app, "b")
    with open_copy(app, "b", tmp_path) as services:
        for steps, other in zip(batch_steps, b, strict=True):
            single = services.rights.steps(other)
            assert [(s.action, s.dataset, sorted(s.keys), s.outcome) for s in steps] == [
                (s.action, s.dataset, sorted(s.keys), s.outcome) for s in single
            ]
        assert answers == [services.rights.get(i).answer for i in b]


def test_batch_skips_what_is_not_approved_and_reruns_nothing(app: str, tmp_path: Path) -> None:
    a = _requests(app, "a", tmp_path, SUBJECTS[:2])
    with open_copy(app, "a", tmp_path) as services:
        first = run_many(services.rights, a, actor="test")
        again = run_many(services.rights, a, actor="test")
    assert set(first.status.values()) == {Status.COMPLETED}
    assert not again.status and set(again.skipped) == set(a)


class FailsOnOrders(CrashAfterCommit):
    """The store refuses the erasure of ``orders`` (after ``trades`` ran in the group)."""

    @contextmanager
    def session(self) -> Iterator[None]:
        with self.inner.session():
            yield

    def erase(
        self, dataset: Dataset, keys: Sequence[str], *, hash_key: bytes, idempotency_key: str
    ) -> EraseOutcome:
        if dataset.id == "orders":
            raise ConnectorError("app", "deleting rows of table 'orders_a': lock timeout")
        return super().erase(dataset, keys, hash_key=hash_key, idempotency_key=idempotency_key)


def test_a_store_error_mid_group_rolls_the_group_back_and_a_rerun_completes(
    app: str, tmp_path: Path
) -> None:
    (a,) = _requests(app, "a", tmp_path, [SUBJECTS[1]])  # n = 2: two orders, six trades
    (b,) = _requests(app, "b", tmp_path, [SUBJECTS[1]])
    _run_each(app, "b", tmp_path, [b])
    before = cells(app, "a")
    with open_copy(app, "a", tmp_path, wrapper=FailsOnOrders) as services:
        assert services.rights.run(a, actor="test").status is Status.EXECUTING
        steps = {s.dataset: s for s in services.rights.steps(a)}
    assert cells(app, "a") == before  # trades were deleted in the group, then rolled back
    assert steps["orders"].status is StepStatus.FAILED
    assert "lock timeout" in steps["orders"].outcome["error"]
    assert {steps[d].status for d in ("trades", "logins", "users")} == {StepStatus.PENDING}
    assert _run_each(app, "a", tmp_path, [a]) == [Status.COMPLETED]
    assert cells(app, "a") == cells(app, "b")
