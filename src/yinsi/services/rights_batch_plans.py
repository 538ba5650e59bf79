"""The requests a batch runs (:mod:`.rights_batch`), and the plans of a chunk's requests:
those stored already, and the others made from one set-based walk for the whole chunk."""

from __future__ import annotations

from itertools import islice

from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Step, awaits_answer
from yinsi.rights.planner import plan
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.rights.walk import Found, find_many
from yinsi.services.rights import PREDICATE_KINDS, RightsService

__all__ = ["chunk_plans", "runnable"]


def runnable(service: RightsService, *, limit: int | None = None) -> list[str]:
    """What ``yinsi rights run --approved`` runs, by due date (then received), at most
    ``limit``: the app's approved requests, and the executing ones a run left behind — it
    was interrupted (a crash, a killed worker) or a step failed —, resumed from their
    journal. Left out: an executing request a live run holds, and one that waits only
    for a person's answer (a complaint, a contested decision: ``yinsi rights answer``)."""
    found = service.requests(statuses=[Status.APPROVED, Status.EXECUTING])
    ids = (r.id for r in found if r.status is Status.APPROVED or _left_behind(service, r))
    return list(islice(ids, limit))  # an executing request past the limit is not read


def _left_behind(service: RightsService, request: RightsRequest) -> bool:
    if service.leases.busy_for(request.id):
        return False
    return not awaits_answer(service.steps(request.id), bool(request.answer))


def chunk_plans(
    service: RightsService, requests: dict[str, RightsRequest]
) -> tuple[dict[str, list[Step]], list[list[Step]]]:
    """Every request's plan (empty: it cannot be planned, its own run says why), and the
    new ones, not stored yet. Erasures by predicate are planned without reading their
    datasets (:func:`~yinsi.rights.walk.by_predicate`); the rest from one read per
    dataset for all their subjects (:func:`~yinsi.rights.walk.find_many`)."""
    if not requests:
        return {}, []
    with service.units(read_only=True) as uow:
        plans = uow.plans.steps_many(list(requests))
        today = service.today()
        holds = uow.holds.in_force(service.data_map.app, today)
    new = [r for i, r in requests.items() if not plans[i]]
    if not new:
        return plans, []
    by_subject: dict[str, list[LegalHold]] = {}
    for hold in holds:
        by_subject.setdefault(hold.subject_id, []).append(hold)
    founds: dict[bool, dict[str, Found]] = {}
    for predicates in (True, False):  # erasures by predicate; the others read whole
        subjects = [r.subject_id for r in new if (r.kind in PREDICATE_KINDS) is predicates]
        if subjects:
            founds[predicates] = find_many(
                service.data_map,
                service.connectors,
                subjects,
                rules={r.id: r for r in service.declaration.retention},
                legal_holds=by_subject,
                today=today,
                predicates=predicates,
            )
    made: list[list[Step]] = []
    for request in new:
        found = founds[request.kind in PREDICATE_KINDS][request.subject_id]
        try:
            steps = plan(request, service.data_map, service.declaration, found)
        except InvalidRequest:
            continue  # its own run says why, as a single run would
        made.append(steps)
        plans[request.id] = steps
    return plans, made
