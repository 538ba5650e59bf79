"""Deferred deletions: rows a running contract kept, deleted once the contract ends.

A deletion that finds rows held by a **contract** (a loan outstanding: the hold's
``while`` condition is true, or its ``since`` date empty) completes for everything else
and lists those rows as ``deferred`` in its RESTRICT step (:func:`yinsi.rights.planner.plan`);
their processing goes on (PIPL Art. 47 (1): the purpose is not yet achieved). The list
lives in the plan itself, so no other table is needed.

:func:`run_deferred` re-walks the subject of each request with deferred rows and, for
each row whose contract has ended:

- no hold keeps it any more → erased as the data map says (children first, as planned);
- a retention period now runs (a settled loan kept 5 years) → its elements are
  restricted in the consent ledger: store only (X28);
- the row is gone (the app deleted it) → nothing to do.

A table without a key is listed by its held parent rows' link values instead of keys, and
decided value by value as its plan was (:func:`yinsi.rights.planner.by_parent`).

Rows whose contract still runs stay deferred. The step's ``postponed`` elements (other rows
of the subject are kept by law, but a deferred row holds the same elements, so restricting
them would have stopped the contract) are restricted once no deferred row holds them any
more, if a row of the subject is still kept by law then (``postponed_done`` records them,
``postponed_restricted`` those restricted). When every deferred row is done the step's
outcome records it (``deferred_done``), the request's answer is extended with what was
done and the subject is told through the answer notice. Every effect is idempotent, so a
run repeated after a crash changes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from yinsi.rights.holds import HoldKind
from yinsi.rights.plan import Action, Step
from yinsi.rights.planner import by_parent, subset
from yinsi.rights.predicates import by_link
from yinsi.rights.requests import RightsRequest, Status
from yinsi.rights.walk import Found, find
from yinsi.services.rights_execution import RequestEffects

if TYPE_CHECKING:
    from yinsi.services.rights import RightsService

__all__ = ["DeferredRun", "deferred_step", "run_deferred"]


@dataclass(slots=True)
class DeferredRun:
    """What one request's deferred rows came to in this run."""

    request_id: str
    erased: dict[str, int] = field(default_factory=dict)
    """Rows (or records) erased per dataset."""
    restricted: list[str] = field(default_factory=list)
    """Elements newly restricted: the rows are now kept by law, store only."""
    waiting: dict[str, int] = field(default_factory=dict)
    """Rows per dataset whose contract still runs."""
    finished: bool = False
    """Every deferred row is done; the subject was told."""


def deferred_step(steps: list[Step]) -> Step | None:
    """The RESTRICT step listing deferred rows not yet all done (None: nothing waits)."""
    for step in steps:
        waiting = step.params.get("deferred") and "deferred_done" not in step.outcome
        if step.action is Action.RESTRICT and waiting:
            return step
    return None


def run_deferred(
    service: RightsService, hash_key: bytes, today: date, actor: str
) -> list[DeferredRun]:
    """Do the deferred deletions whose contract has ended by ``today``; see the module."""
    runs: list[DeferredRun] = []
    # Deferred rows are kept rows: such a request ended partially completed.
    for request in service.requests(statuses=[Status.PARTIALLY_COMPLETED]):
        step = deferred_step(service.steps(request.id))
        if step is not None:
            runs.append(_one(service, request, step, hash_key, today, actor))
    return runs


