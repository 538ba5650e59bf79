"""Many approved rights requests at once, in set-based statements (issue 16).

``yinsi rights run --approved`` runs an app's approved requests and those an earlier run
left executing (:func:`runnable`); one by one, each would pay for its own walk (a read per
dataset), erase transaction and journal commits. :func:`run_many` takes them in chunks:

    claim every request and move it to ``executing`` (one commit; a request another
      run holds is skipped)
    plan the requests without a plan: erasures by predicate where nothing can hold the
      rows (:func:`~yinsi.rights.walk.by_predicate`: those datasets are not read), the
      rest from one read per dataset for the whole chunk (find_many)
    store the chunk's leading SQL erase steps running (one commit, which inserts the new
      plans with them running)
    the store part, per store: those steps erased per dataset in one statement for the
      chunk — ``DELETE … WHERE user_id IN (:subjects)`` (or through the parent chain),
      ``… WHERE key IN (…)`` for steps planned by keys — in one store transaction, the
      plans' order kept (children before parents)
    close the requests whose steps are all done, steps stored done, claims released (one
      commit; moves, audit entries, ``no_channel`` records one statement per kind);
      tell their subjects

The chunks overlap. A chunk's store part runs on the batch's store thread while the
main thread prepares the next chunk and closes the previous one, as two runs of
different requests may at any time. Only the main thread writes yinsi's own database;
the store thread runs the store parts one after another in the chunks' order, and
starts none once a third of its chunk's lease has passed since the claims were taken
(they may lapse): those requests run alone.

Each request's journal stays exact: every step is stored running before its effect and
done after it, with its own count (the rows of the step's subject, or its keys). A crash
leaves steps ``running`` and the request ``executing``; running it again (alone or in
the next batch) runs the same predicates and keys again, which match nothing more.
What a request has besides leading SQL erase steps (a withdrawal first, a processor to
notify, a Redis key, a restriction) runs through :meth:`RightsService.run` after the set
part, in the plan's order; so does a request whose set part failed. On PostgreSQL a
chunk's store transaction is ``REPEATABLE READ`` (:mod:`yinsi.connectors.sql_erase`): a
concurrent write to a row being erased fails it (nothing kept); it runs again
(:data:`~.rights_batch_sets.RETRIES`), then those requests run alone. While a batch runs,
the GC collects less and threads switch sooner (:func:`.rights_batch_sets.batch_runtime`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import accumulate, pairwise

from yinsi.declaration.datamap import walk_order
from yinsi.delivery import Purpose
from yinsi.rights.executor import store_of
from yinsi.rights.plan import Action, Step, StepStatus, awaits_answer
from yinsi.rights.ports import ConnectorError
from yinsi.rights.requests import InvalidRequest, RightsRequest, Status
from yinsi.services.delivery_notices import Contacts
from yinsi.services.rights import RightsService
from yinsi.services.rights_batch_plans import chunk_plans, runnable
from yinsi.services.rights_batch_sets import (
    Segment,
    StorePart,
    batch_runtime,
    chunk_sizes,
    erase_segments,
    in_segments,
    preferred_chunk,
    settled,
)
from yinsi.services.rights_execution import StepJournal, read_many
from yinsi.services.run_leases import LeaseLost, RunBusy, run_owner
from yinsi.storage import UnitOfWork

__all__ = ["BatchReport", "run_many", "runnable"]

RUNNABLE = (Status.APPROVED, Status.EXECUTING, Status.PARTIALLY_COMPLETED)


@dataclass(slots=True)
class BatchReport:
    """What a batch did, per request id."""

    status: dict[str, Status] = field(default_factory=dict)
    """The status each request ended in."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Requests not run, and why (held by another run, not runnable)."""
    set_based: int = 0
    """Steps done by set-based statements."""
    waiting: list[str] = field(default_factory=list)
    """Requests left ``executing`` only for a person's answer (``yinsi rights answer``)."""

    @property
    def failed(self) -> list[str]:
        """Requests left ``executing`` by a failed step."""
        left = [r for r, s in self.status.items() if s is Status.EXECUTING]
        return [r for r in left if r not in self.waiting]


