"""Rows of rights requests to the domain's types and back; the only place knowing both."""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.requests import Due, Refusal, Requester, RightsRequest, Status, Transition
from yinsi.rights.verification import Challenge, Method
from yinsi.storage.mapping import utc
from yinsi.storage.rights_tables import (
    LegalHoldRow,
    RightsChallengeRow,
    RightsRequestRow,
    RightsStepRow,
    RightsTransitionRow,
)
from yinsi.taxonomy import DeletionTrigger, RightKind

_RIGHT_KINDS = {k.value: k for k in RightKind}
_TRIGGERS = {t.value: t for t in DeletionTrigger}
"""By value: these labelled enums take (value, label) in their constructor, so mypy refuses
``RightKind(value)``."""


def _utc_or_none(value: datetime | None, what: str) -> datetime | None:
    return None if value is None else utc(value, what)


_RECORDS: dict[tuple[str, ...], type[Any]] = {}
"""Named tuples by the columns a Core query returned (:func:`records`)."""


def records(rows: Iterable[Row[Any]]) -> list[Any]:
    """Core rows as named tuples with the same names: a Row's attribute costs about half
    a microsecond a read, a named tuple's a tenth of it, and a batch's chunk reads some
    thirty columns of hundreds of requests (their mapping here reads them by name)."""
    out: list[Any] = []
    make: Any = None
    for row in rows:
        if make is None:
            names = tuple(row._fields)
            kind: Any = _RECORDS.get(names)
            if kind is None:
                kind = _RECORDS[names] = namedtuple("Record", names)
            make = kind._make
        out.append(make(row))
    return out


def progress_values(request: RightsRequest) -> dict[str, Any]:
    """The columns that change over a request's life (the filing itself never does)."""
    due, refusal = request.due, request.refusal
    return {
        "status": request.status.value,
        "verified_at": _utc_or_none(request.verified_at, f"verified_at of {request.id}"),
        "due_date": None if due is None else due.date,
        "due_working_days": None if due is None else due.working_days,
        "due_counted_from": None if due is None else due.counted_from,
        "due_provisional": None if due is None else due.provisional,
        "due_target": None if due is None else due.target,
        "due_warning": None if due is None else due.warning,
        "refusal_ground": None if refusal is None else refusal.ground,
        "refusal_text": None if refusal is None else refusal.text,
        "refusal_remedy": None if refusal is None else refusal.remedy,
        "answer": request.answer,
    }


def changed_columns(
    read: RightsRequest, request: RightsRequest, values: dict[str, Any]
) -> list[str]:
    """The progress columns but ``status`` whose values differ between ``read`` and
    ``request`` (``values``: the latter's), sorted. A move made with ``request.moved()``
    (or ``replace(…, answer=…)``) shares the read request's verification time, due date
    and refusal objects: then only the answer is compared (a batch moves thousands)."""
    if (
        read.verified_at is request.verified_at
        and read.due is request.due
        and read.refusal is request.refusal
    ):
        return [] if read.answer == request.answer else ["answer"]
    before = progress_values(read)
    return sorted(k for k, v in values.items() if k != "status" and before.get(k) != v)


@functools.cache
def new_name(column: str) -> str:
    """The parameter of ``column``'s new value in :func:`~.rights_requests._move_statement`."""
    return f"new_{column}"


def request_row(request: RightsRequest, updated_at: datetime) -> RightsRequestRow:
    return RightsRequestRow(
        id=request.id,
        app_id=request.app_id,
        subject_id=request.subject_id,
        kind=request.kind.value,
        channel=request.channel,
        requester_relation=request.requester.relation,
        requester_name=request.requester.name,
        trigger=None if request.trigger is None else request.trigger.value,
        consent_id=request.consent_id,
        corrections=dict(request.corrections),
        text=request.text,
        received_at=utc(request.received_at, f"received_at of {request.id}"),
        transitions=len(request.history),
        updated_at=updated_at,
        **progress_values(request),
    )


def transition_rows(
    request_id: str, history: Iterable[Transition], first: int
) -> list[RightsTransitionRow]:
    """Rows of ``history``, numbered from ``first``."""
    return [RightsTransitionRow(**v) for v in transition_values(request_id, history, first)]


