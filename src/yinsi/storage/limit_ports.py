"""The port of abuse limits (issue 14): counters with caps and cooldowns, login failure
windows and single-use entry links. Reached from a unit of work as ``uow.limits``.

Every operation is one atomic statement (or a conflict-free insert followed by one), so
limits hold with several server processes on one database.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Refused:
    """A counter that did not count: ``capped`` (no waiting helps before the counter
    expires) or too soon, for ``wait`` more."""

    capped: bool
    wait: timedelta


class LimitStore(abc.ABC):
    @abc.abstractmethod
    def take(
        self,
        key: str,
        now: datetime,
        *,
        cap: int,
        cooldown: timedelta,
        keep_until: datetime,
    ) -> Refused | None:
        """Count one use of ``key`` unless it has ``cap`` uses or its last use was less
        than ``cooldown`` ago; None when counted. ``keep_until``: when the counter may be
        deleted (the end of the day it counts, say)."""

    @abc.abstractmethod
    def failures(self, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
        """The failures of ``key`` in its current window and when the window ends."""

    @abc.abstractmethod
    def fail(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one failure of ``key`` (a new window starts when the last has ended);
        the failures in the window now."""

    @abc.abstractmethod
    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (a successful login)."""

    @abc.abstractmethod
    def use_once(self, link_id: str, now: datetime, expires_at: datetime) -> bool:
        """Record the use of an entry link; False when it was used before (one insert:
        of two concurrent uses, exactly one gets True). Expired records are purged."""
