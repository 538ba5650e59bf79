"""Jobs: background work by name, the same code in-process or on Celery workers.

Each job is a plain function of the composition root and JSON-able arguments
(:data:`JOBS`); it returns a small JSON-able summary. A :class:`JobQueue` runs jobs by
name:

- :class:`InProcessQueue`, the embedded default (no broker): :meth:`~InProcessQueue.enqueue`
  runs the job at once, in the calling thread, and returns when it is done (its errors
  propagate to the caller). Nothing is queued, so nothing is lost when the process stops.
- :class:`~yinsi.queue.CeleryQueue` (``YINSI_JOBS__BROKER_URL``) sends the job to the
  broker and returns at once; a worker (``yinsi worker``, :mod:`yinsi.workers`) runs the
  same function. Delivery is at least once: a worker acknowledges a job after running it,
  so a job whose worker died is delivered again. Every job is idempotent: a rights
  request resumes from its journal under its lease (:mod:`.run_leases`), a sweep from its
  checkpoint, an expired export is deleted once, a reminder or an anchor repeated is
  harmless.

Periodic jobs (``PERIODIC``) are sent by ``yinsi beat`` on ``settings.jobs.schedule``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from yinsi.queue import QueueUnavailable
from yinsi.queue.config import celery_config
from yinsi.rights.plan import StepStatus
from yinsi.rights.requests import InvalidRequest, Status
from yinsi.services.run_leases import LeaseLost, RunBusy

if TYPE_CHECKING:
    from yinsi.services.root import Services

__all__ = [
    "JOBS",
    "PERIODIC",
    "RUN_REQUEST",
    "InProcessQueue",
    "JobFailed",
    "JobQueue",
    "LeaseLost",
    "QueueUnavailable",
    "RunBusy",
    "StepsFailed",
    "UnknownJob",
    "celery_config",
    "queue_of",
    "run_job",
]

RUN_REQUEST = "yinsi.rights.run"
RETENTION_SWEEP = "yinsi.retention.sweep"
DEADLINE_REMINDERS = "yinsi.rights.remind"
EXPIRE_EXPORTS = "yinsi.exports.expire"
ANCHOR_AUDIT = "yinsi.audit.anchor"
DEFERRED_ERASURES = "yinsi.rights.deferred"
DELIVERIES_RETRY = "yinsi.deliveries.retry"

Summary = dict[str, Any]
Job = Callable[..., Summary]


class JobFailed(Exception):
    """A job could not do its work; the message says why (never PI)."""


class UnknownJob(JobFailed):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown job {name!r}; the jobs are: {', '.join(sorted(JOBS))}")


class StepsFailed(JobFailed):
    """A step of the request failed (a store or a processor did not answer); the request
    stays ``executing`` and a later run resumes it from the failed step."""

    def __init__(self, request_id: str, error: str) -> None:
        super().__init__(f"request {request_id}: a step failed ({error}); it will be run again")
        self.request_id = request_id


# ------------------------------------------------------------------ the jobs


def run_request(services: Services, request_id: str, actor: str = "worker") -> Summary:
    """Execute a rights request (under its lease). A request already done — another run
    finished it, or this job is a redelivered duplicate — is left alone.

    Raises :class:`RunBusy` while another run holds it (a worker tries again when that
    lease lapses) and :class:`StepsFailed` when a step failed (tried again later).
    """
    rights = services.rights
    if rights.get(request_id).status not in (Status.APPROVED, Status.EXECUTING):
        return _already(rights.get(request_id).status, request_id)
    try:
        request = rights.run(request_id, actor=actor)
    except InvalidRequest:
        now = rights.get(request_id).status  # finished by the run that held it before us
        if now.closed:
            return _already(now, request_id)
        raise
    failed = [s for s in rights.steps(request_id) if s.status is StepStatus.FAILED]
    if failed and request.status is Status.EXECUTING:
        raise StepsFailed(request_id, str(failed[0].outcome.get("error", ""))[:300])
    return {"request_id": request_id, "status": request.status.value}


def _already(status: Status, request_id: str) -> Summary:
    return {"request_id": request_id, "status": status.value, "skipped": True}


def retention_sweep(services: Services, app: str | None = None) -> Summary:
    """Sweep the data map's app (``app``, when given, must be that app)."""
    from yinsi.services.retention import today_in_china

    if services.data_map is not None and app not in (None, services.data_map.app):
        raise JobFailed(
            f"this worker serves app {services.data_map.app!r} (its --map), not {app!r}: "
            "run a worker with that app's data map"
        )
    report = services.retention.run(today_in_china())
    return {"app": services.retention.data_map.app, "rows": dict(report.rows)}