def transition_values(
    request_id: str, history: Iterable[Transition], first: int
) -> list[dict[str, Any]]:
    """The ``rights_transitions`` columns of ``history``, numbered from ``first`` (for a
    Core ``INSERT``: no ORM object per transition)."""
    return [
        {
            "request_id": request_id,
            "n": n,
            "at": utc(t.at, f"the time of transition {n} of {request_id}"),
            "status": t.status.value,
            "actor": t.actor,
            "note": t.note,
        }
        for n, t in enumerate(history, start=first)
    ]


_STATUSES = {s.value: s for s in Status}
"""By value: a dict lookup (a batch reads thousands of transitions; ``Status(value)`` is
an enum call each)."""


def transition_from_row(row: RightsTransitionRow | Row[Any]) -> Transition:
    return Transition(at=row.at, status=_status(row.status), actor=row.actor, note=row.note)


def _status(value: str) -> Status:
    """The status stored as ``value`` (unknown: :class:`Status`'s own error)."""
    return _STATUSES.get(value) or Status(value)


def request_from_row(
    row: RightsRequestRow | Row[Any], history: Iterable[RightsTransitionRow | Row[Any]]
) -> RightsRequest:
    """The request of an ORM row or a Core row of ``rights_requests`` (same names)."""
    return RightsRequest(
        id=row.id,
        app_id=row.app_id,
        subject_id=row.subject_id,
        kind=_RIGHT_KINDS[row.kind],
        status=_status(row.status),
        received_at=row.received_at,
        requester=Requester(relation=row.requester_relation, name=row.requester_name),
        channel=row.channel,
        trigger=None if row.trigger is None else _TRIGGERS[row.trigger],
        consent_id=row.consent_id,
        corrections=dict(row.corrections),
        text=row.text,
        verified_at=row.verified_at,
        due=_due(row),
        refusal=_refusal(row),
        answer=row.answer,
        history=tuple(transition_from_row(t) for t in history),
    )


def _due(row: RightsRequestRow | Row[Any]) -> Due | None:
    if row.due_date is None:
        return None
    assert row.due_working_days is not None and row.due_counted_from is not None
    return Due(
        date=row.due_date,
        working_days=row.due_working_days,
        counted_from=row.due_counted_from,
        provisional=bool(row.due_provisional),
        target=row.due_target,
        warning=row.due_warning or "",
    )


def _refusal(row: RightsRequestRow | Row[Any]) -> Refusal | None:
    if row.refusal_ground is None:
        return None
    return Refusal(
        ground=row.refusal_ground, text=row.refusal_text or "", remedy=row.refusal_remedy or ""
    )


def step_progress_values(step: Step) -> dict[str, Any]:
    """The columns a run of the step changes (a batch journals thousands of steps: the
    error text of a naive time is built only when one is met; UTC times kept as they are)."""
    outcome = step.outcome
    return {
        "status": step.status.value,
        "attempts": step.attempts,
        "outcome": outcome if outcome.__class__ is dict else dict(outcome),
        "started_at": _step_time(step, step.started_at, "started_at"),
        "finished_at": _step_time(step, step.finished_at, "finished_at"),
    }


def _step_time(step: Step, at: datetime | None, what: str) -> datetime | None:
    """``at`` (the step's ``what``) in UTC: itself when it is, or None; a naive time
    refused naming the step (the text built only then)."""
    if at is None or at.tzinfo is UTC:
        return at
    return utc(at, f"{what} of step {step.n} of {step.request_id}")


def step_values(step: Step) -> dict[str, Any]:
    """Every ``rights_steps`` column of ``step`` (a Core ``INSERT``: no ORM object)."""
    return {
        "request_id": step.request_id,
        "n": step.n,
        "action": step.action.value,
        "dataset": step.dataset,
        "keys": list(step.keys),
        "params": step.params if step.params.__class__ is dict else dict(step.params),
        **step_progress_values(step),
    }


