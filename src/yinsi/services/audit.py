"""The audit log as the entry points see it: verify the hash chain, page through entries,
record an entry for a command that changes something outside the database, and anchor
the chain's head outside the database (:mod:`yinsi.services.audit_anchors`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from yinsi.security import AuditEntry, AuditHead, Break, JsonValue, verify
from yinsi.security.anchors import Anchor, sign
from yinsi.services.audit_anchors import (
    AnchorError,
    AnchorFiles,
    AnchorKeys,
    AnchorReport,
    append_anchor,
    post_anchor,
    read_anchors,
)
from yinsi.services.clock import Clock, utc_now
from yinsi.settings.audit import AuditSettings
from yinsi.storage import UnitsOfWork
from yinsi.storage.audit import AuditHeadMissing

__all__ = [
    "AnchorError",
    "AuditHeadMissing",
    "AuditPage",
    "AuditService",
    "AuditVerification",
]


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The whole chain checked against its registered head."""

    entries: int
    head: AuditHead
    breaks: tuple[Break, ...]
    anchors: AnchorReport | None = None
    """With an anchor file: the anchors read and what they show is wrong."""

    @property
    def intact(self) -> bool:
        return not self.breaks and not (self.anchors and self.anchors.problems)

    @property
    def empty(self) -> bool:
        """Nothing recorded yet (or everything removed: only anchors can tell)."""
        return self.entries == 0 and self.head.seq == 0


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Entries with seq in ``(after_seq, after_seq + limit]``, oldest first, and the head."""

    entries: tuple[AuditEntry, ...]
    head: AuditHead


class AuditService:
    """The audit log; ``settings`` and ``home`` say where the anchor key and file live.

    Raises :class:`AuditHeadMissing` (a storage error) when the head row was deleted.
    """

    def __init__(
        self,
        units: UnitsOfWork,
        *,
        settings: AuditSettings | None = None,
        home: Path = Path(".yinsi"),
        clock: Clock = utc_now,
    ) -> None:
        self._units = units
        self._settings = settings or AuditSettings()
        self.anchor_files = AnchorFiles.of(self._settings, home)
        self.anchor_keys = AnchorKeys(self.anchor_files)
        self._clock = clock

    def _read(self) -> tuple[list[AuditEntry], AuditHead]:
        with self._units(read_only=True) as uow:
            head = uow.audit.head()
            entries = list(uow.audit.entries())
        return entries, head

    def verify(self, *, anchor_file: Path | None = None) -> AuditVerification:
        """Read every entry and the head in one transaction and check the chain (X41);
        with ``anchor_file``, also check every anchor in it (raises :class:`AnchorError`
        when the file or the key cannot be read)."""
        entries, head = self._read()
        breaks = tuple(verify(entries, head))
        report = None
        if anchor_file is not None:
            report = read_anchors(anchor_file, self.anchor_keys, entries)
        return AuditVerification(len(entries), head, breaks, report)

    def create_anchor_key(self, *, replace: bool = False) -> str:
        """Make the anchor signing key (``yinsi audit anchor-key``); its key id."""
        return self.anchor_keys.create(replace=replace)

    def anchor(self) -> Anchor:
        """Sign the head and append it to the anchor file and/or POST it to the webhook.

        Refuses (:class:`AnchorError`) to anchor a chain that is broken or that the
        anchors already written contradict: an anchor vouches for what it saw.
        """
        private = self.anchor_keys.private()
        entries, head = self._read()
        breaks = verify(entries, head)
        if breaks:
            raise AnchorError(
                f"the audit chain is broken ({len(breaks)} breaks, first: {breaks[0]}); "
                "run `yinsi audit verify` and investigate before anchoring"
            )
        target = self.anchor_files.anchors
        if target.exists():
            report = read_anchors(target, self.anchor_keys, entries, require_one=False)
            if report.problems:
                raise AnchorError(
                    f"the log contradicts earlier anchors in {target} "
                    f"({report.problems[0]}); run `yinsi audit verify --anchor {target}`"
                )
        anchor = sign(private, head, len(entries), self._clock())
        append_anchor(target, anchor)
        url = self._settings.anchor_webhook_url
        if url:
            post_anchor(url, anchor, self._settings.anchor_webhook_timeout)
        return anchor

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
