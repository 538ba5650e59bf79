"""Preconditions an app puts on a kind of request, judged on the subject's records (W16)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from yinsi.rights.walk import Found
from yinsi.taxonomy import RightKind

__all__ = ["NoRecordWhile", "Precondition"]


class Precondition(ABC):
    """A check an app provides before a kind of request may be approved (W16)."""

    id: str
    kind: RightKind
    text: str
    """Shown to the user when it fails, e.g. 您尚有未结清的借款，结清后方可注销账号。"""

    @abstractmethod
    def holds(self, found: Found) -> bool:
        """True when the request may go ahead, judged on the subject's records."""


class NoRecordWhile(Precondition):
    """Refuse while any record of ``dataset`` meets the ``while`` condition of ``rule``'s
    hold (e.g. a loan with status outstanding): W16, no cancellation with debt."""

    def __init__(self, id: str, kind: RightKind, dataset: str, rule: str, text: str) -> None:
        self.id, self.kind, self.dataset, self.rule, self.text = id, kind, dataset, rule, text

    def holds(self, found: Found) -> bool:
        return not any(
            r.holds.get(self.rule) is not None and r.holds[self.rule].condition
            for r in found.records.get(self.dataset, [])
        )
