"""Run a persisted plan step by step, durably: resume after a crash, never repeat an effect.

Each step is marked ``running`` (and that is stored) before its effect, and ``done`` with
its outcome after. A process killed in between leaves the step ``running``; the next run
starts again at the first step not ``done`` — repeating that step is harmless because
every step is idempotent (erasing erased keys changes nothing, a processor gets the same
idempotency key, a withdrawal or restriction already recorded is not recorded twice).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yinsi.declaration.datamap import DataMap
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import subset
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.rights.requests import RightsRequest


class Journal(ABC):
    """Where steps are stored; each call commits before it returns."""

    @abstractmethod
    def update(self, step: Step) -> None: ...


class Effects(ABC):
    """What a step does outside the stores: the ledger, the export archive."""

    @abstractmethod
    def withdraw(self, request: RightsRequest, consent_id: str) -> bool:
        """Record the withdrawal unless already recorded; True if recorded now."""

    @abstractmethod
    def restrict(self, request: RightsRequest, elements: list[str]) -> list[str]:
        """Record restrictions not yet recorded; returns the elements newly restricted."""

    @abstractmethod
    def export_part(self, request: RightsRequest, dataset: str, rows: list[dict[str, Any]]) -> None:
        """Store one dataset's records for the archive (overwrites: idempotent)."""

    @abstractmethod
    def export_package(self, request: RightsRequest) -> str:
        """Build the archive from the stored parts; returns its reference."""


class StepFailed(Exception):
    """A step could not run; the request stays ``executing`` and can be run again."""

    def __init__(self, step: Step, message: str) -> None:
        super().__init__(f"step {step.n} ({step.action.value} {step.dataset or ''}): {message}")
        self.step = step


@dataclass(frozen=True, slots=True)
class Context:
    request: RightsRequest
    data_map: DataMap
    connectors: Mapping[str, Connector]
    effects: Effects
    hash_key: bytes
    clock: Callable[[], datetime]


def run(steps: list[Step], journal: Journal, ctx: Context) -> list[Step]:
    """Run every step not done yet, in order; returns the steps as they end.

    Raises :class:`StepFailed` at the first failing step (stored as ``failed``).
    """
    out: list[Step] = []
    for step in steps:
        if step.status is StepStatus.DONE:
            out.append(step)
            continue
        if step.action is Action.REVIEW and not ctx.request.answer:
            out.append(step)  # waits for a person's answer
            continue
        running = step.started(ctx.clock())
        journal.update(running)
        try:
            outcome = _execute(running, ctx)
        except (ConnectorError, ValueError) as exc:
            failed = running.failed(ctx.clock(), str(exc))
            journal.update(failed)
            raise StepFailed(failed, str(exc)) from exc
        done = running.finished(ctx.clock(), outcome)
        journal.update(done)
        out.append(done)
    return out


def _execute(step: Step, ctx: Context) -> dict[str, Any]:
    request = ctx.request
    match step.action:
        case Action.EXPORT if step.dataset is None:
            return {"archive": ctx.effects.export_package(request)}
        case Action.EXPORT:
            assert step.dataset is not None
            ds = ctx.data_map.dataset(step.dataset)
            records = ctx.connectors[ds.store].find_keys(ds, list(step.keys))
            rows = [
                {"key": r.key, **{f.name: r.values.get(f.name) for f in ds.fields}} for r in records
            ]
            ctx.effects.export_part(request, ds.id, rows)
            return {"records": len(rows)}
        case Action.ERASE | Action.NOTIFY:
            assert step.dataset is not None
            full = ctx.data_map.dataset(step.dataset)
            elements = step.params.get("elements")
            ds = subset(full, elements) or full
            result = ctx.connectors[ds.store].erase(
                ds,
                list(step.keys),
                hash_key=ctx.hash_key,
                idempotency_key=f"{request.id}:{step.n}",
            )
            outcome: dict[str, Any] = {"affected": result.affected}
            if result.confirmation is not None:
                outcome["confirmation"] = result.confirmation
            return outcome
        case Action.CORRECT:
            assert step.dataset is not None
            ds = ctx.data_map.dataset(step.dataset)
            value = request.corrections.get(str(step.params["element"]))
            if value is None:  # corrections are cleared once executed: already done
                return {"changed": 0, "note": "already applied"}
            connector = ctx.connectors[ds.store]
            changed = sum(
                connector.correct(ds, key, str(step.params["field"]), value) for key in step.keys
            )
            return {"changed": changed}
        case Action.WITHDRAW:
            return {"recorded": ctx.effects.withdraw(request, str(step.params["consent_id"]))}
        case Action.RESTRICT:
            elements = [str(e) for e in step.params.get("elements", [])]
            return {"restricted": ctx.effects.restrict(request, elements)}
        case Action.REVIEW:
            return {"answered": True}
    raise ValueError(f"unknown action {step.action}")  # pragma: no cover
