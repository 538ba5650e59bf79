"""Settings: jobs (a section of :class:`yinsi.settings.Settings`).

Background work — running rights requests, retention sweeps, due-date reminders, export
expiry, audit anchors — goes through a job queue (:mod:`yinsi.services.jobs`). With no
broker (the embedded default) every job runs in the process that asks for it; with
``broker_url`` set, the API and the CLI send jobs to Celery workers (``yinsi worker``) and
``yinsi beat`` sends the periodic ones on the ``schedule`` below.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class JobSchedule(BaseModel):
    """When ``yinsi beat`` sends each periodic job: a five-field crontab (minute hour
    day-of-month month day-of-week) in ``jobs.timezone``; empty: never."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_sweep: str = Field(
        default="0 3 * * *",
        description="Retention sweep of the worker's app (``YINSI_JOBS__SCHEDULE__RETENTION_SWEEP``).",
    )
    deadline_reminders: str = Field(
        default="0 9 * * *",
        description=(
            "E-mail the privacy team the requests overdue or due soon "
            "(``YINSI_JOBS__SCHEDULE__DEADLINE_REMINDERS``; skipped while "
            "``YINSI_DELIVERY__STAFF_EMAILS`` is empty)."
        ),
    )
    expire_exports: str = Field(
        default="30 * * * *",
        description="Delete export archives past their download period (hourly by default).",
    )
    deferred_erasures: str = Field(
        default="15 4 * * *",
        description=(
            "Run the deletions deferred while a contract was running, for the contracts "
            "that have ended since (``yinsi rights deferred``)."
        ),
    )
    deliveries_retry: str = Field(
        default="*/5 * * * *",
        description=(
            "Try again the messages whose delivery failed for now (the delivery outbox, "
            "``yinsi deliveries retry``); each waits its own backoff, so often is cheap."
        ),
    )
    anchor_audit: str = Field(
        default="",
        description=(
            "Sign the audit chain's head (``yinsi audit anchor``); off by default: make the "
            "anchor key first (``yinsi audit anchor-key``), then set e.g. ``0 * * * *``."
        ),
    )


class JobSettings(BaseModel):
    """The ``jobs`` section (``YINSI_JOBS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str = Field(
        default="",
        pattern=r"^$|^(redis|rediss|amqp|amqps|pyamqp)://",
        description=(
            "The Celery broker (``YINSI_JOBS__BROKER_URL``), e.g. "
            "``amqp://user:password@rabbitmq:5672//``; empty: jobs run in-process "
            "(the embedded default). Holds a password: never logged."
        ),
    )
    queue: str = Field(
        default="yinsi",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="The queue jobs are sent to and workers consume (``YINSI_JOBS__QUEUE``).",
    )
    lease_s: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description=(
            "How long a run's claim on a rights request lasts without renewal "
            "(``YINSI_JOBS__LEASE_S``); the runner renews it every third of that. A killed "
            "worker's request is taken over by another once its lease has run out."
        ),
    )
    run_retries: int = Field(
        default=5,
        ge=0,
        le=100,
        description=(
            "How often a worker runs a request again after a failed step, e.g. a processor's "
            "webhook that did not answer (``YINSI_JOBS__RUN_RETRIES``)."
        ),
    )
    run_retry_delay_s: float = Field(
        default=60.0,
        ge=0,
        le=86400,
        description="Delay before the first of those runs; doubled each time, at most 1 hour.",
    )
    delivery_retry_hours: float = Field(
        default=72.0,
        gt=0,
        le=720,
        description=(
            "How long a message whose delivery failed for now is tried again before it is "
            "given up (``YINSI_JOBS__DELIVERY_RETRY_HOURS``; verification codes never are)."
        ),
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The time zone of ``schedule`` (``YINSI_JOBS__TIMEZONE``).",
    )
    schedule: JobSchedule = Field(default_factory=JobSchedule)
