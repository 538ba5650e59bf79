"""Execution plans on SQL: all steps of a request stored at once, before the first effect.

The plan's primary key (request, n) makes a second plan impossible even when two
executors race: the loser's insert fails and raises
:class:`~yinsi.storage.errors.PlanExists`. After a crash the executor reads the steps
back and resumes at the first one not done (see :mod:`yinsi.rights.plan`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yinsi.rights.plan import Step
from yinsi.storage.dbapi_rows import dbapi_statement, on_sqlite, run_columns
from yinsi.storage.errors import PlanExists, RequestNotFound, StepNotFound
from yinsi.storage.rights_mapping import (
    step_columns,
    step_from_row,
    step_progress_columns,
    step_progress_values,
    step_row,
    step_values,
)
from yinsi.storage.rights_ports import PlanStore
from yinsi.storage.rights_tables import RightsRequestRow, RightsStepRow

_STEPS = cast(Table, RightsStepRow.__table__)
_PROGRESS = ("status", "attempts", "outcome", "started_at", "finished_at")
_UPDATE_BY_KEY = (
    update(_STEPS)
    .where(_STEPS.c.request_id == bindparam("request"), _STEPS.c.n == bindparam("number"))
    .values({c: bindparam(f"new_{c}", type_=_STEPS.c[c].type) for c in _PROGRESS})
)
"""A step's progress by its key, bound per row (run with a list of rows: executemany)."""
_INSERT_STEP = insert(_STEPS).values({c.key: bindparam(c.key, type_=c.type) for c in _STEPS.c})
"""One step's row, every column bound (run per row on SQLite's cursor)."""
_INSERT_STEP_DBAPI = dbapi_statement(_INSERT_STEP)
_UPDATE_BY_KEY_DBAPI = dbapi_statement(_UPDATE_BY_KEY)
_READ_STEPS = select(_STEPS).where(_STEPS.c.request_id == bindparam("request")).order_by(_STEPS.c.n)
"""A request's plan, for :meth:`SqlPlanStore.steps`."""


