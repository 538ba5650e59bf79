"""The audit log on SQL: a global hash chain per deployment (PIPL Art. 54).

An append locks the single ``audit_head`` row, chains the new entry to the seq and hash
found there, inserts it and moves the head, all in the caller's transaction, so
concurrent writers are serialized and the chain never forks:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the head row; a second writer waits on that
  lock, then (READ COMMITTED) reads the head the first one committed.
- SQLite: every transaction begins ``IMMEDIATE`` (see :mod:`.database`): one writer at a
  time; ``FOR UPDATE`` is not emitted there.

On PostgreSQL each append runs in a savepoint, so a lost race (deadlock, serialization
failure) rolls back just the append and tries again. On SQLite no other writer can act
inside the transaction that holds the write lock, so there is no race to lose and the
append runs without a savepoint. The three statements (read the head, insert the
entry, move the head) are built once and only their values bound at each append; on
SQLite they run on the DBAPI cursor of the unit of work's connection (:mod:`.dbapi_writes`).

Chaining from the head row rather than the newest entry also means a deleted last
entry is never silently healed: the next append still points at the deleted one.
Append audit entries last in a unit of work: the head lock is then held briefly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from yinsi.security import AuditEntry, AuditHead, JsonValue, canonical_json, chained
from yinsi.storage.dbapi_writes import DbapiStatement, dbapi_cursor
from yinsi.storage.errors import AuditLogBusy, StorageError
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, is_transient
from yinsi.storage.tables import AuditEntryRow, AuditHeadRow

__all__ = [
    "Appended",
    "AuditHeadMissing",
    "SqlAuditLog",
    "append_all",
    "append_on_cursor",
    "entry_from_row",
    "entry_row",
    "entry_values",
]

MAX_ATTEMPTS = 5
BATCH = 1000
"""Rows fetched at a time while iterating the log."""

_HEAD = cast(Table, AuditHeadRow.__table__)
_READ_HEAD = select(_HEAD.c.id, _HEAD.c.seq, _HEAD.c.hash)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == bindparam("head_id"))
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_ENTRIES = cast(Table, AuditEntryRow.__table__)
_INSERT_ENTRY = insert(_ENTRIES).values(
    {c.key: bindparam(c.key, type_=c.type) for c in _ENTRIES.columns}
)
_READ_HEAD_DBAPI = DbapiStatement(_READ_HEAD)
_INSERT_ENTRY_DBAPI = DbapiStatement(_INSERT_ENTRY)
_MOVE_HEAD_DBAPI = DbapiStatement(_MOVE_HEAD)


Appended = tuple[str, str, str | None, Mapping[str, JsonValue] | None]
"""An entry to append: its action, app, subject and details (:meth:`SqlAuditLog.append_many`)."""


class AuditHeadMissing(StorageError):
    """The single ``audit_head`` row is gone: the log cannot be appended to or checked."""

    def __init__(self) -> None:
        super().__init__(
            "the audit log has no head row (table audit_head is empty): it was deleted "
            "outside yinsi; restore audit_head from a backup, then run "
            "`yinsi audit verify --anchor FILE` to see what else changed"
        )


class SqlAuditLog(AuditLog):
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def append(
        self,
        actor: str,
        action: str,
        app_id: str,
        subject_id: str | None = None,
        details: Mapping[str, JsonValue] | None = None,
    ) -> AuditEntry:
        if self._session.get_bind().dialect.name == "sqlite":  # the write lock is held
            return self._append_on_sqlite(actor, action, app_id, subject_id, details)
        return self.append_many(actor, [(action, app_id, subject_id, details)])[0]

    def append_many(self, actor: str, entries: Sequence[Appended]) -> list[AuditEntry]:
        """:meth:`append` of each ``(action, app_id, subject_id, details)``, in order:
        the same entries, chained one to the next as appends one by one would chain
        them, with one read of the head, one ``INSERT`` run for them all (the driver's
        executemany) and one move of the head (a batch run's moves: thousands of
        entries). Elsewhere than SQLite in one savepoint, tried again after a transient
        error (a deadlock, a serialization failure) up to ``MAX_ATTEMPTS`` times."""
        if not entries:
            return []
        if self._session.get_bind().dialect.name == "sqlite":  # the write lock is held
            if len(entries) == 1:  # a single run's move: the DBAPI cursor's three statements
                return [self._append_on_sqlite(actor, *entries[0])]
            return self._append_many_on_sqlite(actor, entries)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._session.begin_nested():
                    return self._append_many_once(actor, entries, lock=True)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise AuditLogBusy(entries[0][0], attempt) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def entries(self, after_seq: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
        query = (
            select(AuditEntryRow)
            .where(AuditEntryRow.seq > after_seq)
            .order_by(AuditEntryRow.seq)
            .limit(limit)
            .execution_options(yield_per=BATCH)
        )
        for row in self._session.scalars(query):
            yield entry_from_row(row)

    def head(self) -> AuditHead:
        _id, head = self._head(lock=False)
        return head

    def last(self, action: str) -> AuditEntry | None:
        query = (
            select(AuditEntryRow)
            .where(AuditEntryRow.action == action)
            .order_by(AuditEntryRow.seq.desc())
            .limit(1)
        )
        row = self._session.scalars(query).first()
        return None if row is None else entry_from_row(row)

    def _append_many_once(
        self, actor: str, entries: Sequence[Appended], *, lock: bool
    ) -> list[AuditEntry]:
        """Chain every entry in memory first (a rejected one raises before anything is
        written), then insert them and move the head to the last."""
        self._session.flush()  # rows the caller added go first, in the same transaction
        head_id, head = self._head(lock=lock)
        appended, rows = self._chain(head, actor, entries)
        connection = self._session.connection()
        connection.execute(_INSERT_ENTRY, rows)
        last = appended[-1]
        connection.execute(
            _MOVE_HEAD, {"head_id": head_id, "new_seq": last.seq, "new_hash": last.hash}
        )
        return appended

    def _append_many_on_sqlite(self, actor: str, entries: Sequence[Appended]) -> list[AuditEntry]:
        """:meth:`_append_many_once` on the DBAPI cursor of the unit of work's connection
        (the write lock is held): one read of the head, the entries chained in memory (a
        rejected one raises before anything is written), one ``executemany`` of their
        rows, one move of the head."""
        self._session.flush()  # rows the caller added go first, in the same transaction
        cursor, dialect = dbapi_cursor(self._session)
        try:
            row = _READ_HEAD_DBAPI.run(cursor, dialect, {}).fetchone()
            if row is None:
                raise AuditHeadMissing
            head_id, seq, hash_ = row
            appended, rows = self._chain(AuditHead(seq, hash_), actor, entries)
            _INSERT_ENTRY_DBAPI.run_many(cursor, dialect, rows)
            last = appended[-1]
            moved = {"head_id": head_id, "new_seq": last.seq, "new_hash": last.hash}
            _MOVE_HEAD_DBAPI.run(cursor, dialect, moved)
        finally:
            cursor.close()
        return appended

    def _chain(
        self, head: AuditHead, actor: str, entries: Sequence[Appended]
    ) -> tuple[list[AuditEntry], list[dict[str, object]]]:
        """The entries chained from ``head`` one to the next, and their rows."""
        appended: list[AuditEntry] = []
        rows: list[dict[str, object]] = []
        previous: AuditEntry | AuditHead = head
        for action, app_id, subject_id, details in entries:
            previous, text = chained(
                previous,
                at=self._clock(),
                actor=actor,
                action=action,
                app_id=app_id,
                subject_id=subject_id,
                details=details,
            )
            appended.append(previous)
            rows.append(entry_values(previous, text))
        return appended, rows

    def _append_on_sqlite(
        self,
        actor: str,
        action: str,
        app_id: str,
        subject_id: str | None,
        details: Mapping[str, JsonValue] | None,
    ) -> AuditEntry:
        """One entry on the DBAPI cursor of the unit of work's connection: read the head,
        insert the entry, move the head (no ORM session's cost per statement)."""
        self._session.flush()  # rows the caller added go first, in the same transaction
        cursor, dialect = dbapi_cursor(self._session)
        try:
            return append_on_cursor(
                cursor, dialect, self._clock, actor, action, app_id, subject_id, details
            )
        finally:
            cursor.close()

    def _head(self, *, lock: bool) -> tuple[int, AuditHead]:
        """The head row's id and what it holds (locked on PostgreSQL with ``lock``)."""
        row = self._session.connection().execute(_LOCK_HEAD if lock else _READ_HEAD).one_or_none()
        if row is None:
            raise AuditHeadMissing
        return row.id, AuditHead(row.seq, row.hash)


def append_all(log: AuditLog, actor: str, entries: Sequence[Appended]) -> list[AuditEntry]:
    """The entries appended in order: :meth:`SqlAuditLog.append_many` (one read of the
    head, one insert) on the SQL log, one :meth:`~AuditLog.append` each on another (the
    port has no bulk method)."""
    if isinstance(log, SqlAuditLog):
        return log.append_many(actor, entries)
    return [log.append(actor, *entry) for entry in entries]


def append_on_cursor(
    cursor: Any,
    dialect: Dialect,
    clock: Clock,
    actor: str,
    action: str,
    app_id: str,
    subject_id: str | None,
    details: Mapping[str, JsonValue] | None,
) -> AuditEntry:
    """Append on the DBAPI cursor of a SQLite transaction that holds the write lock (begun
    ``IMMEDIATE``): read the head, insert the chained entry, move the head."""
    row = _READ_HEAD_DBAPI.run(cursor, dialect, {}).fetchone()
    if row is None:
        raise AuditHeadMissing
    head_id, seq, hash_ = row
    entry, text = chained(
        AuditHead(seq, hash_),
        at=clock(),
        actor=actor,
        action=action,
        app_id=app_id,
        subject_id=subject_id,
        details=details,
    )
    _INSERT_ENTRY_DBAPI.run(cursor, dialect, entry_values(entry, text))
    moved = {"head_id": head_id, "new_seq": entry.seq, "new_hash": entry.hash}
    _MOVE_HEAD_DBAPI.run(cursor, dialect, moved)
    return entry


def entry_values(entry: AuditEntry, details_text: str | None = None) -> dict[str, object]:
    """The ``audit_entries`` columns of ``entry`` (``details`` as its canonical JSON:
    ``details_text`` when the caller has it, from :func:`~yinsi.security.audit.chained`)."""
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "app_id": entry.app_id,
        "subject_id": entry.subject_id,
        "details": canonical_json(entry.details) if details_text is None else details_text,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def entry_row(entry: AuditEntry) -> AuditEntryRow:
    return AuditEntryRow(**entry_values(entry))


def entry_from_row(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        app_id=row.app_id,
        subject_id=row.subject_id,
        details=_details(row.details),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _details(text: str) -> dict[str, JsonValue]:
    """The stored details; text edited into something not JSON still verifies as edited."""
    try:
        details: dict[str, JsonValue] = json.loads(text)
    except json.JSONDecodeError:
        return {"<not JSON>": text}
    return details
