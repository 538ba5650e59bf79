"""Why data is kept despite a deletion: retention rules with a legal minimum, legal holds.

A :class:`LegalHold` is put on a subject by staff (an open dispute, a court order, a
regulator's inquiry); a retention rule of the declaration holds rows of a dataset for its
period after a date column (e.g. loan contracts 5 years after settlement). Held data is
not erased: it is restricted — every processing except storage and security stops
(PIPL Art. 47 para. 2, X28) — and the requester is told what was kept, why, until when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class LegalHold:
    id: str
    app_id: str
    subject_id: str
    reason: str
    """Shown to the requester, e.g. 存在未决的借款纠纷."""
    created_at: datetime
    created_by: str
    dataset: str | None = None
    """None: every dataset of the subject."""
    until: date | None = None
    """None: until released."""
    released_at: datetime | None = None

    def active(self, today: date) -> bool:
        return self.released_at is None and (self.until is None or today <= self.until)
