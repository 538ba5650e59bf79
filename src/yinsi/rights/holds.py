"""Why data is kept despite a deletion: running contracts, retention periods, legal holds.

Two kinds of reason (:class:`HoldKind`):

- **contract**: the relationship is running (a data-map hold's ``while`` condition is
  true, or its ``since`` date is still empty: a loan outstanding). The purpose is not yet
  achieved (PIPL Art. 47 (1)): the processing the contract needs goes on, nothing is
  restricted, and the deletion is deferred — it runs by itself once the relationship ends
  (:mod:`yinsi.services.rights_deferred`).
- **legal_retention**: a retention rule's period after its ``since`` date has not run out
  (loan contracts 5 years after settlement), or staff put a :class:`LegalHold` on the
  subject (an open dispute, a court order, a regulator's inquiry). The data is kept and
  restricted — every processing except storage and security stops (Art. 47 para. 2, X28).

The requester is told what was kept, why, and until when or until what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class HoldKind(StrEnum):
    CONTRACT = "contract"
    """The relationship runs: processing continues, deletion is deferred until it ends."""
    LEGAL_RETENTION = "legal_retention"
    """The law (or a legal hold) requires keeping it: store only, restricted."""


def running_reason(rule_label: str, kind: HoldKind) -> str:
    """What the requester reads about a row held while its relationship runs."""
    if kind is HoldKind.CONTRACT:
        return f"“{rule_label}”的相关业务尚未结束，合同仍在履行中"
    return f"“{rule_label}”的相关业务尚未结束，依法须保存"


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
