"""The port of the source register and the acquisition ledger (X18)."""

from __future__ import annotations

import abc
import builtins
from datetime import datetime

from yinsi.lifecycle.sourcing import Acquisition, Source

__all__ = ["SourceStore"]


class SourceStore(abc.ABC):
    """The port: vetted sources and the acquisitions made from them."""

    @abc.abstractmethod
    def add(self, source: Source) -> None:
        """Store a new vetting record; raises :class:`SourceError` when one with the same
        id is in force (revoke it first)."""

    @abc.abstractmethod
    def get(self, app_id: str, source_id: str) -> Source | None: ...

    @abc.abstractmethod
    def list(self, app_id: str) -> builtins.list[Source]: ...

    @abc.abstractmethod
    def revoke(
        self, app_id: str, source_id: str, *, at: datetime, actor: str, reason: str
    ) -> Source:
        """Mark the vetting revoked (audited); raises :class:`SourceError` if unknown."""

    @abc.abstractmethod
    def record(self, acquisition: Acquisition) -> Acquisition:
        """Append an allowed acquisition (audited); returned with its id."""

    @abc.abstractmethod
    def acquisitions(self, app_id: str, subject_id: str) -> builtins.list[Acquisition]: ...
