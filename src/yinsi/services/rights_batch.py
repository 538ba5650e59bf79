"""Many approved rights requests at once, in set-based statements (issue 16).

``yinsi rights run --approved`` runs every approved request of an app. One by one, each
request pays for its own walk (a read per dataset), its own erase transaction and its
own journal commits. :func:`run_many` takes the requests in chunks and, per chunk:

    claim every request and move it to ``executing`` (one commit; a request another
      run holds is skipped)
    plan the requests without a plan: erasures by predicate where nothing can hold the
      rows (:func:`~yinsi.rights.walk.by_predicate`: those datasets are not read), the
      rest from one read per dataset for the whole chunk (find_many)
    per store, the chunk's leading SQL erase steps: stored running (one commit, which
      inserts the new plans with them running), erased per dataset in one statement for
      the chunk — ``DELETE … WHERE user_id IN (:subjects)`` (or through the parent
      chain), ``… WHERE key IN (…)`` for steps planned by keys — in one store
      transaction, the plans' order kept (children before parents)
    close the requests whose steps are all done, steps stored done, claims released (one
      commit; moves, audit entries, ``no_channel`` records one statement per kind);
      tell their subjects

Each request's journal stays exact: every step is stored running before its effect and
done after it, with its own count (the rows the set-based statement returned that are
the step's subject's, or its keys). A crash leaves steps ``running`` and the request
``executing``; running it again (alone or in the next batch) runs the same predicates
and keys again, which match nothing more. What a request has besides leading SQL erase
steps (a withdrawal first, a processor to notify, a Redis key, a restriction) runs
through :meth:`RightsService.run` after the set part, in the plan's order; so does a
request whose set part failed (its own run says which step failed). On PostgreSQL a
chunk's store transaction is ``REPEATABLE READ`` (the counts are read on the
``DELETE``'s snapshot, :mod:`yinsi.connectors.sql_erase`): a concurrent write to a row
being erased fails it (nothing kept), and it runs again (:data:`RETRIES`), then those
requests run alone. While a batch runs, the cyclic GC is held back
(:func:`.rights_batch_sets.collecting_less`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from yinsi.declaration.datamap import walk_order
from yinsi.delivery import Purpose
from yinsi.rights.executor import Journal, store_of
from yinsi.rights.holds import LegalHold
from yinsi.rights.plan import Action, Step, StepStatus
from yinsi.rights.planner import MATCH, plan
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.rights.walk import Found, find_many
from yinsi.services.delivery_notices import Contacts
from yinsi.services.rights import PREDICATE_KINDS, RightsService
from yinsi.services.rights_batch_sets import SetKey, collecting_less, erase_sets
from yinsi.services.rights_execution import StepJournal, read_many
from yinsi.services.run_leases import LeaseLost, RunBusy, run_owner
from yinsi.storage import UnitOfWork

__all__ = ["BatchReport", "run_many"]

CHUNK = 250
"""Requests per chunk: their claims last the chunk; their sets fill a few IN lists."""
RUNNABLE = (Status.APPROVED, Status.EXECUTING, Status.PARTIALLY_COMPLETED)
RETRIES = 2
"""Store transactions of a segment run again after a serialization failure."""
SERIALIZATION = "SQLSTATE 40001"
"""In a store's error: a concurrent write met ``REPEATABLE READ`` (nothing was kept)."""


@dataclass(slots=True)
class BatchReport:
    """What a batch did, per request id."""

    status: dict[str, Status] = field(default_factory=dict)
    """The status each request ended in."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Requests not run, and why (held by another run, not runnable)."""
    set_based: int = 0
    """Steps done by set-based statements."""

    @property
    def failed(self) -> list[str]:
        return [r for r, s in self.status.items() if s is Status.EXECUTING]


def approved(service: RightsService, *, limit: int | None = None) -> list[str]:
    """The app's approved requests, by due date (then received), at most ``limit``."""
    ids = [r.id for r in service.requests(statuses=[Status.APPROVED])]
    return ids if limit is None else ids[:limit]


