"""The job queue adapter: jobs sent by name to Celery workers through a broker.

:class:`yinsi.queue.celery.CeleryQueue` is the :class:`~yinsi.services.jobs.JobQueue` of a
process whose settings name a broker (``YINSI_JOBS__BROKER_URL``); it only sends, the
workers (:mod:`yinsi.workers`) run. Importing this package does not import Celery.
"""

from __future__ import annotations

from yinsi.queue.errors import QueueUnavailable

__all__ = ["QueueUnavailable"]
