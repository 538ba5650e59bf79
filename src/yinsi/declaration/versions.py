"""Published policy versions: immutable, content-addressed, each judged against the one before (X01, X03)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ChangeFlag:
    """One change against the previous version, judged, without its old and new values."""

    section: str
    key: str
    kind: str
    field: str | None
    material: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """A published, immutable policy version of an app (X01)."""

    app_id: str
    version: str
    content_sha256: str
    effective: date
    published_at: datetime
    declaration_text: str
    previous_version: str | None
    """The version published just before this one, which ``changes`` are measured from."""
    changes: tuple[ChangeFlag, ...]

    @property
    def material(self) -> bool:
        """Whether users must be told prominently and asked again (X03, PIPL Art. 14)."""
        return any(c.material for c in self.changes)
