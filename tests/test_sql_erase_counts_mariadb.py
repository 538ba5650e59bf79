"""A batch's per-subject counts on MariaDB: read under shared locks, proven by the
statement's row count (issue 16, :mod:`yinsi.connectors.sql_erase`).

The ``SELECT … GROUP BY … LOCK IN SHARE MODE`` keeps every row it counted from changing
until the ``DELETE``; in ``REPEATABLE READ`` its gap locks keep new rows of the subjects
out as well. In ``READ COMMITTED`` a row can still be inserted in between: the
``DELETE``'s row count then differs from the counts' sum and the erasure fails, rolled
back as retryable (:attr:`ConnectorError.retryable`: a batch runs it again), never with
a count one short.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from erasure_sets_fixtures import (
    SUBJECTS,
    Grouped,
    app_database,
    approved,
    fill,
    logins_by_subject,
    open_copy,
)
from yinsi.connectors.sql import SqlConnector
from yinsi.connectors.sql_erase import REPEATABLE_FROM
from yinsi.declaration.datamap import Dataset
from yinsi.rights.ports import Connector, ConnectorError, EraseOutcome
from yinsi.rights.requests import Status
from yinsi.services.rights_batch import run_many

GHOSTS = [f"g{n:03d}" for n in range(REPEATABLE_FROM)]
"""Subjects with no rows: a batch's set, counted per subject."""
MANY = [*SUBJECTS, *GHOSTS]
KEY = b"k" * 32
COUNTED = dict.fromkeys(SUBJECTS, 3) | dict.fromkeys(GHOSTS, 0)
"""What erasing ``logins_a`` for :data:`MANY` counts: 3 rows per subject."""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[str]:
    with app_database("mariadb", tmp_path) as url:
        fill(url)
        yield url


@pytest.fixture
def datasets(app: str, tmp_path: Path) -> tuple[Dataset, Dataset, Dataset]:
    """``users``, its phone column alone (emptied to NULL), and ``logins`` (a child)."""
    with open_copy(app, "a", tmp_path) as services:
        users = services.data_map.dataset("users")
        phone = users.model_copy(update={"fields": users.fields[:1]})
        return users, phone, services.data_map.dataset("logins")


def _connector(url: str, tmp_path: Path, isolation: str) -> SqlConnector:
    with open_copy(url, "a", tmp_path) as services:
        store = services.data_map.store("app")
    return SqlConnector(store, sa.create_engine(url, isolation_level=isolation), owned=True)


class Between:
    """Runs ``write`` on another connection (lock waits of 1 s) just before the erasure's
    ``DELETE`` of ``logins_a``, once; keeps every statement the connector sent."""

    def __init__(self, url: str, connector: SqlConnector, write: str) -> None:
        self.other = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.write = write
        self.statements: list[str] = []
        self.failed: str | None = None
        self.done = False
        event.listen(connector._engine, "before_cursor_execute", self._hook)

    def _hook(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)
        if self.done or not statement.startswith("DELETE FROM logins_a"):
            return
        self.done = True
        with self.other.connect() as other:
            other.execute(sa.text("SET SESSION innodb_lock_wait_timeout = 1"))
            try:
                other.execute(sa.text(self.write))
            except sa.exc.OperationalError as exc:
                self.failed = str(exc.orig)

    def close(self) -> None:
        self.other.dispose()


class ByPredicate(Grouped):
    """The store, erasing by predicate (sets of subjects) like the factory's."""

    @property
    def erases_where(self) -> bool:
        return True

    def erase_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str], *, hash_key: bytes
    ) -> EraseOutcome:
        return self.inner.erase_where(dataset, via, subjects, hash_key=hash_key)


def test_many_subjects_counted_under_shared_locks(
    app: str, tmp_path: Path, datasets: tuple[Dataset, Dataset, Dataset]
) -> None:
    users, phone, logins = datasets
    connector = _connector(app, tmp_path, "REPEATABLE READ")
    seen = Between(app, connector, "SELECT 1")
    try:
        with connector.session():
            emptied = connector.erase_where(phone, [], MANY, hash_key=KEY)
            erased = connector.erase_where(logins, [users], MANY, hash_key=KEY)
        again = connector.erase_where(logins, [users], MANY, hash_key=KEY)
    finally:
        seen.close()
        connector.close()
    assert emptied.by_subject == dict.fromkeys(SUBJECTS, 1) | dict.fromkeys(GHOSTS, 0)
    assert erased.by_subject == COUNTED and erased.affected == 3 * len(SUBJECTS)
    assert again.affected == 0 and again.by_subject == dict.fromkeys(MANY, 0)
    counting = [s for s in seen.statements if s.startswith("SELECT")]
    assert len(counting) == 3 and all(s.endswith("LOCK IN SHARE MODE") for s in counting)
    assert not any("FOR UPDATE" in s for s in seen.statements)
    assert logins_by_subject(app) == {}


