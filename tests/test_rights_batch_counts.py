"""A batch's per-subject counts on PostgreSQL: counted on the ``DELETE``'s own snapshot in
``REPEATABLE READ`` (issue 16), exact or failing, never silently off.

From :data:`~yinsi.connectors.sql_erase.REPEATABLE_FROM` subjects the connector counts
each subject's rows with a ``SELECT … GROUP BY`` in the same statement as the ``DELETE``
(cheaper than counting the rows it returns). A row another transaction deletes after the
snapshot makes the erasure fail and roll back — with ``READ COMMITTED`` the ``DELETE``
would skip it and the count would be one too many.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from erasure_sets_fixtures import (
    SUBJECTS,
    Grouped,
    app_database,
    approved,
    fill,
    logins_by_subject,
    open_copy,
)
from yinsi.connectors import sql_erase
from yinsi.connectors.sql_erase import REPEATABLE_FROM
from yinsi.declaration.datamap import Dataset
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome
from yinsi.rights.requests import Status
from yinsi.services.rights_batch import run_many
from yinsi.services.root import Services

pytest_plugins = ["storage_fixtures"]

GHOSTS = [f"g{n:03d}" for n in range(REPEATABLE_FROM)]
"""Subjects with no rows: the set is large enough for the ``REPEATABLE READ`` form."""
SUBJECTS_AND_GHOSTS = [*SUBJECTS, *GHOSTS]
KEY = b"k" * 32


@pytest.fixture
def app(tmp_path: Path) -> Iterator[str]:
    with app_database("postgresql", tmp_path) as url:
        fill(url)
        yield url


def _erasing(services: Services) -> tuple[Connector, Dataset, Dataset, Dataset]:
    """The app's connector; ``users``, its phone column alone, and ``logins`` (a child)."""
    users = services.data_map.dataset("users")
    phone = users.model_copy(update={"fields": users.fields[:1]})
    return services.connectors["app"], users, phone, services.data_map.dataset("logins")


def test_many_subjects_counted_on_the_deletes_snapshot(app: str, tmp_path: Path) -> None:
    with open_copy(app, "a", tmp_path) as services:
        connector, users, phone, logins = _erasing(services)
        with connector.session():
            emptied = connector.erase_where(phone, [], SUBJECTS_AND_GHOSTS, hash_key=KEY)
            erased = connector.erase_where(logins, [users], SUBJECTS_AND_GHOSTS, hash_key=KEY)
        again = connector.erase_where(logins, [users], SUBJECTS_AND_GHOSTS, hash_key=KEY)
    assert emptied.by_subject == dict.fromkeys(SUBJECTS, 1) | dict.fromkeys(GHOSTS, 0)
    assert erased.by_subject == dict.fromkeys(SUBJECTS, 3) | dict.fromkeys(GHOSTS, 0)
    assert erased.affected == 3 * len(SUBJECTS)
    assert again.affected == 0 and set(again.by_subject or {}) == set(SUBJECTS_AND_GHOSTS)
    assert logins_by_subject(app) == {}


def test_a_row_deleted_after_the_snapshot_fails_the_erasure(app: str, tmp_path: Path) -> None:
    """The snapshot is taken by the first statement; another transaction then deletes one
    of a subject's rows: the ``DELETE`` refuses (serialization failure), nothing of the
    session is kept, and a new run counts what is really there."""
    other = sa.create_engine(app)
    with open_copy(app, "a", tmp_path) as services:
        connector, users, phone, logins = _erasing(services)
        with pytest.raises(ConnectorError, match="serializ"), connector.session():
            connector.erase_where(phone, [], SUBJECTS_AND_GHOSTS, hash_key=KEY)  # the snapshot
            with other.begin() as conn:
                conn.execute(sa.text("DELETE FROM logins_a WHERE id = 100"))  # u001's first
            connector.erase_where(logins, [users], SUBJECTS_AND_GHOSTS, hash_key=KEY)
        assert logins_by_subject(app)[SUBJECTS[0]] == 2  # rolled back: only the other's delete
        with connector.session():
            emptied = connector.erase_where(phone, [], SUBJECTS_AND_GHOSTS, hash_key=KEY)
            erased = connector.erase_where(logins, [users], SUBJECTS_AND_GHOSTS, hash_key=KEY)
    other.dispose()
    assert emptied.by_subject == dict.fromkeys(SUBJECTS, 1) | dict.fromkeys(GHOSTS, 0)
    assert erased.by_subject == {SUBJECTS[0]: 2} | dict.fromkeys(SUBJECTS[1:], 3) | dict.fromkeys(
        GHOSTS, 0
    )


class WriteBetween(Grouped):
    """Erases by predicate; after the first erasure of a session (its snapshot taken), once,
    another transaction deletes one of ``u001``'s logins and commits."""

    other: sa.Engine | None = None
    written = False

    @property
    def erases_where(self) -> bool:
        return True

    def erase_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str], *, hash_key: bytes
    ) -> EraseOutcome:
        outcome = self.inner.erase_where(dataset, via, subjects, hash_key=hash_key)
        if not WriteBetween.written and dataset.id != "logins":
            WriteBetween.written = True
            assert WriteBetween.other is not None
            with WriteBetween.other.begin() as conn:
                conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))  # fail, never hang
                conn.execute(sa.text("DELETE FROM logins_a WHERE id = 100"))
        return outcome


def test_a_batch_runs_its_store_transaction_again_after_a_concurrent_write(
    app: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The concurrent delete fails the chunk's ``REPEATABLE READ`` transaction; the batch
    runs it again (nothing was kept) and every step counts what it really erased."""
    monkeypatch.setattr(sql_erase, "REPEATABLE_FROM", 2)
    with open_copy(app, "a", tmp_path) as services:
        ids = [approved(services, s, n) for n, s in enumerate(SUBJECTS, start=1)]
    WriteBetween.other = sa.create_engine(app)
    try:
        with open_copy(app, "a", tmp_path, WriteBetween) as services:
            report = run_many(services.rights, ids, actor="test")
            steps = {i: services.rights.steps(i) for i in ids}
    finally:
        WriteBetween.other.dispose()
    assert WriteBetween.written
    assert set(report.status.values()) == {Status.COMPLETED} and not report.skipped
    assert report.set_based == sum(len(s) for s in steps.values())  # none ran alone
    logins = [next(s for s in steps[i] if s.dataset == "logins") for i in ids]
    assert [s.outcome["affected"] for s in logins] == [2] + [3] * (len(SUBJECTS) - 1)
    assert logins_by_subject(app) == {}
