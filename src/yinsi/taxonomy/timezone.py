"""China Standard Time: the clock every Chinese date and deadline is counted on.

UTC+8 all year (China has no daylight saving time). A request received at 23:30 UTC on
1 December was received on 2 December in China; working days, notice periods, daily
limits and the dates printed to users are all counted in this zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["CHINA", "china_date"]

CHINA = timezone(timedelta(hours=8), "CST")


def china_date(at: datetime) -> date:
    """The date in China at the instant ``at`` (an aware datetime)."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone: give an aware datetime")
    return at.astimezone(CHINA).date()