def test_repeatable_read_keeps_a_new_row_of_a_counted_subject_out(
    app: str, tmp_path: Path, datasets: tuple[Dataset, Dataset, Dataset]
) -> None:
    """The count's gap locks: another transaction's insert for ``u001`` waits (and times
    out here) until the erasure commits, so the count stays the ``DELETE``'s."""
    users, _, logins = datasets
    connector = _connector(app, tmp_path, "REPEATABLE READ")
    insert = Between(app, connector, "INSERT INTO logins_a VALUES (999, 'u001', '10.9.9.9')")
    try:
        erased = connector.erase_where(logins, [users], MANY, hash_key=KEY)
    finally:
        insert.close()
        connector.close()
    assert insert.failed is not None and "Lock wait timeout" in insert.failed
    assert erased.by_subject == COUNTED
    assert logins_by_subject(app) == {}


def test_a_counted_row_cannot_be_deleted_before_the_erasure(
    app: str, tmp_path: Path, datasets: tuple[Dataset, Dataset, Dataset]
) -> None:
    """Even in ``READ COMMITTED`` the shared locks keep the counted rows: another
    transaction's ``DELETE`` of one waits, and the count is the rows really erased."""
    users, _, logins = datasets
    connector = _connector(app, tmp_path, "READ COMMITTED")
    delete = Between(app, connector, "DELETE FROM logins_a WHERE id = 100")
    try:
        erased = connector.erase_where(logins, [users], MANY, hash_key=KEY)
    finally:
        delete.close()
        connector.close()
    assert delete.failed is not None and "Lock wait timeout" in delete.failed
    assert erased.by_subject == COUNTED
    assert logins_by_subject(app) == {}


def test_read_committed_a_row_inserted_meanwhile_fails_the_erasure(
    app: str, tmp_path: Path, datasets: tuple[Dataset, Dataset, Dataset]
) -> None:
    """No gap locks in ``READ COMMITTED``: a row of ``u001`` inserted after the count is
    deleted too; the row count tells, the erasure fails (retryable) and nothing is kept;
    run again, it counts the 4 rows."""
    users, _, logins = datasets
    connector = _connector(app, tmp_path, "READ COMMITTED")
    insert = Between(app, connector, "INSERT INTO logins_a VALUES (999, 'u001', '10.9.9.9')")
    try:
        with pytest.raises(ConnectorError, match=r"25 rows matched where 24 .*run it again") as e:
            connector.erase_where(logins, [users], MANY, hash_key=KEY)
        assert e.value.retryable
        assert insert.failed is None
        rolled_back = {s: 4 if s == "u001" else 3 for s in SUBJECTS}
        assert logins_by_subject(app) == rolled_back
        erased = connector.erase_where(logins, [users], MANY, hash_key=KEY)
    finally:
        insert.close()
        connector.close()
    assert erased.by_subject == COUNTED | {"u001": 4}
    assert logins_by_subject(app) == {}


def test_a_batch_runs_its_store_transaction_again_when_the_counts_changed(
    app: str, tmp_path: Path
) -> None:
    """A count that changed is retryable like a serialization failure: the chunk's
    store transaction runs again (nothing was kept) and every step counts what it erased."""
    with open_copy(app, "a", tmp_path) as services:
        ids = [approved(services, s, n) for n, s in enumerate(SUBJECTS, start=1)]
    connector = _connector(app, tmp_path, "READ COMMITTED")
    insert = Between(app, connector, "INSERT INTO logins_a VALUES (999, 'u001', '10.9.9.9')")

    def committed_reads(inner: Connector) -> Connector:
        inner.close()
        return ByPredicate(connector)

    try:
        with open_copy(app, "a", tmp_path, committed_reads) as services:
            report = run_many(services.rights, ids, actor="test")
            steps = {i: services.rights.steps(i) for i in ids}
    finally:
        insert.close()
        connector.close()
    assert insert.done and insert.failed is None
    assert len([s for s in insert.statements if s.startswith("DELETE FROM logins_a")]) == 2
    assert set(report.status.values()) == {Status.COMPLETED} and not report.skipped
    assert report.set_based == sum(len(s) for s in steps.values())  # none ran alone
    logins = [next(s for s in steps[i] if s.dataset == "logins") for i in ids]
    assert [s.outcome["affected"] for s in logins] == [4] + [3] * (len(SUBJECTS) - 1)
    assert logins_by_subject(app) == {}
