"""Leases on rights requests: one run at a time, whatever process or machine asks.

:meth:`RightsService.run <yinsi.services.rights.RightsService.run>` holds the request's
lease (:mod:`yinsi.storage.claims`) while it executes::

    with leases.hold(request_id) as lease:   # RunBusy if another run holds it
        ...                                  # lease.check() before each effect

A single run takes the lease in the same commit as its move to ``executing`` and its
plan (:meth:`RunLeases.claim` inside that unit of work, then :meth:`RunLeases.kept`), and
releases it in the commit that stores its final status.

While held, the lease is renewed every third of its length by one daemon thread per
:class:`RunLeases` (:class:`Renewer`), shared by every lease held in the process, from
the run's first stored step on. A run that could not renew it (it stalled for a whole lease, e.g. a process paused, and another run took
the request over) stops at its next step with :class:`LeaseLost` before any further
effect: the journal then says where the new holder resumes. A killed run stops renewing,
and the next run takes the request over once the lease has lapsed
(``YINSI_JOBS__LEASE_S``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from yinsi.rights.plan import Step
from yinsi.services.clock import Clock, utc_now
from yinsi.storage import UnitOfWork, UnitsOfWork

__all__ = ["Lease", "LeaseLost", "RunBusy", "RunLeases", "run_owner"]

log = logging.getLogger("yinsi.jobs")


class RunBusy(Exception):
    """Another run holds the request; ``retry_after_s`` is when its lease lapses at the latest."""

    def __init__(self, request_id: str, retry_after_s: float) -> None:
        super().__init__(
            f"request {request_id} is being executed by another run; follow it with "
            f"GET /v1/requests/{request_id} (or `yinsi rights status {request_id}`), or run it "
            f"again after {retry_after_s:.0f} s if that run has stopped"
        )
        self.request_id = request_id
        self.retry_after_s = retry_after_s


class LeaseLost(Exception):
    """The run no longer holds the request (it could not renew its lease in time); it
    stopped before its next effect and the run that took over goes on from the journal."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"the run of request {request_id} lost its lease (not renewed in time) and "
            "stopped before its next step; another run has taken the request over"
        )
        self.request_id = request_id


def run_owner() -> str:
    """A name for one run, unique across processes and machines: host, pid, random."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}:{secrets.token_hex(6)}"


class Lease:
    """A held lease; renewed by its :class:`RunLeases`' renewer thread until :meth:`stop`."""

    def __init__(self, leases: RunLeases, request_id: str, owner: str) -> None:
        self.request_id = request_id
        self.owner = owner
        self._leases = leases
        self._started = False
        self._stopped = False
        self._lost = threading.Event()
        self.released = False
        """Set by a run that released the lease in its final commit."""
        self._seconds = leases.length.total_seconds()
        now = time.monotonic()
        self._valid_until = now + self._seconds
        """Monotonic time the lease surely lasts until (taken or last renewed before it)."""
        self.due = now + self._seconds / 3
        """Monotonic time of the next renewal."""

    @property
    def lost(self) -> bool:
        return self._lost.is_set() or time.monotonic() >= self._valid_until

    def check(self) -> None:
        """Raises :class:`LeaseLost` once a renewal failed, or when the last renewal is a
        whole lease ago (this process stalled: another run may hold the request now)."""
        if self.lost:
            raise LeaseLost(self.request_id)

    def checked(self, on_step: Callable[[Step], None] | None) -> Callable[[Step], None]:
        """``on_step`` after :meth:`check`: the runner calls it as each step is stored,
        so a run that lost its lease stops before the step's effect."""

        def step_stored(step: Step) -> None:
            if not self._started:
                self.start()  # lazily: the first step is stored with the claim
            self.check()
            if on_step is not None:
                on_step(step)

        return step_stored

    def renew_once(self) -> None:
        """One renewal (by the renewer thread): a refused one marks the lease lost."""
        started = time.monotonic()
        try:
            held = self._leases.renew(self.request_id, self.owner)
        except Exception:  # the database is away: try again next period
            self.due = started + self._seconds / 3
            return
        if not held:
            self._lost.set()
            self._leases.renewer.remove(self)
            return
        self._valid_until = started + self._seconds
        self.due = started + self._seconds / 3

    def start(self) -> None:
        if not self._started and not self._stopped:
            self._started = True
            self._leases.renewer.add(self)

    def stop(self) -> None:
        self._stopped = True
        self._leases.renewer.remove(self)


