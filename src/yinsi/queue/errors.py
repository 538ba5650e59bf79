"""Errors of the job queue adapter."""

from __future__ import annotations


class QueueUnavailable(Exception):
    """The broker could not take the job (down, unreachable, refusing); nothing was sent.
    The message names the broker without its password."""

    def __init__(self, broker: str, reason: str) -> None:
        super().__init__(
            f"the job queue at {broker} is unavailable ({reason}); try again shortly, "
            "or check the broker (YINSI_JOBS__BROKER_URL)"
        )
        self.broker = broker
