"""The port of export archives at rest (issue 14): what ``uow.exports`` does.

Kept apart from :mod:`yinsi.storage.exports` (the table and adapter) so that
:mod:`yinsi.storage.ports` can name it without importing SQLAlchemy models.
"""

from __future__ import annotations

import abc
import builtins
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ExportFile", "ExportStore"]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """An archive of a request's export and how long it may be downloaded."""

    request_id: str
    app_id: str
    subject_id: str
    file_name: str
    created_at: datetime
    expires_at: datetime
    encrypted: bool = False
    passphrase: str | None = None
    deleted_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.deleted_at is not None or now >= self.expires_at


class ExportStore(abc.ABC):
    """The archives written; reached as ``uow.exports``."""

    @abc.abstractmethod
    def save(self, export: ExportFile) -> None:
        """Store ``export`` (a re-run of the same request replaces its row)."""

    @abc.abstractmethod
    def get(self, request_id: str) -> ExportFile | None: ...

    @abc.abstractmethod
    def due(self, now: datetime) -> builtins.list[ExportFile]:
        """Archives not deleted yet whose expiry is at or before ``now``, oldest first."""

    @abc.abstractmethod
    def mark_deleted(self, request_id: str, actor: str) -> None:
        """Record the deletion (forgetting the passphrase) and audit it."""
