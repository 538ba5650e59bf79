"""Due dates of rights requests in Chinese working days (X31, X32, X35, X36, W16, W18).

The limit: the seeds promise an answer "在验证您的身份后……十五个工作日内" (X31, X35),
complaints "三个工作日内……最长不超过十五个工作日" (X36) and "15个工作日内" after receipt
(W16, W18). PIPL itself sets no figure (Art. 50 asks for a convenient mechanism); the
figure is that of 《App违法违规收集使用个人信息行为认定方法》(2019): at most 15 working
days. GB/T 35273-2020 §8.7 allows 30 days or the legal limit; the stricter one wins. A
declaration states its own figures (``Right.deadline``).

The counting rule: the day of receipt or verification does not count; the period starts
the day after it (《民法典》第二百零一条: 开始的当日不计入，自下一日开始计算), and the due
date is the N-th working day after it, answered by the end of that day. The due date is
always a working day, so the rule that a period ending on a holiday runs to the next
working day (第二百零三条) holds by construction.

Through a year whose schedule is unknown (:mod:`yinsi.rights.calendar`), Monday-Friday
count as working days and the due date is *provisional*. Statutory days off can only move
a due date later, so counting them as working days keeps it early; adjusted working
weekends (调休上班) move it earlier. Exactly: the real due date is on or after the
provisional one unless, strictly between the start and the provisional due date, the
notice turns more weekend days into working days than weekdays into days off — possible
when a make-up Saturday falls before its holiday and the holiday after the provisional
date. Hence the warning until the year's schedule is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar, overload

from yinsi.declaration.schema import Deadline
from yinsi.rights.calendar import ENV_VAR, WorkingCalendar, require_date

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DueDate:
    """The last day to answer: the ``working_days``-th working day after ``start``."""

    date: dt.date
    start: dt.date
    working_days: int
    unknown_years: tuple[int, ...] = ()
    """Years of the counting period whose holiday schedule is not known (ascending)."""

    @property
    def provisional(self) -> bool:
        """Counted through a year taken as Monday-Friday; see the module docstring."""
        return bool(self.unknown_years)

    @property
    def warning(self) -> str:
        """A Chinese notice for the staff when the date is provisional, else ``""``."""
        if not self.unknown_years:
            return ""
        years = "、".join(str(y) for y in self.unknown_years)
        return (
            f"截止日期按工作日（周一至周五）推算，尚未计入{years}年法定节假日安排；"
            f"请在节假日覆盖文件（{ENV_VAR}）中补充{years}年安排"
        )


@dataclass(frozen=True, slots=True)
class RequestDeadline:
    """A request's legal limit and, where the policy promises one, its usual target (X36)."""

    limit: DueDate
    target: DueDate | None = None


def due_date(start: dt.date, working_days: int, calendar: WorkingCalendar) -> DueDate:
    """The ``working_days``-th working day after ``start`` (which itself does not count)."""
    require_date(start, "start")
    if working_days < 1:
        raise ValueError(f"working_days must be at least 1, got {working_days}")
    day, counted, unknown = start, 0, set()
    while counted < working_days:
        day += _DAY
        if not calendar.is_authoritative(day.year):
            unknown.add(day.year)
        if calendar.is_working_day(day):
            counted += 1
    return DueDate(day, start, working_days, tuple(sorted(unknown)))


def request_deadline(
    deadline: Deadline,
    *,
    received: dt.date,
    verified: dt.date | None,
    calendar: WorkingCalendar,
) -> RequestDeadline | None:
    """A declared right's due dates, counted from the day ``deadline.counted_from`` names.

    ``None`` while the clock has not started: counted from verification, not yet verified.
    """
    start = received if deadline.counted_from == "receipt" else verified
    if start is None:
        return None
    limit = due_date(start, deadline.working_days, calendar)
    target = deadline.target_working_days
    return RequestDeadline(limit, due_date(start, target, calendar) if target else None)


