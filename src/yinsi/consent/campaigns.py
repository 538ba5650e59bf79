"""Re-consent campaigns: asking every subject on an older version to answer a new one (X02, W19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Campaign:
    """A re-consent campaign for ``version`` (X02, W19)."""

    id: str
    app_id: str
    version: str
    subjects: int
    started_at: datetime
    started_by: str
