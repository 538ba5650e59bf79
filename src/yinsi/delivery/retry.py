"""Bounded retries with exponential backoff, shared by every delivery adapter.

An adapter's single try either returns the provider's message id, or raises
:class:`Transient` (a timeout, a refused connection, a 5xx, a throttling answer: worth
another try) or :class:`Permanent` (a 4xx, a wrong key, an unknown template: no retry
helps). :func:`deliver` runs the tries and turns the end into a
:class:`~yinsi.delivery.messages.DeliveryResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from yinsi.delivery.messages import DeliveryResult, Outcome

__all__ = ["Permanent", "Retry", "Transient", "deliver"]

MAX_ATTEMPTS = 10
MAX_BACKOFF_S = 30.0


class DeliveryError(Exception):
    """One failed try; the message is safe to store (never the text sent)."""


class Transient(DeliveryError):
    """Worth another try."""


class Permanent(DeliveryError):
    """No retry will help."""


@dataclass(frozen=True, slots=True)
class Retry:
    """``attempts`` tries in all (1–10); before try n+1, sleep ``backoff_s * 2**(n-1)``
    seconds, at most 30 s; each try bounded by ``timeout_s``."""

    attempts: int = 3
    backoff_s: float = 0.5
    timeout_s: float = 10.0

    def pause(self, attempt: int) -> float:
        return min(MAX_BACKOFF_S, self.backoff_s * 2.0 ** (attempt - 1))


def deliver(
    attempt: Callable[[], str | None],
    retry: Retry,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Call ``attempt`` until it returns (delivered), raises :class:`Permanent`, or
    ``retry.attempts`` tries raised :class:`Transient` (failed, with the last reason)."""
    tries = max(1, min(MAX_ATTEMPTS, retry.attempts))
    for n in range(1, tries + 1):
        try:
            provider_id = attempt()
        except Permanent as exc:
            return DeliveryResult(Outcome.FAILED, n, error=str(exc))
        except Transient as exc:
            if n == tries:
                error = f"{exc}（已重试{n}次）"
                return DeliveryResult(Outcome.FAILED, n, error=error, transient=True)
            sleep(retry.pause(n))
            continue
        return DeliveryResult(Outcome.DELIVERED, n, provider_id=provider_id)
    raise AssertionError("unreachable")
