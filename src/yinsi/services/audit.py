"""The audit log as the entry points see it: verify the hash chain, page through entries,
record an entry for a command that changes something outside the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from yinsi.security import AuditEntry, AuditHead, Break, JsonValue, verify
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

    def record(
        self,
        actor: str,
        action: str,
        app_id: str,
        subject_id: str | None = None,
        *,
        details: Mapping[str, JsonValue] | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> AuditEntry:
        """Append one entry to the chain, in its own transaction.

        ``before_commit`` runs in that transaction after the append: an effect that must
        not happen unrecorded (``yinsi keys drop`` saves the key file there). If it
        raises, nothing is recorded.
        """
        with self._units() as uow:
            entry = uow.audit.append(actor, action, app_id, subject_id, details)
            if before_commit is not None:
                before_commit()
            uow.commit()
        return entry

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
