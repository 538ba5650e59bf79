"""The delivery outbox on SQL: messages whose delivery failed for now, kept to try again.

A message the provider could not take for a while (an SMS gateway down, an SMTP server
refusing connections) is kept as one ``delivery_outbox`` row until a later try delivers it
or its deadline passes. The row holds what a listing may show — channel, purpose, the
masked address, what it is about, tries, when next — and ``payload``: the full address
and the text as one envelope token (AES-256-GCM, :mod:`yinsi.services.delivery_retry`
makes it), never in clear. A delivered message's row is deleted; a message given up keeps
its row without the payload (status ``given_up``), so nothing personal stays.

Two workers retrying at once never send a message twice: a run claims rows before it
sends, with a lease (``claimed_by``, ``claimed_until``) taken by a conditional UPDATE::

    UPDATE delivery_outbox SET claimed_by = :me, claimed_until = :until
    WHERE id = :id AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < :now)

On PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED`` (a second run skips the
rows the first is claiming instead of waiting for them); on MariaDB the second UPDATE
waits for the first's row lock and then matches nothing; on SQLite units of work are
serialized (``BEGIN IMMEDIATE``, :mod:`.database`). A run that dies after sending leaves
its claim to lapse; the message is then tried again (at least once, never lost).
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.storage.columns import UtcDateTime
from yinsi.storage.tables import Base, Id

__all__ = [
    "GIVEN_UP",
    "PENDING",
    "OutboxEntry",
    "OutboxRow",
    "OutboxStore",
    "PendingCount",
    "SqlOutboxStore",
    "outbox_of",
]

PENDING = "pending"
GIVEN_UP = "given_up"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One kept message (``payload``: the encrypted message; None once given up)."""

    id: str
    app_id: str
    reference: str
    channel: str
    purpose: str
    address: str
    """Masked, as in the delivery records."""
    payload: str | None
    status: str
    tries: int
    """Sends so far, the first one (before the message was kept) included."""
    created_at: datetime
    next_at: datetime
    deadline_at: datetime
    subject_id: str | None = None
    last_error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PendingCount:
    """Kept messages of one channel and purpose: waiting, given up, the oldest waiting."""

    channel: str
    purpose: str
    pending: int
    given_up: int
    oldest: datetime | None
    """When the oldest message still waiting was first sent (None: none waiting)."""