def _one(
    service: RightsService,
    request: RightsRequest,
    step: Step,
    hash_key: bytes,
    today: date,
    actor: str,
) -> DeferredRun:
    found = _walk(service, request, today)
    done: dict[str, list[str]] = {k: list(v) for k, v in step.outcome.get("deferred", {}).items()}
    run = DeferredRun(request.id)
    to_restrict: set[str] = set()
    running: set[str] = set()  # elements of the rows whose contract still runs
    for entry in step.params["deferred"]:
        dataset = str(entry["dataset"])
        full = service.data_map.dataset(dataset)
        ds = subset(full, entry.get("elements")) or full
        by_values = "values" in entry  # a table without a key: by its parent rows' values
        if by_values:
            items = [str(v) for v in entry["values"]]
            _, held = by_parent(service.data_map, ds, found)  # as the plan decided
            present = set(items)  # a value whose parent row went still names rows to erase
        else:
            items = [str(k) for k in entry["keys"]]
            held = found.held.get(dataset, {})
            present = {r.key for r in found.records.get(dataset, [])}
        finished = done.setdefault(dataset, [])
        erase: list[str] = []
        for item in items:
            if item in finished:
                continue
            reasons = held.get(item, [])
            if any(r.kind is HoldKind.CONTRACT for r in reasons):
                run.waiting[dataset] = run.waiting.get(dataset, 0) + 1
                running.update(f.element for f in ds.fields)
                continue
            if item in present and reasons:  # kept by law now: store only
                to_restrict.update(f.element for f in ds.fields)
            elif item in present:
                erase.append(item)
            finished.append(item)
        if erase:
            connector = service.connectors[ds.store]
            erased = (
                connector.erase_where(ds, [by_link(service.data_map, ds)], erase, hash_key=hash_key)
                if by_values
                else connector.erase(
                    ds, erase, hash_key=hash_key, idempotency_key=f"{request.id}:{step.n}:deferred"
                )
            )
            run.erased[dataset] = erased.affected
    settled = set(step.outcome.get("postponed_done", []))
    due = {str(e) for e in step.params.get("postponed", [])} - settled - running
    now_kept = due & _kept_by_law(service, found)  # kept by law still: stored only now
    if to_restrict or now_kept:
        effects = RequestEffects(service, actor)
        run.restricted = effects.restrict(request, sorted(to_restrict | now_kept))
    run.finished = not run.waiting
    restricted = set(step.outcome.get("deferred_restricted", [])) | to_restrict
    outcome: dict[str, Any] = {
        **step.outcome,
        "deferred": done,
        "deferred_restricted": sorted(restricted),
    }
    if due:
        outcome["postponed_done"] = sorted(settled | due)
        earlier = set(step.outcome.get("postponed_restricted", []))
        outcome["postponed_restricted"] = sorted(earlier | now_kept)
    if run.finished:
        outcome["deferred_done"] = service.now().isoformat()
    with service.units() as uow:
        uow.plans.update(replace(step, outcome=outcome))
        uow.commit()
    if run.finished:
        _tell(service, request, step, outcome, today, actor)
    return run


def _kept_by_law(service: RightsService, found: Found) -> set[str]:
    """The elements of the subject's rows a legal retention keeps now."""
    return {
        f.element
        for dataset, held in found.held.items()
        if any(r.kind is HoldKind.LEGAL_RETENTION for reasons in held.values() for r in reasons)
        for f in service.data_map.dataset(dataset).fields
    }


def _walk(service: RightsService, request: RightsRequest, today: date) -> Found:
    with service.units(read_only=True) as uow:
        holds = uow.holds.active(request.app_id, request.subject_id, today)
    rules = {r.id: r for r in service.declaration.retention}
    return find(
        service.data_map,
        service.connectors,
        request.subject_id,
        rules=rules,
        legal_holds=holds,
        today=today,
    )


def _tell(
    service: RightsService,
    request: RightsRequest,
    step: Step,
    outcome: dict[str, Any],
    today: date,
    actor: str,
) -> None:
    """Extend the request's answer with what the deferred run did, and send it."""
    labels = {d.id: d.label for d in service.data_map.datasets}
    names = "、".join(
        dict.fromkeys(
            labels.get(str(e["dataset"]), str(e["dataset"])) for e in step.params["deferred"]
        )
    )
    day = today.isoformat()
    if outcome.get("deferred_restricted"):
        text = (
            f"{day}更新：相关合同已履行完毕，此前暂缓删除的{names}中依法须保存的部分已停止除存储和"
            "采取必要的安全保护措施之外的处理，保存期满后删除或匿名化处理；其余已删除。"
        )
    else:
        text = f"{day}更新：相关合同已履行完毕，此前暂缓删除的{names}已删除。"
    if outcome.get("postponed_restricted"):
        text += (
            "此前因与该合同共用而未限制处理的依法保留信息，现已停止除存储和采取必要的安全保护"
            "措施之外的处理。"
        )
    current = service.get(request.id)
    answered = replace(current, answer=f"{current.answer or ''}\n{text}".strip())
    with service.units() as uow:
        uow.requests.save(answered, actor=actor)
        uow.commit()
    service.notify_moved(answered)
