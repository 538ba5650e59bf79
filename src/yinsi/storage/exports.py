"""Export archives at rest (issue 14): the ``rights_exports`` table, its port and adapter.

One row per archive written for an access, copy or transfer request: when it was made,
when it expires, whether it is encrypted and (until it is deleted) the passphrase the
subject sees in the privacy center. Deleting an archive is audited in the same
transaction as the row's ``deleted_at`` (``rights.export_deleted``, ids only).
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import Boolean, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yinsi.storage.columns import UtcDateTime
from yinsi.storage.export_ports import ExportFile, ExportStore
from yinsi.storage.ports import AuditLog
from yinsi.storage.statements import Clock
from yinsi.storage.tables import Base, Id

__all__ = ["ExportRow", "SqlExportStore"]


class ExportRow(Base):
    __tablename__ = "rights_exports"

    request_id: Mapped[str] = mapped_column(Id, primary_key=True)
    app_id: Mapped[str] = mapped_column(Id)
    subject_id: Mapped[str] = mapped_column(Id)
    file_name: Mapped[str] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    encrypted: Mapped[bool] = mapped_column(Boolean)
    passphrase: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SqlExportStore(ExportStore):
    def __init__(self, session: Session, clock: Clock, audit: AuditLog) -> None:
        self._session = session
        self._clock = clock
        self._audit = audit

    def save(self, export: ExportFile) -> None:
        row = self._session.get(ExportRow, export.request_id) or ExportRow(
            request_id=export.request_id
        )
        row.app_id, row.subject_id = export.app_id, export.subject_id
        row.file_name, row.encrypted = export.file_name, export.encrypted
        row.created_at, row.expires_at = export.created_at, export.expires_at
        row.passphrase, row.deleted_at = export.passphrase, export.deleted_at
        self._session.add(row)
        self._session.flush()

    def get(self, request_id: str) -> ExportFile | None:
        row = self._session.get(ExportRow, request_id)
        return None if row is None else _export(row)

    def due(self, now: datetime) -> builtins.list[ExportFile]:
        query = (
            select(ExportRow)
            .where(ExportRow.deleted_at.is_(None), ExportRow.expires_at <= now)
            .order_by(ExportRow.expires_at, ExportRow.request_id)
        )
        return [_export(row) for row in self._session.scalars(query)]

    def mark_deleted(self, request_id: str, actor: str) -> None:
        row = self._session.get(ExportRow, request_id)
        if row is None or row.deleted_at is not None:
            return
        row.deleted_at = self._clock()
        row.passphrase = None
        self._session.flush()
        self._audit.append(
            actor,
            "rights.export_deleted",
            row.app_id,
            row.subject_id,
            {"request_id": request_id, "expired_at": row.expires_at.isoformat()},
        )


def _export(row: ExportRow) -> ExportFile:
    return ExportFile(
        row.request_id,
        row.app_id,
        row.subject_id,
        row.file_name,
        row.created_at,
        row.expires_at,
        row.encrypted,
        row.passphrase,
        row.deleted_at,
    )
