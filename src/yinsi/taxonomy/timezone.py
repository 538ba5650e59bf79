"""China Standard Time: the clock every Chinese date and deadline is counted on.

UTC+8 all year (China has no daylight saving time). A request received at 23:30 UTC on
1 December was received on 2 December in China; working days, notice periods, daily
limits and the dates printed to users are all counted in this zone.
"""

from __future__ import annotations

from datetime import timedelta, timezone

__all__ = ["CHINA"]

CHINA = timezone(timedelta(hours=8), "CST")