def run_many(
    service: RightsService,
    request_ids: Sequence[str],
    *,
    actor: str | None = None,
    chunk: int | None = None,
) -> BatchReport:
    """Run these requests, chunk by chunk (at most ``chunk`` requests, by default as the
    stores prefer, :func:`~.rights_batch_sets.preferred_chunk`), set-based where their
    plans allow; a chunk's store part runs beside the next chunk's preparation and the
    previous one's close."""
    chunk = preferred_chunk(service.data_map, service.connectors) if chunk is None else chunk
    if chunk < 1:
        raise ValueError("a chunk holds at least one request")
    report = BatchReport()
    ids = list(dict.fromkeys(request_ids))
    started: list[_Chunk] = []  # store part queued or running, not finished yet
    stop = threading.Event()  # set: the queued store parts start nothing
    with (
        batch_runtime(),  # collecting less, switching threads more often
        ThreadPoolExecutor(1, thread_name_prefix="yinsi-batch-store") as stores,
    ):
        try:
            bounds = accumulate(chunk_sizes(len(ids), chunk), initial=0)
            for low, high in pairwise(bounds):
                current = _Chunk(service, actor or "rights", report)
                current.prepare(ids[low:high])
                current.start(stores, stop)  # queued behind the previous chunk's store part
                started.append(current)
                if len(started) > 1:
                    started.pop(0).finish()
        except BaseException:
            stop.set()
            _finish_all(started)  # what ran journaled, claims released; nothing run alone
            raise
        _finish_all(started, alone=True)
    return report