def deadline_reminders(services: Services) -> Summary:
    """E-mail the privacy team the open requests overdue or due soon; skipped (not an
    error) while no staff e-mail is configured."""
    from yinsi.services.delivery_notices import remind_due

    settings = services.settings.delivery
    if not settings.staff_emails:
        return {"skipped": "YINSI_DELIVERY__STAFF_EMAILS is empty"}
    listed, records = remind_due(services.rights, services.delivery, settings)
    return {"listed": listed, "outcomes": [r.outcome for r in records]}


def expire_exports(services: Services) -> Summary:
    """Delete the export archives past their download period (each audited)."""
    done = services.exports.purge()
    return {"archives": len(done.archives), "staging": len(done.staging)}


def anchor_audit(services: Services) -> Summary:
    """Sign the audit chain's head and append (and POST) the anchor."""
    anchor = services.audit.anchor()
    return {"seq": anchor.seq, "entries": anchor.entries}


def deferred_erasures(services: Services) -> Summary:
    """Do the deletions deferred while a contract ran, for contracts that have ended."""
    runs = services.rights.run_deferred()
    return {"requests": len(runs), "finished": sum(r.finished for r in runs)}


def deliveries_retry(services: Services, every: bool = False) -> Summary:
    """Try again the messages whose delivery failed for now (the delivery outbox): those
    due (``every``: all, each once); what became of them."""
    return services.outbox.retry(services.delivery, due_only=not every).summary()


JOBS: Mapping[str, Job] = {
    RUN_REQUEST: run_request,
    RETENTION_SWEEP: retention_sweep,
    DEADLINE_REMINDERS: deadline_reminders,
    EXPIRE_EXPORTS: expire_exports,
    ANCHOR_AUDIT: anchor_audit,
    DEFERRED_ERASURES: deferred_erasures,
    DELIVERIES_RETRY: deliveries_retry,
}
"""Every job by its task name (the name workers and the broker know it by)."""

PERIODIC: Mapping[str, str] = {
    "retention_sweep": RETENTION_SWEEP,
    "deadline_reminders": DEADLINE_REMINDERS,
    "expire_exports": EXPIRE_EXPORTS,
    "anchor_audit": ANCHOR_AUDIT,
    "deferred_erasures": DEFERRED_ERASURES,
    "deliveries_retry": DELIVERIES_RETRY,
}
"""The jobs ``yinsi beat`` sends, by their key in ``settings.jobs.schedule``."""


def run_job(services: Services, name: str, kwargs: Mapping[str, Any]) -> Summary:
    """Run job ``name`` with ``kwargs`` on ``services`` (what a worker's task does)."""
    job = JOBS.get(name)
    if job is None:
        raise UnknownJob(name)
    return job(services, **kwargs)


# ------------------------------------------------------------------ the queues


class JobQueue(Protocol):
    """Runs jobs by name; ``deferred`` says whether they run later elsewhere (a broker)
    or before :meth:`enqueue` returns (in-process)."""

    @property
    def deferred(self) -> bool: ...

    def enqueue(self, name: str, /, **kwargs: Any) -> str:
        """Run or send job ``name``; returns the job's id. Raises :class:`UnknownJob` and,
        with a broker, :class:`QueueUnavailable` when it cannot be reached."""
        ...

    def close(self) -> None: ...


class InProcessQueue:
    """The embedded default: each job runs at once in the calling thread (see the module
    docstring); ``last`` is the summary of the last job run."""

    deferred = False

    def __init__(self, services: Services) -> None:
        self._services = services
        self.last: Summary | None = None

    def enqueue(self, name: str, /, **kwargs: Any) -> str:
        if name not in JOBS:
            raise UnknownJob(name)
        self.last = run_job(self._services, name, kwargs)
        return f"inline-{uuid.uuid4()}"

    def close(self) -> None:
        """Nothing to close."""


def queue_of(services: Services) -> JobQueue:
    """The process's queue: Celery with ``settings.jobs.broker_url``, else in-process."""
    settings = services.settings.jobs
    if not settings.broker_url:
        return InProcessQueue(services)
    from yinsi.queue.celery import CeleryQueue

    return CeleryQueue(settings.broker_url, queue=settings.queue)