def working_days_between(a: dt.date, b: dt.date, calendar: WorkingCalendar) -> int:
    """Working days ``d`` with ``a < d <= b``; negative (the same count) when ``b < a``.

    ``working_days_between(start, due_date(start, n, cal).date, cal) == n``.
    """
    require_date(a, "a")
    require_date(b, "b")
    if b < a:
        return -working_days_between(b, a, calendar)
    count, day = 0, a
    while day < b:
        day += _DAY
        count += calendar.is_working_day(day)
    return count


# ------------------------------------------------------------------ overdue and due soon


class DeadlineStatus(StrEnum):
    OVERDUE = "overdue"
    """The due date has passed."""
    DUE_SOON = "due_soon"
    """Due today or within ``due_soon_days``."""
    ON_TIME = "on_time"


DueLike = dt.date | DueDate


def classify(
    due: DueLike,
    today: dt.date,
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
) -> DeadlineStatus:
    """Where a due date stands on ``today``.

    ``due_soon_days`` counts working days when a ``calendar`` is given (3 days before the
    National Day week is not 3 days of work), calendar days otherwise.
    """
    when = _as_date(due)
    require_date(today, "today")
    if due_soon_days < 0:
        raise ValueError(f"due_soon_days must not be negative, got {due_soon_days}")
    if today > when:
        return DeadlineStatus.OVERDUE
    left = (when - today).days if calendar is None else working_days_between(today, when, calendar)
    return DeadlineStatus.DUE_SOON if left <= due_soon_days else DeadlineStatus.ON_TIME


class HasDue(Protocol):
    @property
    def due(self) -> DueLike: ...


T = TypeVar("T")
D = TypeVar("D", bound=HasDue)


@dataclass(frozen=True, slots=True)
class Triage(Generic[T]):
    """Items split by :func:`classify`, each list by due date, earliest (most urgent) first."""

    overdue: tuple[T, ...]
    due_soon: tuple[T, ...]
    on_time: tuple[T, ...]


@overload
def sort_by_due(items: Iterable[D]) -> list[D]: ...
@overload
def sort_by_due(items: Iterable[T], *, key: Callable[[T], DueLike]) -> list[T]: ...
def sort_by_due(items: Iterable[T], *, key: Callable[[T], DueLike] | None = None) -> list[T]:
    """Items by due date, earliest first; items due the same day keep their order."""
    get = _getter(key)
    return sorted(items, key=lambda item: _as_date(get(item)))


@overload
def triage(
    items: Iterable[D],
    today: dt.date,
    *,
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
) -> Triage[D]: ...
@overload
def triage(
    items: Iterable[T],
    today: dt.date,
    *,
    key: Callable[[T], DueLike],
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
) -> Triage[T]: ...
def triage(
    items: Iterable[T],
    today: dt.date,
    *,
    key: Callable[[T], DueLike] | None = None,
    due_soon_days: int = 3,
    calendar: WorkingCalendar | None = None,
) -> Triage[T]:
    """The overdue and due-soon lists (and the rest) of ``items`` on ``today``.

    Items carry a ``due`` attribute (a date or :class:`DueDate`), or ``key`` returns it.
    """
    get = _getter(key)
    groups: dict[DeadlineStatus, list[T]] = {status: [] for status in DeadlineStatus}
    for item in sort_by_due(items, key=get):
        groups[classify(get(item), today, due_soon_days, calendar)].append(item)
    return Triage(
        tuple(groups[DeadlineStatus.OVERDUE]),
        tuple(groups[DeadlineStatus.DUE_SOON]),
        tuple(groups[DeadlineStatus.ON_TIME]),
    )


def _getter(key: Callable[[T], DueLike] | None) -> Callable[[T], DueLike]:
    return _due_attribute if key is None else key


def _due_attribute(item: object) -> DueLike:
    due = getattr(item, "due", None)
    if not isinstance(due, dt.date | DueDate):
        raise TypeError(
            f"{type(item).__name__} has no `due` date; give it one or pass key=lambda item: ..."
        )
    return due


def _as_date(due: DueLike) -> dt.date:
    return due.date if isinstance(due, DueDate) else require_date(due, "due")