def step_columns(steps: Sequence[Step]) -> dict[str, list[Any]]:
    """:func:`step_values` of ``steps`` column by column (a batch's thousands of rows on
    SQLite's cursor, :meth:`~.dbapi_writes.DbapiStatement.run_columns`); ``keys`` as the
    step's tuple (the same JSON array)."""
    return {
        "request_id": [s.request_id for s in steps],
        "n": [s.n for s in steps],
        "action": [s.action.value for s in steps],
        "dataset": [s.dataset for s in steps],
        "keys": [s.keys for s in steps],
        "params": [s.params for s in steps],
        **step_progress_columns(steps),
    }


def step_progress_columns(steps: Sequence[Step], prefix: str = "") -> dict[str, list[Any]]:
    """:func:`step_progress_values` of ``steps`` column by column, each name prefixed."""
    return {
        f"{prefix}status": [s.status.value for s in steps],
        f"{prefix}attempts": [s.attempts for s in steps],
        f"{prefix}outcome": [s.outcome or _NO_OUTCOME for s in steps],  # one {} for all
        f"{prefix}started_at": _utc_column(steps, [s.started_at for s in steps], "started_at"),
        f"{prefix}finished_at": _utc_column(steps, [s.finished_at for s in steps], "finished_at"),
    }


_NO_OUTCOME: dict[str, Any] = {}
"""The outcome of steps that have none, as one object (converted once); never changed."""


def _utc_column(
    steps: Sequence[Step], times: list[datetime | None], what: str
) -> list[datetime | None]:
    """``times`` (one per step) in UTC: the list itself when they all are (or None)."""
    if all(t is None or t.tzinfo is UTC for t in times):
        return times
    return [_step_time(s, t, what) for s, t in zip(steps, times, strict=True)]


def step_row(step: Step) -> RightsStepRow:
    return RightsStepRow(
        request_id=step.request_id,
        n=step.n,
        action=step.action.value,
        dataset=step.dataset,
        keys=list(step.keys),
        params=dict(step.params),
        **step_progress_values(step),
    )


def step_from_row(row: RightsStepRow | Row[Any]) -> Step:
    return Step(
        request_id=row.request_id,
        n=row.n,
        action=Action(row.action),
        dataset=row.dataset,
        keys=tuple(row.keys),
        params=dict(row.params),
        status=StepStatus(row.status),
        attempts=row.attempts,
        outcome=dict(row.outcome),
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def challenge_values(challenge: Challenge) -> dict[str, Any]:
    where = f"the {challenge.method.value} challenge of {challenge.request_id}"
    return {
        "request_id": challenge.request_id,
        "method": challenge.method.value,
        "secret_sha256": challenge.secret_sha256,
        "salt": challenge.salt,
        "created_at": utc(challenge.created_at, f"created_at of {where}"),
        "expires_at": _utc_or_none(challenge.expires_at, f"expires_at of {where}"),
        "attempts": challenge.attempts,
        "verified_at": _utc_or_none(challenge.verified_at, f"verified_at of {where}"),
    }


def challenge_from_row(row: RightsChallengeRow) -> Challenge:
    return Challenge(
        request_id=row.request_id,
        method=Method(row.method),
        secret_sha256=row.secret_sha256,
        salt=row.salt,
        created_at=row.created_at,
        expires_at=row.expires_at,
        attempts=row.attempts,
        verified_at=row.verified_at,
    )


def hold_row(hold: LegalHold) -> LegalHoldRow:
    return LegalHoldRow(
        id=hold.id,
        app_id=hold.app_id,
        subject_id=hold.subject_id,
        dataset=hold.dataset,
        reason=hold.reason,
        until=hold.until,
        created_at=utc(hold.created_at, f"created_at of legal hold {hold.id}"),
        created_by=hold.created_by,
        released_at=_utc_or_none(hold.released_at, f"released_at of legal hold {hold.id}"),
    )


def hold_from_row(row: LegalHoldRow | Row[Any]) -> LegalHold:
    return LegalHold(
        id=row.id,
        app_id=row.app_id,
        subject_id=row.subject_id,
        reason=row.reason,
        created_at=row.created_at,
        created_by=row.created_by,
        dataset=row.dataset,
        until=row.until,
        released_at=row.released_at,
    )