class SqlPlanStore(PlanStore):
    def __init__(self, session: Session) -> None:
        self._session = session

    def save(self, steps: Sequence[Step]) -> None:
        request_id = _one_request(steps)
        known = select(RightsRequestRow.id).where(RightsRequestRow.id == request_id)
        if self._session.scalar(known) is None:
            raise RequestNotFound(request_id)
        if self._has_plan(request_id):
            raise PlanExists(request_id)
        try:
            with self._session.begin_nested():
                self._session.add_all(step_row(s) for s in steps)
                self._session.flush()
        except IntegrityError as exc:  # a concurrent executor stored its plan first
            if self._has_plan(request_id):
                raise PlanExists(request_id) from exc
            raise

    def insert(self, steps: Sequence[Step]) -> None:
        """:meth:`save` for a caller that has just checked the request (it moved it in this
        unit of work) and read no plan: one ``INSERT`` for every step, no read first. A
        plan stored since by another run violates the primary key: :class:`PlanExists`
        (the unit of work is then to be rolled back)."""
        self._insert_rows(steps, _one_request(steps))

    def insert_many(self, plans: Sequence[Sequence[Step]]) -> None:
        """:meth:`insert` for many requests' plans: one ``INSERT`` run for every step."""
        for steps in plans:
            _one_request(steps)
        every = [s for steps in plans for s in steps]
        if every:
            self._insert_rows(every, ", ".join(dict.fromkeys(s.request_id for s in every)))

    def _insert_rows(self, steps: Sequence[Step], request_id: str) -> None:
        """One ``INSERT`` of ``steps``; :class:`PlanExists` naming ``request_id`` (the
        request, or requests, whose plan it stores) if one of them has a plan."""
        try:
            if on_sqlite(self._session):  # the rows on the cursor, built column by column
                run_columns(self._session, _INSERT_STEP_DBAPI, step_columns(steps))
            else:
                rows = [step_values(s) for s in steps]
                self._session.connection().execute(insert(_STEPS), rows)
        except IntegrityError as exc:
            raise PlanExists(request_id) from exc

    def steps(self, request_id: str) -> builtins.list[Step]:
        """One Core statement (a run reads its plan first: no ORM objects to build)."""
        rows = self._session.connection().execute(_READ_STEPS, {"request": request_id})
        return [step_from_row(r) for r in rows]

    def steps_many(self, request_ids: Sequence[str]) -> dict[str, builtins.list[Step]]:
        """:meth:`steps` of many requests (a batch run's chunk), in one statement per 500
        ids; a request without a plan maps to an empty list."""
        out: dict[str, builtins.list[Step]] = {r: [] for r in request_ids}
        ids = builtins.list(out)
        for start in range(0, len(ids), 500):
            rows = self._session.scalars(
                select(RightsStepRow)
                .where(RightsStepRow.request_id.in_(ids[start : start + 500]))
                .order_by(RightsStepRow.request_id, RightsStepRow.n)
                .execution_options(populate_existing=True)
            )
            for row in rows:
                out[row.request_id].append(step_from_row(row))
        return out

    def update(self, step: Step) -> None:
        result = self._session.connection().execute(
            update(RightsStepRow)
            .where(RightsStepRow.request_id == step.request_id, RightsStepRow.n == step.n)
            .values(**step_progress_values(step))
        )
        if result.rowcount != 1:
            raise StepNotFound(step.request_id, step.n)

    def update_many(self, steps: Sequence[Step]) -> None:
        """One ``UPDATE`` run for every step (the driver's ``executemany``; on SQLite row
        by row on the cursor, :mod:`.dbapi_rows`, as fast for thousands of steps and
        faster for a run's few): a batch run journals thousands of steps at once."""
        if len(steps) < 2:
            super().update_many(steps)
            return
        if on_sqlite(self._session):  # the rows on the cursor, built column by column
            columns = step_progress_columns(steps, "new_")
            columns["request"] = [s.request_id for s in steps]
            columns["number"] = [s.n for s in steps]
            updated = run_columns(self._session, _UPDATE_BY_KEY_DBAPI, columns)
        else:
            rows = [_progress_row(s) for s in steps]
            updated = self._session.connection().execute(_UPDATE_BY_KEY, rows).rowcount
        if updated != len(steps):  # a driver reporting -1 gives no count: check
            known = self._known(steps)
            missing = next((s for s in steps if (s.request_id, s.n) not in known), None)
            if missing is not None:
                raise StepNotFound(missing.request_id, missing.n)

    def _known(self, steps: Sequence[Step]) -> set[tuple[str, int]]:
        ids = sorted({s.request_id for s in steps})
        found = self._session.execute(
            select(RightsStepRow.request_id, RightsStepRow.n).where(
                RightsStepRow.request_id.in_(ids)
            )
        )
        return {(r, n) for r, n in found}

    def _has_plan(self, request_id: str) -> bool:
        first = select(RightsStepRow.n).where(RightsStepRow.request_id == request_id).limit(1)
        return self._session.scalar(first) is not None


def _progress_row(step: Step) -> dict[str, object]:
    """The parameters of :data:`_UPDATE_BY_KEY` for ``step``."""
    values = step_progress_values(step)
    return {"request": step.request_id, "number": step.n} | {
        f"new_{column}": value for column, value in values.items()
    }


def _one_request(steps: Sequence[Step]) -> str:
    """The request the steps are the plan of; refuses steps that do not make one plan."""
    if not steps:
        raise ValueError("a plan has at least one step")
    request_id = steps[0].request_id
    others = sorted({s.request_id for s in steps} - {request_id})
    if others:
        raise ValueError(
            f"a plan belongs to one request; steps of {request_id} and {', '.join(others)} "
            "were given together: save each request's plan on its own"
        )
    numbers = [s.n for s in steps]
    if numbers != list(range(1, len(steps) + 1)):
        raise ValueError(
            f"the steps of a plan are numbered 1, 2, … in order; {request_id} has {numbers}"
        )
    return request_id