def _finish_all(chunks: list[_Chunk], *, alone: bool = False) -> None:
    """Finishes every chunk (a store part that ran is journaled whatever happened to
    another chunk), then raises the first error met."""
    errors: list[BaseException] = []
    while chunks:
        try:
            chunks.pop(0).finish(alone=alone)
        except BaseException as exc:  # raised below, once the others are finished
            errors.append(exc)
    if errors:
        raise errors[0]


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
        self.claimed: dict[str, RightsRequest] = {}
        self.requests: dict[str, RightsRequest] = {}  # claimed and still held
        self.plans: dict[str, list[Step]] = {}
        self.segments: list[Segment] = []  # the store part, its steps stored running
        self.store_part: Future[StorePart] | None = None
        self.broken = False  # a store failed before the store part: all run alone
        self.finished = False

    # -- the chunk's phases, in order: prepare, start, finish -------------------------

    def prepare(self, ids: list[str]) -> None:
        """Everything before the first effect (runs beside the previous chunk's store
        part): the claims, the plans, the contacts, the store part's steps stored
        running."""
        self.claimed = self._claim(ids)  # claimed and moved to executing: one commit
        self.claimed_at = time.monotonic()
        try:
            self.plans, self.unsaved = chunk_plans(self.s, self.claimed)
            self.requests = self._renew(self.claimed)  # still ours before the first effect
            self.contacts = {
                i: self.s.contacts_before(r, self.plans.get(i, []))
                for i, r in self.requests.items()
            }
            self.segments = self._segments(self.requests, self.plans)
            steps = [s for segment in self.segments for s in segment.running.values()]
            if steps:
                self._store_running(steps)
        except ConnectorError:
            self.broken = True  # a store failed: each request's own run says where
        except BaseException:
            self.finished = True
            self.journal.keep_held()
            self._release(list(self.claimed))
            raise

    def start(self, stores: Executor, stop: threading.Event) -> None:
        """The store part queued on the store thread (nothing to do: none)."""
        if self.broken or not self.segments:
            return
        self.store_part = stores.submit(
            erase_segments,
            self.s.connectors,
            self.s.data_map,
            self.segments,
            self.hash_key,
            start_by=self.claimed_at + self.s.leases.length.total_seconds() / 3,
            stop=stop,
        )

    def finish(self, *, alone: bool = True) -> None:
        """Waits for the store part, journals it, closes the requests whose steps are all
        done (one commit, claims released) and runs the others alone (``alone``)."""
        if self.finished:
            return
        self.finished = True
        rest = list(self.claimed)
        released = False
        try:
            if not self.broken:
                if self.store_part is not None:
                    self._journal(self.store_part.result())
                rest = self._close(self.requests, self.plans, list(self.claimed))
                released = True
        except ConnectorError:
            pass  # a store failed: each request's own run says where
        finally:
            if not released:
                self.journal.keep_held()
                self._release(list(self.claimed))
        for request_id in rest if alone else []:  # alone, in its plan's order
            try:
                ran = self.s.run(request_id, actor=self.actor)
                self.report.status[request_id] = ran.status
                steps = self.s.steps(request_id) if ran.status is Status.EXECUTING else []
                if awaits_answer(steps, bool(ran.answer)):
                    self.report.waiting.append(request_id)
            except (RunBusy, LeaseLost, InvalidRequest, ConnectorError) as exc:
                self.report.skipped[request_id] = str(exc)

    # -- claims and statuses: one commit each for the chunk ---------------------------

    def _claim(self, ids: list[str]) -> dict[str, RightsRequest]:
        now = self.s.now()
        until = now + timedelta(seconds=self.s.leases.length.total_seconds())
        claimed: dict[str, RightsRequest] = {}
        with self.s.units() as uow:
            known = read_many(uow, ids)
            ready = [i for i in ids if known[i].status in RUNNABLE]
            for request_id in (i for i in ids if i not in ready):
                self.report.skipped[request_id] = f"{known[request_id].status.value}: not runnable"
            taken = uow.claims.take_many(ready, self.owner, now=now, until=until)
            moves: list[tuple[RightsRequest, RightsRequest]] = []
            for request_id in ready:
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

    # -- the store part: leading SQL erase steps, per store and dataset ----------------

    def _segments(
        self, requests: dict[str, RightsRequest], plans: dict[str, list[Step]]
    ) -> list[Segment]:
        """The plans' leading SQL erase steps (not done), started, in segments of one
        store each: by dataset, children before parents."""
        contexts = {i: self.s.context(r, self.actor) for i, r in requests.items()}
        if not contexts:
            return []
        self.hash_key = next(iter(contexts.values())).hash_key
        rank = {ds.id: n for n, ds in enumerate(reversed(walk_order(self.s.data_map)))}
        lead: list[tuple[int, str, int]] = []  # (dataset rank, request, index in its plan)
        for request_id in requests:
            for at, step in enumerate(plans.get(request_id, [])):
                if step.status is StepStatus.DONE:
                    continue
                if step.action is not Action.ERASE or store_of(step, contexts[request_id]) is None:
                    break
                assert step.dataset is not None
                lead.append((rank[step.dataset], request_id, at))
        lead.sort()
        now = self.s.now()
        started = [(r, at, plans[r][at].started(now)) for _, r, at in lead]
        return in_segments(started, self._store)

    def _store(self, step: Step) -> str:
        assert step.dataset is not None
        store = self.stores.get(step.dataset)
        if store is None:
            store = self.stores[step.dataset] = self.s.data_map.dataset(step.dataset).store
        return store

    def _journal(self, part: StorePart) -> None:
        """The store part's outcome journaled: the steps of the segments done held done
        (stored when closing), those of the rest pending again (stored now)."""
        done, again = settled(self.segments, part, self.s.now())
        self.journal.update_many(list(done.values()))
        for (request_id, at), step in done.items():
            self.plans[request_id][at] = step
        self.report.set_based += len(done)
        self.journal.update_many(again)  # the rest run alone, which says which step fails

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