class Renewer:
    """One daemon thread per :class:`RunLeases` renewing every lease held in this process
    when it is due (a third of its length after the last renewal): a run costs no thread
    of its own, only a registration.

    With no lease held the thread still wakes every ``idle_s`` (a third of a lease): a
    lease registered meanwhile falls due after that wake-up, so registering one wakes
    the thread only when it falls due before the thread would wake anyway (a run then
    costs no switch to the thread either)."""

    def __init__(self, idle_s: float = 20.0) -> None:
        self._held: set[Lease] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = idle_s
        self._until = 0.0
        """Monotonic time the thread waits until (0: not waiting yet)."""

    def add(self, lease: Lease) -> None:
        with self._lock:
            self._held.add(lease)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="leases", daemon=True)
                self._thread.start()
            early = lease.due < self._until or self._until == 0.0
        if early:
            self._wake.set()

    def remove(self, lease: Lease) -> None:
        with self._lock:
            self._held.discard(lease)

    def _loop(self) -> None:
        while True:
            with self._lock:
                held = list(self._held)
            for lease in held:
                if lease.due <= time.monotonic():
                    lease.renew_once()
            with self._lock:
                dues = [lease.due for lease in self._held]
                until = min(dues) if dues else time.monotonic() + self._idle
                self._until = until
            self._wake.wait(max(0.0, until - time.monotonic()))
            self._wake.clear()


class RunLeases:
    """Takes, renews and releases leases on requests, ``length`` long. ``clock`` is the
    wall clock (default), never a service's business clock: a lease measures real time
    between processes, even where a test or a back-dated import freezes the service's."""

    def __init__(self, units: UnitsOfWork, *, clock: Clock = utc_now, length_s: float = 60.0):
        if length_s <= 0:
            raise ValueError("a lease must last more than 0 seconds (YINSI_JOBS__LEASE_S)")
        self._units = units
        self._clock = clock
        self.length = timedelta(seconds=length_s)
        self.renewer = Renewer(idle_s=length_s / 3)

    def take(self, request_id: str, owner: str) -> bool:
        now = self._clock()
        with self._units() as uow:
            taken = uow.claims.take(request_id, owner, now=now, until=now + self.length)
            uow.commit()
        return taken

    def claim(self, uow: UnitOfWork, request_id: str, owner: str) -> bool:
        """:meth:`take` inside the caller's unit of work (committed with its other
        writes: a run stores its claim, its move to ``executing`` and its plan at once)."""
        now = self._clock()
        return uow.claims.take(request_id, owner, now=now, until=now + self.length)

    def busy(self, uow: UnitOfWork, request_id: str) -> RunBusy:
        """The :class:`RunBusy` to raise for a request another run holds (read in ``uow``)."""
        claim = uow.claims.holder(request_id)
        left = 0.0 if claim is None else (claim.until - self._clock()).total_seconds()
        return RunBusy(request_id, max(1.0, left))

    def renew(self, request_id: str, owner: str) -> bool:
        with self._units() as uow:
            held = uow.claims.renew(request_id, owner, until=self._clock() + self.length)
            uow.commit()
        return held

    def release(self, request_id: str, owner: str) -> None:
        with self._units() as uow:
            uow.claims.release(request_id, owner)
            uow.commit()

    def busy_for(self, request_id: str) -> float:
        """Seconds until the current holder's lease lapses unless renewed (0: free)."""
        with self._units(read_only=True) as uow:
            claim = uow.claims.holder(request_id)
        if claim is None:
            return 0.0
        return max(0.0, (claim.until - self._clock()).total_seconds())

    @contextmanager
    def kept(self, request_id: str, owner: str) -> Iterator[Lease]:
        """Renew ``owner``'s lease (taken or about to be taken through :meth:`claim`) for
        the block, then release it, unless the block released it in its own last commit
        (:attr:`Lease.released`)."""
        lease = Lease(self, request_id, owner)
        try:
            yield lease  # renewing from the first step stored (Lease.checked)
        finally:
            lease.stop()
            if not lease.released:
                try:
                    self.release(request_id, owner)
                except Exception:  # the database is away: the lease lapses
                    log.warning("request %s: lease not released (it lapses)", request_id)

    @contextmanager
    def hold(self, request_id: str, owner: str | None = None) -> Iterator[Lease]:
        """Hold the request's lease for the block (renewed meanwhile, released after);
        raises :class:`RunBusy` when another run holds it."""
        owner = owner or run_owner()
        if not self.take(request_id, owner):
            raise RunBusy(request_id, max(1.0, self.busy_for(request_id)))
        lease = Lease(self, request_id, owner)
        lease.start()
        try:
            yield lease
        finally:
            lease.stop()
            try:
                self.release(request_id, owner)
            except Exception:  # the database is away: the lease lapses
                log.warning("request %s: lease not released (it lapses)", request_id)
