"""Run a persisted plan step by step, durably: resume after a crash, never repeat an effect.

Each step is marked ``running`` (and that is stored) before its effect, and ``done`` with
its outcome after. A process killed in between leaves the step ``running``; the next run
starts again at the first step not ``done`` — repeating that step is harmless because
every step is idempotent (erasing erased keys changes nothing, a processor gets the same
idempotency key, a withdrawal or restriction already recorded is not recorded twice).

Consecutive erase steps on one store that can group them (SQL: :attr:`Connector.groups`)
run as one group: marked ``running`` together in one journal commit, erased in one store
transaction (:meth:`Connector.session`), marked ``done`` together in one commit. The
plan's order (children before parents) is kept inside the transaction. A crash after the
store's commit and before the journal's leaves the group ``running``; the next run erases
the erased keys again, which changes nothing, and marks them done: each effect happens
once and each step is done once. A failure inside the group rolls the whole transaction
back: the failing step is stored ``failed`` and the others ``pending`` again.

An erase step planned as a predicate (``params["match"]``, no keys: nothing can hold its
rows, :func:`yinsi.rights.walk.by_predicate`) runs ``DELETE``/``UPDATE … WHERE`` the
subject's rows, through its parent chain (:meth:`Connector.erase_where`). It is
idempotent the same way: a re-run after a crash executes the same predicates, which
match nothing the second time (emptied fields are skipped: ``… AND c IS NOT NULL``), so
each effect happens once; the outcome is ``{"affected": <rows>}`` of the run that did it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from yinsi.declaration.datamap import DataMap, Dataset
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import MATCH, subset
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.rights.predicates import PARENT, by_link
from yinsi.rights.requests import RightsRequest


class Journal(ABC):
    """Where steps are stored; each call commits before it returns."""

    @abstractmethod
    def update(self, step: Step) -> None: ...

    def update_many(self, steps: list[Step]) -> None:
        """Store several steps together; the default stores them one by one."""
        for step in steps:
            self.update(step)


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
    at = 0
    while at < len(steps):
        step = steps[at]
        group = _group(steps, at, ctx)
        if len(group) > 1:
            out += run_group(group, journal, ctx)
            at += len(group)
            continue
        at += 1
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


GROUPED = frozenset({Action.ERASE, Action.NOTIFY})


def store_of(step: Step, ctx: Context) -> str | None:
    """The store of an erase step whose connector groups calls; None for any other step."""
    if step.action not in GROUPED or step.dataset is None or step.status is StepStatus.DONE:
        return None
    store = ctx.data_map.dataset(step.dataset).store
    return store if ctx.connectors[store].groups else None


def _group(steps: list[Step], at: int, ctx: Context) -> list[Step]:
    """The steps from ``at`` on that run as one group (maybe one step, maybe none)."""
    store = store_of(steps[at], ctx)
    if store is None:
        return steps[at : at + 1]
    end = at + 1
    while end < len(steps) and store_of(steps[end], ctx) == store:
        end += 1
    return steps[at:end]


def run_group(group: list[Step], journal: Journal, ctx: Context) -> list[Step]:
    """Erase steps on one grouping store: one journal commit marks them running, one store
    transaction erases, one journal commit marks them done. Raises :class:`StepFailed`."""
    store = store_of(group[0], ctx)
    assert store is not None
    now = ctx.clock()
    running = [s.started(now) for s in group]
    journal.update_many(running)
    outcomes: list[dict[str, Any]] = []
    try:
        with ctx.connectors[store].session():
            for step in running:
                outcomes.append(_execute(step, ctx))
    except (ConnectorError, ValueError) as exc:
        # One transaction: nothing of the group took effect.
        culprit = running[min(len(outcomes), len(running) - 1)]
        failed = culprit.failed(ctx.clock(), str(exc))
        journal.update_many(
            [
                failed if s is culprit else replace(s, status=StepStatus.PENDING, started_at=None)
                for s in running
            ]
        )
        raise StepFailed(failed, str(exc)) from exc
    now = ctx.clock()
    done = [s.finished(now, o) for s, o in zip(running, outcomes, strict=True)]
    journal.update_many(done)
    return done


def _execute(step: Step, ctx: Context) -> dict[str, Any]:
    request = ctx.request
    match step.action:
        case Action.EXPORT if step.dataset is None:
            return {"archive": ctx.effects.export_package(request)}
        case Action.EXPORT:
            assert step.dataset is not None
            ds = ctx.data_map.dataset(step.dataset)
            connector = ctx.connectors[ds.store]
            if MATCH in step.params:  # no key names the rows: the person's, by predicate
                via, subjects = _predicate(step, ctx)
                records = connector.find_where(ds, via, subjects)
            else:
                records = connector.find_keys(ds, list(step.keys))
            rows = [
                {
                    **({} if ds.keyless else {"key": r.key}),
                    **{f.name: r.values.get(f.name) for f in ds.fields},
                }
                for r in records
            ]
            ctx.effects.export_part(request, ds.id, rows)
            return {"records": len(rows)}
        case Action.ERASE if MATCH in step.params:
            assert step.dataset is not None
            full = ctx.data_map.dataset(step.dataset)
            ds = subset(full, step.params.get("elements")) or full
            via, subjects = _predicate(step, ctx)
            result = ctx.connectors[ds.store].erase_where(ds, via, subjects, hash_key=ctx.hash_key)
            return {"affected": result.affected}
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
            name = str(step.params["field"])
            if MATCH in step.params:  # every row of the person's, by predicate
                via, subjects = _predicate(step, ctx)
                return {"changed": connector.correct_where(ds, via, subjects, name, value)}
            changed = sum(connector.correct(ds, key, name, value) for key in step.keys)
            return {"changed": changed}
        case Action.WITHDRAW:
            return {"recorded": ctx.effects.withdraw(request, str(step.params["consent_id"]))}
        case Action.RESTRICT:
            elements = [str(e) for e in step.params.get("elements", [])]
            return {"restricted": ctx.effects.restrict(request, elements)}
        case Action.REVIEW:
            return {"answered": True}
    raise ValueError(f"unknown action {step.action}")  # pragma: no cover


def _predicate(step: Step, ctx: Context) -> tuple[list[Dataset], list[str]]:
    """A step's predicate on the subject (``params["match"]``): the parent chain, parent
    first, and the subject ids; or (:data:`~yinsi.rights.predicates.PARENT`) the parent
    as a root matched by the link's values, and those values."""
    match = step.params[MATCH]
    if PARENT in match:
        assert step.dataset is not None
        ds = ctx.data_map.dataset(step.dataset)
        return [by_link(ctx.data_map, ds)], [str(v) for v in match["values"]]
    via = [ctx.data_map.dataset(str(d)) for d in match.get("via", [])]
    return via, [str(s) for s in match["user_id"]]
