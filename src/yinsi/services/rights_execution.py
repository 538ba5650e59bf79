"""How the rights service runs a plan: the step journal and the effects outside the stores.

The runner (:func:`yinsi.rights.executor.run`) calls :class:`StepJournal` before and after
each step, and :class:`RequestEffects` for what is not an erasure in a store: withdrawing
a consent and restricting held elements in the consent ledger, and writing the export
files of an access or copy request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yinsi.consent import Channel, Evidence
from yinsi.rights import export as exporting
from yinsi.rights.executor import Effects, Journal
from yinsi.rights.plan import Step
from yinsi.rights.requests import RightsRequest
from yinsi.storage import UnitsOfWork

if TYPE_CHECKING:
    from yinsi.services.rights import RightsService

__all__ = ["RequestEffects", "StepJournal"]


class StepJournal(Journal):
    """Stores each step as the runner moves it (running, done, failed), one transaction
    each, or a group's steps in one."""

    def __init__(self, units: UnitsOfWork, on_step: Callable[[Step], None] | None) -> None:
        self._units = units
        self._on_step = on_step

    def update(self, step: Step) -> None:
        with self._units() as uow:
            uow.plans.update(step)
            uow.commit()
        if self._on_step is not None:
            self._on_step(step)

    def update_many(self, steps: list[Step]) -> None:
        """A group's steps (maybe of several requests) in one transaction."""
        if not steps:
            return
        with self._units() as uow:
            uow.plans.update_many(steps)
            uow.commit()
        if self._on_step is not None:
            for step in steps:
                self._on_step(step)


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
