"""A step's moves (started, finished, failed) keep every other field as it was."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

from yinsi.rights.plan import Action, Step, StepStatus

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 7, 1, 5, tzinfo=UTC)


def _step() -> Step:
    values = {
        "request_id": "req_1",
        "n": 3,
        "action": next(iter(Action)),
        "dataset": "loans",
        "keys": ("7", "8"),
        "params": {"match": {"user_id": ["u1"]}},
        "status": StepStatus.PENDING,
        "attempts": 2,
        "outcome": {"affected": 1},
        "started_at": T0,
        "finished_at": None,
    }
    assert set(values) == {f.name for f in fields(Step)}, "a new Step field: add it here"
    return Step(**values)


def test_started_finished_and_failed_change_only_their_own_fields() -> None:
    step = _step()
    started = step.started(T1)
    assert started == replace(step, status=StepStatus.RUNNING, attempts=3, started_at=T1)
    done = started.finished(T1, {"affected": 4})
    assert done == replace(started, status=StepStatus.DONE, outcome={"affected": 4}, finished_at=T1)
    failed = started.failed(T1, "timeout")
    assert failed == replace(
        started, status=StepStatus.FAILED, outcome={"error": "timeout"}, finished_at=T1
    )
