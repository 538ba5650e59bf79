"""The audit log as the entry points see it: verify the hash chain, page through entries."""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.security import AuditEntry, AuditHead, Break, verify
from yinsi.storage import UnitsOfWork

__all__ = ["AuditPage", "AuditService", "AuditVerification"]


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The whole chain checked against its registered head."""

    entries: int
    head: AuditHead
    breaks: tuple[Break, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries with seq in ``(after_seq, after_seq + limit]``, oldest first, and the head."""

    entries: tuple[AuditEntry, ...]
    head: AuditHead


class AuditService:
    def __init__(self, units: UnitsOfWork) -> None:
        self._units = units

    def verify(self) -> AuditVerification:
        """Read every entry and the head in one transaction and check the chain (X41)."""
        with self._units(read_only=True) as uow:
            entries = list(uow.audit.entries())
            head = uow.audit.head()
        return AuditVerification(len(entries), head, tuple(verify(entries, head)))

    def head(self) -> AuditHead:
        with self._units(read_only=True) as uow:
            return uow.audit.head()

    def page(self, *, before: int | None = None, size: int = 50) -> AuditPage:
        """The ``size`` entries just before seq ``before`` (None: the newest), oldest first."""
        with self._units(read_only=True) as uow:
            head = uow.audit.head()
            last = head.seq if before is None else min(before - 1, head.seq)
            entries = tuple(uow.audit.entries(after_seq=max(0, last - size), limit=size))
        return AuditPage(entries, head)
