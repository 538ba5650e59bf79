"""The services' clock: a callable returning a timezone-aware now (tests pass their own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware; every service stamps its writes with one."""


def utc_now() -> datetime:
    return datetime.now(UTC)
