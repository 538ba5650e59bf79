"""The audit log on SQL: a global hash chain per deployment (PIPL Art. 54).

An append locks the single ``audit_head`` row, chains the new entry to the seq and hash
found there, inserts it and moves the head, all in the caller's transaction, so
concurrent writers are serialized and the chain never forks:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the head row; a second writer waits on that
  lock, then (READ COMMITTED) reads the head the first one committed.
- SQLite: every transaction begins ``IMMEDIATE`` (see :mod:`.database`): one writer at a
  time; ``FOR UPDATE`` is not emitted there.

Chaining from the head row rather than the newest entry also means a deleted last
entry is never silently healed: the next append still points at the deleted one.
Append audit entries last in a unit of work: the head lock is then held briefly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from yinsi.security import AuditEntry, AuditHead, JsonValue, canonical_json, chain
from yinsi.storage.errors import AuditLogBusy, StorageError
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock, is_transient
from yinsi.storage.tables import AuditEntryRow, AuditHeadRow

__all__ = ["AuditHeadMissing", "SqlAuditLog", "entry_from_row", "entry_row"]

MAX_ATTEMPTS = 5
BATCH = 1000
"""Rows fetched at a time while iterating the log."""


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
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._session.begin_nested():
                    return self._append_once(actor, action, app_id, subject_id, details)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise AuditLogBusy(action, attempt) from exc
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
        row = self._head_row(lock=False)
        return AuditHead(row.seq, row.hash)

    def last(self, action: str) -> AuditEntry | None:
        query = (
            select(AuditEntryRow)
            .where(AuditEntryRow.action == action)
            .order_by(AuditEntryRow.seq.desc())
            .limit(1)
        )
        row = self._session.scalars(query).first()
        return None if row is None else entry_from_row(row)

    def _append_once(
        self,
        actor: str,
        action: str,
        app_id: str,
        subject_id: str | None,
        details: Mapping[str, JsonValue] | None,
    ) -> AuditEntry:
        head = self._head_row(lock=True)
        entry = chain(
            AuditHead(head.seq, head.hash),
            at=self._clock(),
            actor=actor,
            action=action,
            app_id=app_id,
            subject_id=subject_id,
            details=details,
        )
        self._session.add(entry_row(entry))
        head.seq, head.hash = entry.seq, entry.hash
        self._session.flush()
        return entry

    def _head_row(self, *, lock: bool) -> AuditHeadRow:
        query = select(AuditHeadRow).execution_options(populate_existing=True)
        row = self._session.scalars(query.with_for_update() if lock else query).one_or_none()
        if row is None:
            raise AuditHeadMissing
        return row


def entry_row(entry: AuditEntry) -> AuditEntryRow:
    return AuditEntryRow(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        app_id=entry.app_id,
        subject_id=entry.subject_id,
        details=canonical_json(entry.details),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


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
