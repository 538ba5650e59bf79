"""How the rights service runs a plan: the step journal and the effects outside the stores.

The runner (:func:`yinsi.rights.executor.run`) calls :class:`StepJournal` before and after
each step, and :class:`RequestEffects` for what is not an erasure in a store: withdrawing
a consent and restricting held elements in the consent ledger, and writing the export
files of an access or copy request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from yinsi.consent import Channel, Evidence
from yinsi.rights import export as exporting
from yinsi.rights.executor import Effects, Journal
from yinsi.rights.plan import Step, StepStatus
from yinsi.rights.requests import RightsRequest
from yinsi.storage import UnitOfWork, UnitsOfWork

if TYPE_CHECKING:
    from yinsi.services.rights import RightsService

__all__ = [
    "RequestEffects",
    "StepJournal",
    "read_many",
]


def read_many(uow: UnitOfWork, ids: list[str]) -> dict[str, RightsRequest]:
    """The requests of ``ids``, in a few statements where the store can; raises
    :class:`~yinsi.storage.errors.RequestNotFound` for one missing."""
    found = uow.requests.get_many(ids)
    for request_id in ids:
        if request_id not in found:
            found[request_id] = uow.requests.get(request_id)  # RequestNotFound
    return found


Work = Callable[[UnitOfWork], None]
"""Writes to make in a journal commit's unit of work (a claim, a status move, a plan)."""


class StepJournal(Journal):
    """Stores each step as the runner moves it (running, done, failed), a group's steps
    in one transaction.

    ``before``: writes stored in the same commit as the first step marked running (or by
    :meth:`flush` if no step runs): a run's claim, its move to ``executing`` and its
    plan, so they cost no commit of their own. ``defer_done``: steps marked ``done`` are
    held in memory and stored with the next write (the next steps marked running, or
    :meth:`flush` with the request's final status). The protocol still holds: a step is
    stored ``running`` before its effect, and ``done`` only after it; a crash before a
    held ``done`` is stored leaves the step ``running``, which the next run repeats
    (every step is idempotent). ``plan``: a new plan, inserted in that first commit (after
    ``before``'s writes) with its first steps already as the runner stores them
    (``running``): one ``INSERT``, no ``UPDATE`` of the rows just inserted."""

    def __init__(
        self,
        units: UnitsOfWork,
        on_step: Callable[[Step], None] | None,
        *,
        before: Work | None = None,
        defer_done: bool = False,
        plan: Sequence[Step] | None = None,
    ) -> None:
        self._units = units
        self._on_step = on_step
        self._before = before
        self._defer = defer_done
        self._held: list[Step] = []
        self._plan = list(plan) if plan else None

    def update(self, step: Step) -> None:
        self.update_many([step])

    def update_many(self, steps: list[Step]) -> None:
        """Steps (maybe of several requests) in one transaction, with what is held."""
        if not steps:
            return
        if self._defer and all(s.status is StepStatus.DONE for s in steps):
            self._held += steps
        else:
            self._write(steps, None)
        if self._on_step is not None:
            for step in steps:
                self._on_step(step)

    def flush(self, after: Work | None = None) -> None:
        """Store what is held (and ``before`` if not stored yet) with ``after``'s writes,
        in one commit; nothing when there is nothing to store."""
        if self._held or self._before is not None or self._plan or after is not None:
            self._write([], after)

    def keep_held(self) -> None:
        """Store the held ``done`` steps, if the run's first commit was made (a run
        stopping on an error keeps what it finished)."""
        if self._held and self._before is None:
            self._write([], None)

    def _write(self, steps: list[Step], after: Work | None) -> None:
        with self._units() as uow:
            if self._before is not None:
                self._before(uow)
            progress = self._held + steps
            if self._plan is not None:
                progress = self._insert_plan(uow, progress)
            if len(progress) == 1:
                uow.plans.update(progress[0])
            elif progress:
                uow.plans.update_many(progress)
            if after is not None:
                after(uow)
            uow.commit()
        self._before = None
        self._plan = None
        self._held = []

    def _insert_plan(self, uow: UnitOfWork, progress: list[Step]) -> list[Step]:
        """Insert the plan, each step as ``progress`` has it if there; the steps of
        ``progress`` left to update (of no step of this plan)."""
        assert self._plan is not None
        moved = {(s.request_id, s.n): s for s in progress}
        uow.plans.insert([moved.pop((s.request_id, s.n), s) for s in self._plan])
        return list(moved.values())


class RequestEffects(Effects):
    """What running a plan does besides the stores: consent ledger writes and export files."""

    def __init__(self, service: RightsService, actor: str) -> None:
        self._s = service
        self._actor = actor

    def _evidence(self, request: RightsRequest) -> Evidence:
        known = {c.value: c for c in Channel}  # a request from the privacy center says h5
        return Evidence(known.get(request.channel, Channel.CUSTOMER_SERVICE), account=request.id)

    def withdraw(self, request: RightsRequest, consent_id: str) -> bool:
        engine = self._s.engine
        state = engine.state(request.app_id, request.subject_id)
        if consent_id not in state.granted:
            return False
        engine.withdraw(
            request.app_id,
            request.subject_id,
            consent_id,
            evidence=self._evidence(request),
            actor=self._actor,
        )
        return True

    def restrict(self, request: RightsRequest, elements: list[str]) -> list[str]:
        _, done = self._s.engine.restrict(
            request.app_id,
            request.subject_id,
            elements,
            evidence=self._evidence(request),
            actor=self._actor,
        )
        return done

    def export_part(self, request: RightsRequest, dataset: str, rows: list[dict[str, Any]]) -> None:
        """One dataset's records, kept 0600 in a 0700 folder until the archive is made
        (atomic: a crash leaves the old or the new file, never a partial one)."""
        clean = [{k: exporting.plain(v) for k, v in row.items()} for row in rows]
        data = json.dumps(clean, ensure_ascii=False).encode("utf-8")
        self._s.exports.write_part(request.id, dataset, data)

    def export_package(self, request: RightsRequest) -> str:
        """The archive (0600, encrypted when configured, with an expiry); the parts are
        removed once it is stored."""
        folder = self._s.exports.parts(request.id)
        parts = (
            {
                p.stem: json.loads(p.read_text(encoding="utf-8"))
                for p in sorted(folder.glob("*.json"))
            }
            if folder.exists()
            else {}
        )
        with self._s.units() as uow:
            provisions = uow.provisions.of_subject(request.app_id, request.subject_id)
        data = exporting.archive(self._s.declaration, self._s.data_map, parts, provisions)
        target = self._s.exports.write(request.id, request.app_id, request.subject_id, data)
        return str(target)
