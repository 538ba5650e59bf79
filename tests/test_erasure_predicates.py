"""Erasure by predicate (issue 16, point 3): plans without keys, checked cell by cell.

Copy ``a`` of the app database is erased by yinsi's SQL connector, which erases by
predicate (``DELETE … WHERE user_id = :s``, through the parent chain for ``trades``);
copy ``b`` through a wrapper that cannot, so its plans list the keys the walk read, as
before. Both must leave the same cells, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import erasure_sets_fixtures
from erasure_sets_fixtures import (
    SUBJECTS,
    Crash,
    Grouped,
    app_database,
    approved,
    cells,
    data_map,
    fill,
    open_copy,
)
from yinsi.declaration.datamap import DataMap
from yinsi.rights.plan import Action, StepStatus
from yinsi.rights.planner import MATCH
from yinsi.rights.ports import Connector
from yinsi.rights.predicates import by_predicate
from yinsi.rights.requests import Status
from yinsi.services.rights_batch import run_many

pytest_plugins = ["storage_fixtures"]

BACKENDS = ["sqlite", "postgresql", "mariadb"]


class KeysOnly(Grouped):
    """The same store, unable to erase by predicate (the default): plans list keys, as
    before."""


class CrashAfterCommit(erasure_sets_fixtures.CrashAfterCommit):
    """Erases by predicate (whatever the store it wraps says), then dies right after the
    store committed."""

    @property
    def erases_where(self) -> bool:
        return True


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with app_database(request.param, tmp_path) as url:
        fill(url)
        yield url


def _requests(url: str, copy: str, folder: Path, subjects: list[str]) -> list[str]:
    with open_copy(url, copy, folder) as services:
        return [approved(services, s, SUBJECTS.index(s) + 1) for s in subjects]


def _run(url: str, copy: str, folder: Path, ids: list[str], wrapper: type | None = None) -> list:
    with open_copy(url, copy, folder, wrapper) as services:
        return [services.rights.run(i, actor="test").status for i in ids]


def test_x21_predicates_erase_what_keys_erase_cell_by_cell(app: str, tmp_path: Path) -> None:
    subjects = SUBJECTS[:5]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    assert _run(app, "a", tmp_path, a) == [Status.COMPLETED] * 5
    assert _run(app, "b", tmp_path, b, KeysOnly) == [Status.COMPLETED] * 5
    assert cells(app, "a") == cells(app, "b")
    untouched = cells(app, "a")["logins"]
    assert [r[0] for r in untouched] == [n * 100 + i for n in range(6, 9) for i in range(3)]
    with open_copy(app, "a", tmp_path) as sa, open_copy(app, "b", tmp_path) as sb:
        for x, y in zip(a, b, strict=True):
            ours = [s for s in sa.rights.steps(x) if s.action is Action.ERASE]
            theirs = {s.dataset: s for s in sb.rights.steps(y) if s.action is Action.ERASE}
            assert [s.dataset for s in ours] == ["trades", "logins", "orders", "users"]
            assert all(not s.keys and s.status is StepStatus.DONE for s in ours)
            by_dataset = {s.dataset: s.params[MATCH] for s in ours}
            assert by_dataset["trades"]["via"] == ["orders", "users"]
            assert by_dataset["users"] == {"user_id": [sa.rights.get(x).subject_id], "via": []}
            for step in ours:  # the same counts as the keys the walk read
                other = theirs.get(step.dataset)
                assert step.outcome["affected"] == (other.outcome["affected"] if other else 0)
            assert sa.rights.get(x).answer == sb.rights.get(y).answer


def test_x28_a_legal_hold_falls_back_to_keys(app: str, tmp_path: Path) -> None:
    a = _requests(app, "a", tmp_path, SUBJECTS[1:3])
    b = _requests(app, "b", tmp_path, SUBJECTS[1:3])
    for copy in ("a", "b"):
        with open_copy(app, copy, tmp_path) as services:
            services.rights.add_hold(SUBJECTS[2], "诉讼保全", actor="test", dataset="logins")
    assert _run(app, "a", tmp_path, a) == [Status.COMPLETED, Status.PARTIALLY_COMPLETED]
    _run(app, "b", tmp_path, b, KeysOnly)
    assert cells(app, "a") == cells(app, "b")
    with open_copy(app, "a", tmp_path) as services:
        free = [s for s in services.rights.steps(a[0]) if s.action is Action.ERASE]
        held = [s for s in services.rights.steps(a[1]) if s.action is Action.ERASE]
    assert all(MATCH in s.params for s in free)
    assert held and all(MATCH not in s.params and s.keys for s in held)
    assert "logins" not in {s.dataset for s in held}


def test_x28_declared_holds_keep_their_family_on_keys() -> None:
    raw = data_map("a")
    datasets = raw["datasets"]
    assert isinstance(datasets, list)
    for ds in datasets:
        if ds["id"] == "orders":
            ds["holds"] = [{"rule": "loan_records", "since": "detail"}]
    found = DataMap.model_validate(raw)
    connectors: dict[str, Connector] = {"app": CrashAfterCommit(KeysOnly(None))}  # type: ignore[arg-type]
    via, unread = by_predicate(found, connectors, (), date(2026, 1, 1))
    # orders may be held: trades inherit its holds; users (erased field by field) keeps
    # its row anyway, so it and logins are erased by predicate, users read for orders
    assert via == {"users": [], "logins": ["users"]}
    assert unread == {"logins"}
    for ds in datasets:
        if ds["id"] == "orders":
            ds["erase"] = "fields"
        if ds["id"] == "trades":
            ds["holds"], ds["erase"] = [{"rule": "loan_records", "since": "detail"}], "row"
        if ds["id"] == "orders":
            ds.pop("holds")
    ds_map = DataMap.model_validate(raw)
    via, unread = by_predicate(ds_map, connectors, (), date(2026, 1, 1))
    assert via == {"users": [], "orders": ["users"], "logins": ["users"]}
    assert unread == {"logins"}


def test_x21_crash_after_the_store_commit_then_rerun_completes_once(
    app: str, tmp_path: Path
) -> None:
    subjects = SUBJECTS[:3]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    _run(app, "b", tmp_path, b, KeysOnly)
    with open_copy(app, "a", tmp_path, wrapper=CrashAfterCommit) as services:
        with pytest.raises(Crash):
            services.rights.run(a[1], actor="test")
        erase = [s for s in services.rights.steps(a[1]) if s.action is Action.ERASE]
        assert erase and all(s.status is StepStatus.RUNNING for s in erase)
        assert services.rights.get(a[1]).status is Status.EXECUTING
    assert _run(app, "a", tmp_path, a) == [Status.COMPLETED] * 3
    assert cells(app, "a") == cells(app, "b")  # no effect doubled or lost
    with open_copy(app, "a", tmp_path) as services:
        steps = services.rights.steps(a[1])
        assert all(s.status is StepStatus.DONE for s in steps)
        assert {s.attempts for s in steps if s.action is Action.ERASE} == {2}
        # the re-run's predicates matched nothing: the first run had erased it all
        assert {s.outcome["affected"] for s in steps if s.action is Action.ERASE} == {0}
        answer = services.rights.get(a[1]).answer or ""
        # so the answer states no count: "0 records" would be untrue (X28)
        assert "已删除或匿名化处理您的个人信息。" in answer and "条记录" not in answer


def test_x28_batch_erases_by_predicate_with_each_requests_own_count(
    app: str, tmp_path: Path
) -> None:
    subjects = SUBJECTS[:6]
    a = _requests(app, "a", tmp_path, subjects)
    b = _requests(app, "b", tmp_path, subjects)
    for copy in ("a", "b"):  # u003's logins held: that subject is planned by keys
        with open_copy(app, copy, tmp_path) as services:
            services.rights.add_hold(SUBJECTS[2], "诉讼保全", actor="test", dataset="logins")
    with open_copy(app, "a", tmp_path) as services:
        report = run_many(services.rights, a, actor="test", chunk=4)
        assert report.set_based > 0 and not report.skipped and not report.failed
        ours = {i: services.rights.steps(i) for i in a}
        answers = [services.rights.get(i).answer for i in a]
        statuses = [report.status[i] for i in a]
    assert statuses == _run(app, "b", tmp_path, b, KeysOnly)
    assert cells(app, "a") == cells(app, "b")
    with open_copy(app, "b", tmp_path) as services:
        for x, y in zip(a, b, strict=True):
            theirs = {s.dataset: s for s in services.rights.steps(y) if s.action is Action.ERASE}
            for step in (s for s in ours[x] if s.action is Action.ERASE):
                other = theirs.get(step.dataset)
                assert step.outcome["affected"] == (other.outcome["affected"] if other else 0)
                assert (MATCH in step.params) is (x != a[2])
        assert answers == [services.rights.get(i).answer for i in b]


def test_x21_emptying_fields_by_predicate_counts_each_subject_once(
    app: str, tmp_path: Path
) -> None:
    """Fields whose strategies only empty them: one ``UPDATE … SET c = NULL`` for many
    subjects, counted per subject; run again, it changes and counts nothing."""
    with open_copy(app, "a", tmp_path) as services:
        users = services.data_map.dataset("users")
        phone = users.model_copy(update={"fields": users.fields[:1]})  # erase: null
        logins = services.data_map.dataset("logins")
        connector = services.connectors["app"]
        assert connector.erases_where
        with connector.session():
            first = connector.erase_where(phone, [], SUBJECTS[:3], hash_key=b"k" * 32)
            rows = connector.erase_where(logins, [users], SUBJECTS[:3], hash_key=b"k" * 32)
        again = connector.erase_where(phone, [], SUBJECTS[:3], hash_key=b"k" * 32)
    assert first.affected == 3 and first.by_subject == dict.fromkeys(SUBJECTS[:3], 1)
    assert rows.affected == 9 and rows.by_subject == dict.fromkeys(SUBJECTS[:3], 3)
    assert again.affected == 0 and again.by_subject == dict.fromkeys(SUBJECTS[:3], 0)
    left = cells(app, "a")
    assert [r[1] for r in left["users"][:4]] == [None, None, None, "13800000004"]
