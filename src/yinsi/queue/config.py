"""What the producers and the workers agree on (no Celery import here)."""

from __future__ import annotations

from typing import Any

__all__ = ["celery_config"]


def celery_config(queue: str) -> dict[str, Any]:
    """What the producer and the workers agree on: JSON only, one durable queue,
    acknowledged after the task ran (at least once), one task at a time per process."""
    return {
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "task_default_queue": queue,
        "task_default_delivery_mode": "persistent",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"confirm_publish": True},
        "enable_utc": True,
    }
