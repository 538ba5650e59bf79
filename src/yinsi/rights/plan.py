"""An execution plan: the steps a rights request takes, persisted before the first effect.

A plan is made once (its keys resolved by walking the data map, or, for an erasure of
rows nothing can hold, a predicate on the subject: ``params["match"]``) and stored with
every step; running it marks each step ``running`` then ``done`` with its outcome. After
a crash (kill -9 mid-way) the run resumes at the first step not ``done``; every step is
idempotent (erasing erased keys, or rows a predicate erased, changes nothing; the
processor gets the same idempotency key), so repeating the one that was running when
the process died is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    EXPORT = "export"
    """Read the records and add them to the export archive."""
    ERASE = "erase"
    """Erase the records (row delete or per-field strategies)."""
    RESTRICT = "restrict"
    """Record a restriction for held elements (X28) in the ledger."""
    CORRECT = "correct"
    WITHDRAW = "withdraw"
    """Record a consent withdrawal in the ledger."""
    NOTIFY = "notify"
    """Send an erasure instruction to a processor and record its confirmation (X21)."""
    REVIEW = "review"
    """A person answers (complaint, contest of an automated decision, explanation)."""


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Step:
    """One idempotent unit of work of a plan."""

    request_id: str
    n: int
    """Position in the plan, from 1; steps run in this order."""
    action: Action
    dataset: str | None = None
    keys: tuple[str, ...] = ()
    """The records the step acts on, resolved when the plan was made (none for an erase
    step planned as a predicate, ``params["match"]``)."""
    params: dict[str, Any] = field(default_factory=dict)
    status: StepStatus = StepStatus.PENDING
    attempts: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)
    """What the step did: counts, confirmation reference, error message."""
    started_at: datetime | None = None
    finished_at: datetime | None = None

    # Built field by field, not with dataclasses.replace (which looks the fields up on every
    # call): a batch of 1,000 requests moves 14,000 steps twice.
    def started(self, at: datetime) -> Step:
        return self._moved(
            StepStatus.RUNNING, self.attempts + 1, self.outcome, at, self.finished_at
        )

    def finished(self, at: datetime, outcome: dict[str, Any]) -> Step:
        return self._moved(StepStatus.DONE, self.attempts, outcome, self.started_at, at)

    def failed(self, at: datetime, error: str) -> Step:
        return self._moved(StepStatus.FAILED, self.attempts, {"error": error}, self.started_at, at)

    def _moved(
        self,
        status: StepStatus,
        attempts: int,
        outcome: dict[str, Any],
        started_at: datetime | None,
        finished_at: datetime | None,
    ) -> Step:
        return Step(
            self.request_id,
            self.n,
            self.action,
            self.dataset,
            self.keys,
            self.params,
            status,
            attempts,
            outcome,
            started_at,
            finished_at,
        )


def awaits_answer(steps: Sequence[Step], answered: bool) -> bool:
    """Whether a plan waits only for a person: every step not done is a review and the
    request has no answer yet (running it again does nothing until it is answered)."""
    left = [s for s in steps if s.status is not StepStatus.DONE]
    return bool(left) and not answered and all(s.action is Action.REVIEW for s in left)