def run_many(
    service: RightsService,
    request_ids: Sequence[str],
    *,
    actor: str | None = None,
    chunk: int = CHUNK,
) -> BatchReport:
    """Run these requests, chunk by chunk, set-based where their plans allow."""
    if chunk < 1:
        raise ValueError("a chunk holds at least one request")
    report = BatchReport()
    ids = list(dict.fromkeys(request_ids))
    with collecting_less():  # thousands of short-lived objects a chunk, no cycles
        for start in range(0, len(ids), chunk):
            _Chunk(service, actor or "rights", report).run(ids[start : start + chunk])
    return report


class _Chunk:
    def __init__(self, service: RightsService, actor: str, report: BatchReport) -> None:
        self.s = service
        self.actor = actor
        self.report = report
        self.owner = run_owner()
        self.hash_key = b""
        self.claimed_at = time.monotonic()
        self.journal = StepJournal(service.units, None, defer_done=True)  # done held
        self.contacts: dict[str, Contacts] = {}  # where answers go, read before erasure
        self.unsaved: list[list[Step]] = []  # new plans not stored yet (_store_running)
        self.stores: dict[str, str] = {}  # dataset: its store

    def run(self, ids: list[str]) -> None:
        claimed = self._claim(ids)  # claimed and moved to executing: one commit
        self.claimed_at = time.monotonic()
        rest = list(claimed)
        released = False
        try:
            requests = claimed
            plans = self._plans(requests)
            requests = self._renew(requests)  # still ours before the first effect
            self.contacts = {
                i: self.s.contacts_before(r, plans.get(i, [])) for i, r in requests.items()
            }
            self._erase(requests, plans)
            rest = self._close(requests, plans, list(claimed))
            released = True
        except ConnectorError:
            pass  # a store failed in the set part: each request's own run says where
        finally:
            if not released:
                self.journal.keep_held()
                self._release(list(claimed))
        for request_id in rest:  # alone, in its plan's order: the rest of its steps
            try:
                self.report.status[request_id] = self.s.run(request_id, actor=self.actor).status
            except (RunBusy, LeaseLost, InvalidRequest, ConnectorError) as exc:
                self.report.skipped[request_id] = str(exc)

    # -- claims and statuses: one commit each for the chunk ---------------------------

    def _claim(self, ids: list[str]) -> dict[str, RightsRequest]:
        now = self.s.now()
        until = now + timedelta(seconds=self.s.leases.length.total_seconds())
        claimed: dict[str, RightsRequest] = {}
        with self.s.units() as uow:
            known = read_many(uow, ids)
            runnable = [i for i in ids if known[i].status in RUNNABLE]
            for request_id in ids:
                if request_id not in runnable:
                    status = known[request_id].status.value
                    self.report.skipped[request_id] = f"{status}: not runnable"
            taken = uow.claims.take_many(runnable, self.owner, now=now, until=until)
            moves: list[tuple[RightsRequest, RightsRequest]] = []
            for request_id in runnable:
                request = known[request_id]
                if request_id not in taken:
                    self.report.skipped[request_id] = "being executed by another run"
                    continue
                if request.status is not Status.EXECUTING:
                    moved = request.moved(Status.EXECUTING, now, self.actor)
                    moves.append((request, moved))
                    request = moved
                claimed[request_id] = request
            uow.requests.move_many(moves, actor=self.actor)
            uow.commit()
        return claimed

    def _renew(self, requests: dict[str, RightsRequest]) -> dict[str, RightsRequest]:
        """The requests whose claims this run still holds (renewed, one commit), once a
        third of the lease has passed since they were claimed (before, they surely are)."""
        lease = self.s.leases.length.total_seconds()
        if time.monotonic() - self.claimed_at < lease / 3:
            return requests
        until = self.s.now() + timedelta(seconds=self.s.leases.length.total_seconds())
        held: dict[str, RightsRequest] = {}
        with self.s.units() as uow:
            for request_id, request in requests.items():
                if uow.claims.renew(request_id, self.owner, until=until):
                    held[request_id] = request
                else:
                    self.report.skipped[request_id] = "taken over by another run"
            uow.commit()
        return held

    def _release(self, ids: list[str]) -> None:
        with self.s.units() as uow:
            uow.claims.release_many(ids, self.owner)
            uow.commit()

    # -- plans: one set-based walk for the requests without one -----------------------

    def _plans(self, requests: dict[str, RightsRequest]) -> dict[str, list[Step]]:
        with self.s.units(read_only=True) as uow:
            plans = uow.plans.steps_many(list(requests))
            today = self.s.today()
            holds = uow.holds.in_force(self.s.data_map.app, today)
        new = [r for i, r in requests.items() if not plans[i]]
        if not new:
            return plans
        by_subject: dict[str, list[LegalHold]] = {}
        for hold in holds:
            by_subject.setdefault(hold.subject_id, []).append(hold)
        founds: dict[bool, dict[str, Found]] = {}
        for predicates in (True, False):  # erasures by predicate; the others read whole
            subjects = [r.subject_id for r in new if (r.kind in PREDICATE_KINDS) is predicates]
            if subjects:
                founds[predicates] = find_many(
                    self.s.data_map,
                    self.s.connectors,
                    subjects,
                    rules={r.id: r for r in self.s.declaration.retention},
                    legal_holds=by_subject,
                    today=today,
                    predicates=predicates,
                )
        declaration = self.s.declaration
        made: list[list[Step]] = []
        for request in new:
            found = founds[request.kind in PREDICATE_KINDS][request.subject_id]
            try:
                steps = plan(request, self.s.data_map, declaration, found)
            except InvalidRequest:
                continue  # its own run below says why, as a single run would
            made.append(steps)
            plans[request.id] = steps

        self.unsaved = made  # stored with the first steps running, or when closing
        return plans

    # -- the set part: leading SQL erase steps, per store and dataset ------------------

    def _erase(self, requests: dict[str, RightsRequest], plans: dict[str, list[Step]]) -> None:
        journal = self.journal
        contexts = {i: self.s.context(r, self.actor) for i, r in requests.items()}
        if not contexts:
            return
        self.hash_key = next(iter(contexts.values())).hash_key
        rank = {ds.id: n for n, ds in enumerate(reversed(walk_order(self.s.data_map)))}
        lead: list[tuple[int, str, int]] = []  # (dataset rank, request, index in its plan)
        for request_id, steps in plans.items():
            for at, step in enumerate(steps):
                if step.status is StepStatus.DONE:
                    continue
                if step.action is not Action.ERASE or store_of(step, contexts[request_id]) is None:
                    break
                assert step.dataset is not None
                lead.append((rank[step.dataset], request_id, at))
        lead.sort()
        segments: list[list[tuple[int, str, int]]] = []
        for item in lead:
            store = self._store(plans[item[1]][item[2]])
            if segments and self._store(plans[segments[-1][0][1]][segments[-1][0][2]]) == store:
                segments[-1].append(item)
            else:
                segments.append([item])
        for segment in segments:
            if not self._segment(segment, plans, journal):
                return  # the rest run alone, which says which step fails

    def _store(self, step: Step) -> str:
        assert step.dataset is not None
        store = self.stores.get(step.dataset)
        if store is None:
            store = self.stores[step.dataset] = self.s.data_map.dataset(step.dataset).store
        return store

    def _segment(
        self, segment: list[tuple[int, str, int]], plans: dict[str, list[Step]], journal: Journal
    ) -> bool:
        """One store's steps: running (one commit), erased in one transaction, done (one
        commit). False if the store failed (rolled back: the steps are pending again)."""
        now = self.s.now()
        running = {(r, at): plans[r][at].started(now) for _, r, at in segment}
        self._store_running(list(running.values()))
        first = next(iter(running.values()))
        connector = self.s.connectors[self._store(first)]
        by_set: dict[SetKey, list[tuple[str, int]]] = {}
        for (request_id, at), step in running.items():
            assert step.dataset is not None
            elements = step.params.get("elements")
            wanted = None if elements is None else tuple(sorted(str(e) for e in elements))
            key = (step.dataset, wanted, MATCH in step.params)
            by_set.setdefault(key, []).append((request_id, at))
        for attempt in range(1 + RETRIES):
            try:
                counts = erase_sets(connector, self.s.data_map, by_set, running, self.hash_key)
                break
            except (ConnectorError, ValueError) as exc:
                if attempt < RETRIES and SERIALIZATION in str(exc):
                    continue  # rolled back: the same statements again, on a new snapshot
                journal.update_many(
                    [
                        replace(s, status=StepStatus.PENDING, started_at=None)
                        for s in running.values()
                    ]
                )
                return False
        now = self.s.now()
        done = {m: s.finished(now, {"affected": counts[m]}) for m, s in running.items()}
        journal.update_many(list(done.values()))
        for (request_id, at), step in done.items():
            plans[request_id][at] = step
        self.report.set_based += len(done)
        return True

    def _store_running(self, steps: list[Step]) -> None:
        """Store ``steps`` running before their effect, in one commit: the chunk's new plans
        inserted with them running (no ``UPDATE`` of rows just inserted), the rest updated."""
        if not self.unsaved:
            self.journal.update_many(steps)
            return
        started = {(s.request_id, s.n): s for s in steps}
        new = [[started.pop((s.request_id, s.n), s) for s in plan] for plan in self.unsaved]
        stored = list(started.values())  # steps of plans stored by an earlier run
        self.unsaved = []

        def write(uow: UnitOfWork) -> None:
            uow.plans.insert_many(new)  # the requests were moved to executing, claimed
            if stored:
                uow.plans.update_many(stored)

        self.journal.flush(write)

    # -- closing: one commit for the requests whose steps are all done -----------------

    def _close(
        self, requests: dict[str, RightsRequest], plans: dict[str, list[Step]], claimed: list[str]
    ) -> list[str]:
        """Closes the requests whose every step is done, with the steps held done and the
        chunk's claims released, in one commit; returns the others' ids."""
        rest: list[str] = []
        closed: list[tuple[RightsRequest, RightsRequest]] = []
        now = self.s.now()
        for request_id, request in requests.items():
            steps = plans.get(request_id, [])
            done = bool(steps) and all(s.status is StepStatus.DONE for s in steps)
            if not done or request.corrections:
                rest.append(request_id)
                continue
            text, status = self.s.closing(request, steps)
            moved = replace(request, answer=text).moved(status, now, self.actor)
            closed.append((request, moved))

        plain = Contacts(self.s.data_map, self.s.connectors)  # read when used, if ever
        notices = {
            moved.id: self.s.answer_notice(moved, self.contacts.get(moved.id) or plain)
            for _, moved in closed
        }

        def close(uow: UnitOfWork) -> None:
            """The final moves, the claims released and the ``no_channel`` records of the
            answers nobody can be told (the others are sent once this is committed)."""
            if self.unsaved:  # no step ran: the plans are stored now
                uow.plans.insert_many(self.unsaved)
            uow.requests.move_many(closed, actor=self.actor)
            uow.claims.release_many(claimed, self.owner)
            untold: dict[str, list[tuple[str, str | None, str]]] = {}
            for _, moved in closed:
                notice = notices[moved.id]
                if isinstance(notice, str):
                    untold.setdefault(moved.app_id, []).append((moved.id, moved.subject_id, notice))
            for app_id, records in untold.items():
                self.s.delivery.no_channel_many(app_id, Purpose.REQUEST_ANSWER, records, uow)

        self.journal.flush(close)
        for _, moved in closed:
            self.report.status[moved.id] = moved.status
            notice = notices[moved.id]
            if notice is not None and not isinstance(notice, str):
                self.s.delivery.send(moved.app_id, moved.id, notice, subject_id=moved.subject_id)
        return rest
