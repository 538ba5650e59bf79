"""The Celery app of ``yinsi worker`` and ``yinsi beat``.

:func:`create_celery` makes the app from the settings: the broker
(``YINSI_JOBS__BROKER_URL``), one task per job of :data:`yinsi.services.jobs.JOBS`, each a
thin wrapper of :func:`~yinsi.services.jobs.run_job`, and the beat schedule
(``YINSI_JOBS__SCHEDULE__…``). Tasks are acknowledged late and rejected when their worker
is lost, one at a time per process (prefetch 1): a job whose worker died is delivered
again and resumes (at least once; every job is idempotent).

Each worker process opens its own :class:`~yinsi.services.root.Services` on first use
(after the pool forked it), from the environment ``yinsi worker`` sets:
``YINSI_DATABASE_URL``, ``YINSI_DATA_MAP``, ``YINSI_SETTINGS_FILE``.

Retries: a request another run holds (:class:`~yinsi.services.jobs.RunBusy`) is tried
again when that run's lease lapses at the latest, as often as it takes; a request whose
step failed (:class:`~yinsi.services.jobs.StepsFailed`, e.g. a processor down) is run
again after ``run_retry_delay_s``, doubled each time up to 15 minutes, ``run_retries``
times, then left ``executing`` with the failed step for a person to look at.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab

from yinsi.services.errors import is_unavailable, unavailable_errors
from yinsi.services.jobs import (
    JOBS,
    PERIODIC,
    LeaseLost,
    RunBusy,
    StepsFailed,
    celery_config,
    run_job,
)
from yinsi.services.root import Services
from yinsi.settings import Settings
from yinsi.settings.jobs import JobSchedule

__all__ = ["beat_schedule", "create_celery", "services"]

log = logging.getLogger("yinsi.jobs")

MAX_RETRY_DELAY_S = 900.0
"""Longest wait before a retry: RabbitMQ closes a channel holding an unacknowledged
message for 30 minutes (its ``consumer_timeout``), and a delayed retry is held unacked."""

_FAILURES = "_failures"
"""Key of the job's kwargs counting its failed runs (the job itself never sees it)."""

_open: dict[int, Services] = {}
_lock = threading.Lock()


def services(settings: Settings) -> Services:
    """This process's services, opened on first use (one per process: the prefork pool
    forks workers, and a pool must not cross a fork)."""
    pid = os.getpid()
    with _lock:
        found = _open.get(pid)
        if found is None:
            data_map = os.environ.get("YINSI_DATA_MAP") or None
            found = Services.open(None, data_map=data_map, actor="worker", settings=settings)
            _open[pid] = found
        return found


def close_services() -> None:
    """Close this process's services (at worker shutdown)."""
    with _lock:
        found = _open.pop(os.getpid(), None)
    if found is not None:
        found.close()


def parse_crontab(key: str, text: str) -> crontab:
    """``m h dom mon dow`` as a Celery crontab; raises ValueError naming the setting."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"YINSI_JOBS__SCHEDULE__{key.upper()}={text!r} is not a crontab of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 3 * * *'; empty: never"
        )
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        return crontab(minute, hour, day_of_week, day_of_month, month)
    except ValueError as exc:
        raise ValueError(f"YINSI_JOBS__SCHEDULE__{key.upper()}={text!r}: {exc}") from None


def beat_schedule(schedule: JobSchedule) -> dict[str, dict[str, Any]]:
    """The periodic jobs with a crontab set, by their settings key."""
    entries = {}
    for key, name in PERIODIC.items():
        text = getattr(schedule, key).strip()
        if text:
            entries[key] = {"task": name, "schedule": parse_crontab(key, text)}
    return entries


UNAVAILABLE_RETRY_S = 2.0
"""First wait before a job that lost yinsi's database connection runs again (doubling)."""


def _retry_delay(first_s: float, failures: int) -> float:
    """``first_s`` doubled per earlier failure, at most :data:`MAX_RETRY_DELAY_S`, jittered."""
    delay = first_s * 2.0**failures
    return min(MAX_RETRY_DELAY_S, delay) * random.uniform(0.9, 1.1)  # jitter, not a secret


def _register(app: Celery, settings: Settings, name: str) -> None:
    @app.task(name=name, bind=True, max_retries=None, acks_late=True)
    def job(self: Task[Any, Any], /, **kwargs: Any) -> dict[str, Any]:
        failures = int(kwargs.pop(_FAILURES, 0))
        try:
            return run_job(services(settings), name, kwargs)
        except RunBusy as busy:
            wait = busy.retry_after_s + random.uniform(0.5, 1.5)
            log.info("%s: %s; trying again in %.0f s", name, busy.request_id, wait)
            raise self.retry(countdown=wait, kwargs={**kwargs, _FAILURES: failures}) from None
        except LeaseLost as lost:
            log.warning("%s: %s", name, lost)
            raise self.retry(countdown=1.0, kwargs={**kwargs, _FAILURES: failures}) from None
        except unavailable_errors() as lost:  # yinsi's own database: a lost connection…
            if not is_unavailable(lost):
                raise
            wait = _retry_delay(UNAVAILABLE_RETRY_S, failures)
            log.warning(
                "%s: yinsi's database is unavailable (%s); trying again in %.0f s",
                name,
                type(lost).__name__,
                wait,
            )  # the pool dropped the dead connections: the next attempt opens new ones
            retried = {**kwargs, _FAILURES: failures + 1}
            raise self.retry(countdown=wait, kwargs=retried) from None
        except StepsFailed as failed:
            if failures >= settings.jobs.run_retries:
                log.error("%s: %s; no retries left (YINSI_JOBS__RUN_RETRIES)", name, failed)
                return {"request_id": failed.request_id, "status": "executing", "failed": True}
            wait = _retry_delay(settings.jobs.run_retry_delay_s, failures)
            log.warning("%s: %s; trying again in %.0f s", name, failed, wait)
            retried = {**kwargs, _FAILURES: failures + 1}
            raise self.retry(countdown=wait, kwargs=retried) from None


def create_celery(settings: Settings) -> Celery:
    """The worker's (and beat's) Celery app; raises ValueError for a bad schedule and
    says to set a broker when none is."""
    jobs = settings.jobs
    if not jobs.broker_url:
        raise ValueError(
            "no broker: set YINSI_JOBS__BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//); "
            "without one, jobs run in the process that asks for them and no worker is needed"
        )
    app = Celery("yinsi", broker=jobs.broker_url, set_as_current=False)
    app.conf.update(
        celery_config(jobs.queue),
        timezone=jobs.timezone,
        beat_schedule=beat_schedule(jobs.schedule),
    )
    for name in JOBS:
        _register(app, settings, name)
    return app
