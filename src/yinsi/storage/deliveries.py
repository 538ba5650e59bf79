"""Delivery records on SQL: one row per recipient per message (issue 14).

A row says through which channel, for what (``purpose``) and about what (``reference``:
a request id, an incident id, a reminder's day) yinsi tried to reach whom — by masked
address only (``138****1234``, ``z***@example.com``), never the full phone or e-mail and
never the text sent (which may hold a code) — and what became of it: outcome, tries,
the provider's message id, the reason of a failure, when.
"""

from __future__ import annotations

import abc
import builtins
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import cast

from sqlalchemy import Index, Integer, String, Table, Text, bindparam, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.storage.columns import UtcDateTime
from yinsi.storage.dbapi_rows import dbapi_statement, on_sqlite, run_columns
from yinsi.storage.tables import Base, BigId, Id

__all__ = ["DeliveryRecord", "DeliveryRow", "DeliveryStore", "SqlDeliveryStore"]

Short = String(32)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One recipient of one message and what became of it."""

    app_id: str
    channel: str
    """``sms``, ``email`` or ``push``."""
    purpose: str
    """``verification``, ``request_answer``, ``reminder``, ``incident_notice``,
    ``regulator_report``, ``service_end_notice``."""
    reference: str
    """What it is about: ``req_…``, ``inc_…``, ``reminder:2026-12-06``."""
    address: str
    """Masked: ``138****1234``, ``z***@example.com``, a user id for push."""
    outcome: str
    """``delivered``, ``failed`` or ``no_channel``."""
    attempts: int
    started_at: datetime
    finished_at: datetime
    subject_id: str | None = None
    provider_id: str | None = None
    error: str | None = None
    id: int | None = None


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_reference", "reference"),
        Index("ix_deliveries_app_started", "app_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    app_id: Mapped[str] = mapped_column(Id)
    channel: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(Short)
    reference: Mapped[str] = mapped_column(Id)
    subject_id: Mapped[str | None] = mapped_column(Id)
    address: Mapped[str] = mapped_column(Id)
    outcome: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str | None] = mapped_column(Id)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeliveryStore(abc.ABC):
    """Delivery records (``uow.deliveries``); append-only."""

    @abc.abstractmethod
    def add(self, record: DeliveryRecord) -> DeliveryRecord:
        """Store ``record``; return it with its id."""

    @abc.abstractmethod
    def add_many(self, records: Sequence[DeliveryRecord]) -> None:
        """Store ``records`` (a batch run's answers nobody can be told), in one
        statement; their ids are not read back."""

    @abc.abstractmethod
    def of(self, reference: str) -> builtins.list[DeliveryRecord]:
        """The records about ``reference`` (a request, an incident), oldest first."""


class SqlDeliveryStore(DeliveryStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: DeliveryRecord) -> DeliveryRecord:
        row = DeliveryRow(
            app_id=record.app_id,
            channel=record.channel,
            purpose=record.purpose,
            reference=record.reference,
            subject_id=record.subject_id,
            address=record.address,
            outcome=record.outcome,
            attempts=record.attempts,
            provider_id=record.provider_id,
            error=record.error,
            started_at=record.started_at,
            finished_at=record.finished_at,
        )
        self._session.add(row)
        self._session.flush()
        return _record(row)

    def add_many(self, records: Sequence[DeliveryRecord]) -> None:
        """One ``INSERT`` run for every record (the driver's executemany), no ORM object
        or flush per record: a batch of 1,000 requests records 1,000 answers at once."""
        if not records:
            return
        if on_sqlite(self._session):  # on the cursor, column by column: no dict per row
            columns = {c: [getattr(r, c) for r in records] for c in _COLUMNS}
            run_columns(self._session, _INSERT_DBAPI, columns)
            return
        rows = [{c: getattr(r, c) for c in _COLUMNS} for r in records]
        self._session.connection().execute(insert(_DELIVERIES), rows)

    def of(self, reference: str) -> builtins.list[DeliveryRecord]:
        query = (
            select(DeliveryRow).where(DeliveryRow.reference == reference).order_by(DeliveryRow.id)
        )
        return [_record(r) for r in self._session.scalars(query)]


_DELIVERIES = cast(Table, DeliveryRow.__table__)
_COLUMNS = tuple(f.name for f in fields(DeliveryRecord) if f.name != "id")
"""A record's columns but its id, which the database gives."""
_INSERT_DBAPI = dbapi_statement(
    insert(_DELIVERIES).values({c: bindparam(c, type_=_DELIVERIES.c[c].type) for c in _COLUMNS})
)
"""A record's row but its id, every column bound (run on SQLite's cursor)."""


def _record(row: DeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        app_id=row.app_id,
        channel=row.channel,
        purpose=row.purpose,
        reference=row.reference,
        subject_id=row.subject_id,
        address=row.address,
        outcome=row.outcome,
        attempts=row.attempts,
        provider_id=row.provider_id,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        id=row.id,
    )