class OutboxRow(Base):
    __tablename__ = "delivery_outbox"
    __table_args__ = (Index("ix_delivery_outbox_due", "status", "next_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    app_id: Mapped[str] = mapped_column(Id)
    reference: Mapped[str] = mapped_column(Id)
    subject_id: Mapped[str | None] = mapped_column(Id)
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(Id)
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    tries: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(Id)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxStore(abc.ABC):
    """Kept messages (see the module docstring); each call joins the caller's unit of work."""

    @abc.abstractmethod
    def add(self, entry: OutboxEntry) -> None:
        """Keep ``entry`` (status pending)."""

    @abc.abstractmethod
    def claim(
        self,
        owner: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        due_by: datetime | None,
        exclude: Collection[str] = (),
    ) -> builtins.list[OutboxEntry]:
        """Claim up to ``limit`` pending messages nobody holds (or whose holder's lease
        lapsed before ``now``) for ``owner`` until ``until``: those due by ``due_by``
        (None: every one), except ``exclude`` (already tried in this run). Oldest due first."""

    @abc.abstractmethod
    def delivered(self, entry_id: str, owner: str) -> bool:
        """Delete the delivered message's row; False if ``owner`` no longer holds it."""

    @abc.abstractmethod
    def later(
        self, entry_id: str, owner: str, *, tries: int, next_at: datetime, error: str | None
    ) -> bool:
        """Release the claim and try again at ``next_at``; False if ``owner`` lost it."""

    @abc.abstractmethod
    def give_up(self, entry_id: str, owner: str | None, *, now: datetime, error: str) -> bool:
        """Mark the message given up and clear its payload; ``owner`` None: unclaimed."""

    @abc.abstractmethod
    def get(self, entry_id: str) -> OutboxEntry | None:
        """The kept message ``entry_id``, or None (delivered, or never kept)."""

    @abc.abstractmethod
    def counts(self) -> builtins.list[PendingCount]:
        """Per channel and purpose: messages waiting, given up, the oldest waiting."""


class SqlOutboxStore(OutboxStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: OutboxEntry) -> None:
        self._session.add(
            OutboxRow(
                id=entry.id,
                app_id=entry.app_id,
                reference=entry.reference,
                subject_id=entry.subject_id,
                channel=entry.channel,
                purpose=entry.purpose,
                address=entry.address,
                payload=entry.payload,
                status=PENDING,
                tries=entry.tries,
                last_error=entry.last_error,
                created_at=entry.created_at,
                next_at=entry.next_at,
                deadline_at=entry.deadline_at,
            )
        )
        self._session.flush()

    def claim(
        self,
        owner: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        due_by: datetime | None,
        exclude: Collection[str] = (),
    ) -> builtins.list[OutboxEntry]:
        row = OutboxRow
        free = or_(row.claimed_until.is_(None), row.claimed_until < now)
        query = select(row.id).where(row.status == PENDING, free)
        if due_by is not None:
            query = query.where(row.next_at <= due_by)
        if exclude:
            query = query.where(row.id.not_in(list(exclude)))
        query = query.order_by(row.next_at, row.id).limit(limit)
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        taken = []
        for entry_id in list(self._session.scalars(query)):
            done = self._session.connection().execute(
                update(row)
                .where(row.id == entry_id, row.status == PENDING, free)
                .values(claimed_by=owner, claimed_until=until)
            )
            if done.rowcount == 1:
                taken.append(entry_id)
        if not taken:
            return []
        found = self._session.scalars(
            select(row).where(row.id.in_(taken)).order_by(row.next_at, row.id)
        )
        return [_entry(r) for r in found]

    def delivered(self, entry_id: str, owner: str) -> bool:
        row = OutboxRow
        done = self._session.connection().execute(
            delete(row).where(row.id == entry_id, row.claimed_by == owner)
        )
        return bool(done.rowcount == 1)

    def later(
        self, entry_id: str, owner: str, *, tries: int, next_at: datetime, error: str | None
    ) -> bool:
        row = OutboxRow
        done = self._session.connection().execute(
            update(row)
            .where(row.id == entry_id, row.claimed_by == owner)
            .values(
                tries=tries, next_at=next_at, last_error=error, claimed_by=None, claimed_until=None
            )
        )
        return bool(done.rowcount == 1)

    def give_up(self, entry_id: str, owner: str | None, *, now: datetime, error: str) -> bool:
        row = OutboxRow
        held = row.claimed_by.is_(None) if owner is None else row.claimed_by == owner
        done = self._session.connection().execute(
            update(row)
            .where(row.id == entry_id, row.status == PENDING, held)
            .values(
                status=GIVEN_UP,
                payload=None,
                last_error=error,
                finished_at=now,
                claimed_by=None,
                claimed_until=None,
            )
        )
        return bool(done.rowcount == 1)

    def get(self, entry_id: str) -> OutboxEntry | None:
        found = self._session.get(OutboxRow, entry_id)
        return None if found is None else _entry(found)

    def counts(self) -> builtins.list[PendingCount]:
        row = OutboxRow
        query = (
            select(row.channel, row.purpose, row.status, func.count(), func.min(row.created_at))
            .group_by(row.channel, row.purpose, row.status)
            .order_by(row.channel, row.purpose)
        )
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for channel, purpose, status, n, oldest in self._session.execute(query):
            slot = merged.setdefault((channel, purpose), {"pending": 0, "given_up": 0})
            if status == PENDING:
                slot["pending"], slot["oldest"] = n, oldest
            else:
                slot["given_up"] += n
        return [
            PendingCount(c, p, s["pending"], s["given_up"], s.get("oldest"))
            for (c, p), s in sorted(merged.items())
        ]


def outbox_of(uow: object) -> OutboxStore:
    """The outbox of a unit of work (``uow.outbox`` of :class:`~.uow.SqlUnitOfWork`);
    TypeError naming the unit of work when it has none."""
    found = getattr(uow, "outbox", None)
    if not isinstance(found, OutboxStore):
        raise TypeError(f"{type(uow).__name__} has no delivery outbox (uow.outbox)")
    return found


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        app_id=row.app_id,
        reference=row.reference,
        channel=row.channel,
        purpose=row.purpose,
        address=row.address,
        payload=row.payload,
        status=row.status,
        tries=row.tries,
        created_at=row.created_at,
        next_at=row.next_at,
        deadline_at=row.deadline_at,
        subject_id=row.subject_id,
        last_error=row.last_error,
        finished_at=row.finished_at,
    )
