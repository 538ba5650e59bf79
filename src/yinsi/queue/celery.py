"""``CeleryQueue``: send jobs by name to the broker Celery workers consume.

The producer knows no task code: :meth:`CeleryQueue.enqueue` publishes ``name`` with JSON
``kwargs`` to ``queue``, with publisher confirms on AMQP (the broker has the message,
persistent, when it returns). Workers define the tasks (:mod:`yinsi.workers.app`).
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import Celery
from kombu.exceptions import KombuError, OperationalError

from yinsi.queue.config import celery_config
from yinsi.queue.errors import QueueUnavailable

__all__ = ["CeleryQueue", "display_broker"]

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}
"""How long a send keeps trying a broker that does not answer: about 1.5 s, then 503."""


def display_broker(url: str) -> str:
    """The broker URL without its password, for messages and logs."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


class CeleryQueue:
    """Sends jobs to ``queue`` on the broker at ``broker_url``."""

    deferred = True

    def __init__(self, broker_url: str, *, queue: str = "yinsi") -> None:
        self.queue = queue
        self.broker = display_broker(broker_url)
        self._app = Celery("yinsi-producer", broker=broker_url, set_as_current=False)
        self._app.conf.update(celery_config(queue))

    def enqueue(self, name: str, /, **kwargs: Any) -> str:
        job_id = str(uuid.uuid4())
        try:
            self._app.send_task(
                name,
                kwargs=kwargs,
                task_id=job_id,
                queue=self.queue,
                retry=True,
                retry_policy=PUBLISH_RETRY,
            )
        except (OperationalError, KombuError, OSError) as exc:
            raise QueueUnavailable(self.broker, exc.__class__.__name__) from None
        return job_id

    def close(self) -> None:
        """Close the broker connections of this producer."""
        self._app.close()
