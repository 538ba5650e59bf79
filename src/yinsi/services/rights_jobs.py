"""Running a rights request now or on a worker: what ``POST …:run`` and
``yinsi rights run --enqueue`` call.

With a broker (``YINSI_JOBS__BROKER_URL``) :meth:`RequestRuns.run` moves the request to
``executing`` and sends a :data:`~yinsi.services.jobs.RUN_REQUEST` job; the caller answers
at once (``202 Accepted``) and the request's status and steps show the progress. The move
comes first: two ``:run`` calls racing on an approved request both try it and one gets
``RequestConflict`` (409), so only one job is sent; if the broker then cannot be reached,
the request stays ``executing`` and a later ``:run`` sends the job. Without a broker the
request runs before the call returns, as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass

from yinsi.rights.requests import RightsRequest
from yinsi.services.jobs import RUN_REQUEST, JobQueue
from yinsi.services.rights import RightsService

__all__ = ["RequestRuns", "RunOutcome"]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """The request as it stands after the call; ``job_id`` when a worker will run it."""

    request: RightsRequest
    job_id: str | None = None

    @property
    def queued(self) -> bool:
        return self.job_id is not None


class RequestRuns:
    def __init__(self, rights: RightsService, jobs: JobQueue) -> None:
        self.rights = rights
        self.jobs = jobs

    @property
    def deferred(self) -> bool:
        """Whether runs go to workers (a broker is configured)."""
        return self.jobs.deferred

    def run(self, request_id: str, *, actor: str, enqueue: bool | None = None) -> RunOutcome:
        """Run the request here, or (``enqueue``; default: when a broker is configured)
        start it and send it to a worker. Raises what :meth:`RightsService.start` and
        :meth:`RightsService.run` raise, and ``QueueUnavailable``."""
        if not (self.jobs.deferred if enqueue is None else enqueue):
            return RunOutcome(self.rights.run(request_id, actor=actor))
        started = self.rights.start(request_id, actor=actor)
        job_id = self.jobs.enqueue(RUN_REQUEST, request_id=request_id, actor=actor)
        if not self.jobs.deferred:  # the in-process queue ran it already
            started = self.rights.get(request_id)
        return RunOutcome(started, job_id)
