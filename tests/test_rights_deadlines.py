"""Due dates in Chinese working days: holidays, adjusted working weekends, overrides (X31-X36, W16, W18).

Holiday facts used here were checked against chinese_calendar 1.11's data, which copies the
State Council notices: National Day 2025 is Oct 1-8 off with Sun Sep 28 and Sat Oct 11
worked; Spring Festival 2026 is Feb 15-23 off with Sat Feb 14 and Sat Feb 28 worked.
Dates written into override files below are test data, not any year's official schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EXAMPLES
from yinsi.declaration import load
from yinsi.declaration.schema import Deadline, RightKind
from yinsi.rights.calendar import (
    ENV_VAR,
    LIBRARY_SOURCE,
    LIBRARY_YEARS,
    HolidayFileError,
    HolidayYear,
    WorkingCalendar,
    parse_overrides,
)
from yinsi.rights.deadlines import (
    DeadlineStatus,
    DueDate,
    classify,
    due_date,
    request_deadline,
    sort_by_due,
    triage,
    working_days_between,
)

D = dt.date
CAL = WorkingCalendar()
"""chinese_calendar alone, whatever the packaged or environment overrides say."""


def test_chinese_calendar_national_day_2025_as_the_tests_assume() -> None:
    assert [CAL.is_working_day(D(2025, 10, d)) for d in range(1, 9)] == [False] * 8
    assert CAL.is_working_day(D(2025, 9, 28))  # Sunday, adjusted working day
    assert CAL.is_working_day(D(2025, 10, 11))  # Saturday, adjusted working day
    assert not CAL.is_working_day(D(2025, 9, 27))
    assert not CAL.is_working_day(D(2025, 10, 12))


def test_chinese_calendar_spring_festival_2026_as_the_tests_assume() -> None:
    assert [CAL.is_working_day(D(2026, 2, d)) for d in range(15, 24)] == [False] * 9
    assert CAL.is_working_day(D(2026, 2, 14))  # Saturday, adjusted working day
    assert CAL.is_working_day(D(2026, 2, 28))  # Saturday, adjusted working day
    assert CAL.is_authoritative(2026)
    assert CAL.source(2026) == LIBRARY_SOURCE
    assert LIBRARY_SOURCE.startswith("chinese_calendar ")


def test_x35_fifteen_working_days_across_national_day_2025() -> None:
    due = due_date(D(2025, 9, 26), 15, CAL)  # verified on Friday Sep 26
    # Sep 28 (Sun), 29, 30; Oct 9, 10, 11 (Sat), 13-17, 20-23
    assert due == DueDate(D(2025, 10, 23), D(2025, 9, 26), 15)
    assert not due.provisional
    assert due.warning == ""


def test_adjusted_working_saturday_counts_as_a_working_day() -> None:
    assert due_date(D(2025, 10, 10), 1, CAL).date == D(2025, 10, 11)
    assert due_date(D(2025, 10, 10), 2, CAL).date == D(2025, 10, 13)
    assert working_days_between(D(2025, 10, 10), D(2025, 10, 13), CAL) == 2


def test_the_start_day_never_counts_even_on_a_holiday() -> None:
    assert due_date(D(2025, 10, 1), 1, CAL).date == D(2025, 10, 9)
    assert due_date(D(2025, 10, 8), 1, CAL).date == D(2025, 10, 9)
    assert due_date(D(2025, 10, 9), 1, CAL).date == D(2025, 10, 10)


def test_x36_complaint_three_working_days_as_a_rule_fifteen_at_most() -> None:
    rights = load(EXAMPLES / "xiaoying-kadai.yaml").rights.items
    complaint = next(r for r in rights if r.kind is RightKind.COMPLAINT)
    assert complaint.deadline == Deadline(
        working_days=15,
        verb="answer",
        counted_from="verification",
        target_working_days=3,
        target_verb="complete",
    )
    result = request_deadline(
        complaint.deadline, received=D(2025, 10, 8), verified=D(2025, 10, 9), calendar=CAL
    )
    assert result is not None and result.target is not None
    assert result.target.date == D(2025, 10, 13)  # Oct 10, 11 (Sat, worked), 13
    assert result.limit.date == D(2025, 10, 29)


def test_x36_complaint_clock_starts_at_verification() -> None:
    deadline = Deadline(working_days=15, target_working_days=3, counted_from="verification")
    assert request_deadline(deadline, received=D(2025, 10, 8), verified=None, calendar=CAL) is None


def test_x31_x32_x35_every_other_request_fifteen_working_days_after_verification() -> None:
    rights = load(EXAMPLES / "xiaoying-kadai.yaml").rights.items
    requests = [r for r in rights if r.deadline and r.kind is not RightKind.COMPLAINT]
    kinds = {r.kind for r in requests}
    assert {RightKind.COPY, RightKind.TRANSFER, RightKind.CONTEST_AUTOMATED_DECISION} <= kinds
    for right in requests:
        assert right.deadline is not None
        result = request_deadline(
            right.deadline, received=D(2026, 2, 12), verified=D(2026, 2, 13), calendar=CAL
        )
        assert result is not None and result.target is None
        # Feb 14 (Sat, worked), 24-27, 28 (Sat, worked), Mar 2-6, 9-12
        assert result.limit.date == D(2026, 3, 12), right.id


def test_w18_complaint_fifteen_working_days_from_receipt_across_spring_festival_2026() -> None:
    rights = load(EXAMPLES / "wolai-shuke.yaml").rights.items
    complaint = next(r for r in rights if r.kind is RightKind.COMPLAINT)
    assert complaint.deadline == Deadline(
        working_days=15, verb="process_or_reply", counted_from="receipt"
    )
    result = request_deadline(
        complaint.deadline, received=D(2026, 2, 13), verified=None, calendar=CAL
    )
    assert result is not None
    assert result.limit == DueDate(D(2026, 3, 12), D(2026, 2, 13), 15)


def test_w16_account_cancellation_fifteen_working_days_from_receipt() -> None:
    rights = load(EXAMPLES / "wolai-shuke.yaml").rights.items
    cancel = next(r for r in rights if r.kind is RightKind.CANCEL_ACCOUNT)
    assert cancel.deadline is not None
    result = request_deadline(cancel.deadline, received=D(2025, 9, 30), verified=None, calendar=CAL)
    assert result is not None
    assert result.limit.date == D(2025, 10, 28)  # Oct 9, 10, 11 (Sat), 13-17, 20-24, 27, 28


# ------------------------------------------------------------ years the library does not know


NEXT = LIBRARY_YEARS[-1] + 1
"""The first year chinese_calendar does not know: 2027 with chinese-calendar 1.11. A release
that knows 2027 moves these tests on by itself instead of breaking them."""


def _weekday_count(start: D, n: int) -> D:
    """The reference: the n-th working day after ``start``, the known year by the library,
    the unknown one by Monday to Friday."""
    import chinese_calendar

    day, left = start, n
    while left:
        day += dt.timedelta(days=1)
        works = chinese_calendar.is_workday(day) if day.year < NEXT else day.weekday() < 5
        left -= works
    return day


def test_request_filed_in_december_due_next_year_is_provisional() -> None:
    """Issue 5: chinese-calendar stops at 2026 and a request filed in December 2026 is due
    in 2027: counted Monday to Friday, marked provisional, with a warning."""
    start = D(NEXT - 1, 12, 18)
    due = due_date(start, 15, CAL)
    assert due.date == _weekday_count(start, 15) and due.date.year == NEXT
    if NEXT == 2027:  # Dec 21-25, 28-31; 2027: Jan 1 (a weekday, so counted), Jan 4-8
        assert due.date == D(2027, 1, 8)
    assert due.provisional
    assert due.unknown_years == (NEXT,)
    assert due.warning == (
        f"截止日期按工作日（周一至周五）推算，尚未计入{NEXT}年法定节假日安排；"
        f"请在节假日覆盖文件（YINSI_HOLIDAYS_FILE）中补充{NEXT}年安排"
    )


def write_next(tmp_path: Path) -> Path:
    path = tmp_path / f"holidays-{NEXT}.yaml"
    path.write_text(
        f"# test data, not the official {NEXT} schedule\n"
        f"{NEXT}:\n"
        "  source: 测试数据\n"
        f"  holidays: [{NEXT}-01-01]\n"
        "  workdays: []\n",
        encoding="utf-8",
    )
    return path


def test_override_file_for_the_next_year_makes_the_due_date_authoritative(
    tmp_path: Path,
) -> None:
    calendar = WorkingCalendar.from_files(write_next(tmp_path))
    start = D(NEXT - 1, 12, 18)
    due = due_date(start, 15, calendar)
    provisional = due_date(start, 15, CAL)
    assert due.date >= provisional.date  # one more day off: never earlier
    assert due == DueDate(due.date, start, 15)
    assert not due.provisional and due.warning == ""
    assert calendar.is_authoritative(NEXT)
    assert calendar.source(NEXT) == f"测试数据 ({tmp_path / f'holidays-{NEXT}.yaml'}:2)"
    assert calendar.authoritative_years == (*LIBRARY_YEARS, NEXT)
    if NEXT == 2027:
        assert due.date == D(2027, 1, 11)


def test_override_file_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_next(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(path))
    start = D(NEXT - 1, 12, 18)
    from_env = due_date(start, 15, WorkingCalendar.default())
    assert not from_env.provisional
    assert from_env == due_date(start, 15, WorkingCalendar.from_files(path))
    assert WorkingCalendar.default({ENV_VAR: str(path)}).is_authoritative(NEXT)
    assert not WorkingCalendar.default({}).is_authoritative(NEXT)


def test_override_corrects_a_year_the_library_knows_date_by_date() -> None:
    correction = HolidayYear(
        2025, "测试更正", frozenset({D(2025, 10, 9)}), frozenset({D(2025, 10, 12)})
    )
    calendar = WorkingCalendar([correction])
    assert not calendar.is_working_day(D(2025, 10, 9))
    assert calendar.is_working_day(D(2025, 10, 12))
    assert calendar.is_working_day(D(2025, 10, 11))  # the library still answers the rest
    assert not calendar.is_working_day(D(2025, 10, 1))
    assert calendar.source(2025) == f"测试更正; otherwise {LIBRARY_SOURCE}"


def test_a_later_override_year_replaces_an_earlier_one(tmp_path: Path) -> None:
    first = write_next(tmp_path)
    second = tmp_path / "second.yaml"
    second.write_text(f"{NEXT}:\n  source: 第二份\n  holidays: [{NEXT}-01-04]\n", encoding="utf-8")
    calendar = WorkingCalendar.from_files(first, second)
    assert calendar.overrides[NEXT].source == "第二份"
    assert calendar.is_working_day(D(NEXT, 1, 1)) == (D(NEXT, 1, 1).weekday() < 5)
    assert not calendar.is_working_day(D(NEXT, 1, 4))


def test_packaged_holiday_file_ships_as_a_template_with_no_dates() -> None:
    packaged = resources.files("yinsi.rights") / "data" / "holidays.yaml"
    assert packaged.is_file()
    text = packaged.read_text(encoding="utf-8")
    assert ENV_VAR in text
    assert parse_overrides(text, "holidays.yaml") == ()
    assert WorkingCalendar.default({}).overrides == {}


# ------------------------------------------------------------ bad override files

BAD_FILES = [
    ("twenty:\n  source: x\n  holidays: [2027-01-01]\n", 1, "'twenty' is not a year"),
    (
        "2027:\n  source: x\n  holidays: [2027-1-1]\n",
        3,
        "2027.holidays[0]: '2027-1-1' is not a date",
    ),
    ("2027:\n  source: x\n  holidays: [2027-02-30]\n", 3, "2027-02-30 is not a calendar date"),
    (
        "2027:\n  source: x\n  holidays: [2027-01-01, 2028-01-01]\n",
        3,
        "2027.holidays[1]: 2028-01-01 is listed under 2027; put it under `2028:`",
    ),
    (
        "2027:\n  source: x\n  holidays: [2027-02-07]\n  workdays: [2027-02-07]\n",
        4,
        "2027-02-07 is both a holiday (line 3) and a workday",
    ),
    ("2027:\n  holidays: [2027-01-01]\n", 1, "2027.source: year 2027 needs a `source`"),
    ("2027:\n  source: x\n  holiday: [2027-01-01]\n", 3, "unknown key 'holiday'"),
    ("2027:\n  source: x\n", 1, "year 2027 lists neither holidays nor workdays"),
    (
        "2027:\n  source: x\n  holidays: [2027-01-01]\n2027:\n  source: y\n",
        4,
        "year 2027 appears twice (first on line 1)",
    ),
    (
        "2027:\n  source: x\n  holidays:\n    - 2027-01-01\n    - 2027-01-01\n",
        5,
        "2027-01-01 is listed twice in `holidays` (first on line 4)",
    ),
    ("2027:\n  source: x\n  workdays: 2027-02-07\n", 3, "`workdays` is a list of dates"),
    ("- 2027-01-01\n", 1, "a holiday file is a mapping of years"),
    ("2027:\n  source: x\n  holidays: [2027-01-01\n", 4, "YAML syntax error"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FILES)
def test_bad_override_file_names_file_line_and_entry(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HolidayFileError) as caught:
        WorkingCalendar.from_files(path)
    assert f"{path}:{line}:" in str(caught.value)
    assert message in str(caught.value)


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("2027:\n  source: x\n  holidays: [2027-1-1, 2027-13-01]\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(HolidayFileError) as caught:
        WorkingCalendar.from_files(bad, missing)
    assert [(p.file, p.line) for p in caught.value.problems] == [
        (str(bad), 3),
        (str(bad), 3),
        (str(missing), 0),
    ]
    assert f"{missing}: holiday file: file not found" in str(caught.value)


def test_missing_file_named_by_the_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HolidayFileError, match=r"nowhere\.yaml: holiday file: file not found"):
        WorkingCalendar.default({ENV_VAR: str(tmp_path / "nowhere.yaml")})


# ------------------------------------------------------------ arguments


def test_datetimes_are_refused_because_the_day_depends_on_the_zone() -> None:
    now = dt.datetime(2025, 10, 9, 23, 30, tzinfo=dt.UTC)
    with pytest.raises(TypeError, match="Asia/Shanghai"):
        due_date(now, 15, CAL)
    with pytest.raises(TypeError, match="today is a datetime"):
        classify(D(2025, 10, 9), now)


def test_working_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1, got 0"):
        due_date(D(2025, 10, 9), 0, CAL)


# ------------------------------------------------------------ properties

LIBRARY_DATES = st.dates(D(LIBRARY_YEARS.start, 1, 1), D(LIBRARY_YEARS.stop - 1, 11, 30))


@given(LIBRARY_DATES, st.integers(1, 40))
def test_due_date_is_the_nth_working_day_after_start(start: dt.date, n: int) -> None:
    due = due_date(start, n, CAL)
    assert due.date > start and CAL.is_working_day(due.date)
    assert working_days_between(start, due.date, CAL) == n
    assert working_days_between(due.date, start, CAL) == -n
    assert due_date(start, n + 1, CAL).date > due.date
    assert due.provisional == (due.date.year not in LIBRARY_YEARS)


UNKNOWN = 2101
"""A year chinese_calendar will not know for a long time; the override tests fill it in."""
UNKNOWN_STARTS = st.dates(D(UNKNOWN, 1, 1), D(UNKNOWN, 10, 31))


def override(start: dt.date, offsets: set[int], kind: str) -> frozenset[dt.date]:
    days = (start + dt.timedelta(days=o) for o in offsets)
    if kind == "weekend":
        return frozenset(d for d in days if d.weekday() >= 5)
    return frozenset(days)


@given(UNKNOWN_STARTS, st.integers(1, 30), st.sets(st.integers(0, 60)))
def test_provisional_due_date_is_never_later_when_the_notice_only_adds_days_off(
    start: dt.date, n: int, offsets: set[int]
) -> None:
    provisional = due_date(start, n, CAL)
    notice = HolidayYear(UNKNOWN, "测试数据", override(start, offsets, "any"))
    real = due_date(start, n, WorkingCalendar([notice]))
    assert provisional.provisional and not real.provisional
    assert real.date >= provisional.date


@given(
    UNKNOWN_STARTS,
    st.integers(1, 30),
    st.sets(st.integers(0, 60), max_size=12),
    st.sets(st.integers(0, 60), max_size=12),
)
def test_provisional_due_date_is_late_exactly_when_make_up_weekends_outnumber_days_off(
    start: dt.date, n: int, off: set[int], on: set[int]
) -> None:
    holidays = override(start, off, "any")
    workdays = override(start, on, "weekend") - holidays
    provisional = due_date(start, n, CAL).date
    real = due_date(
        start, n, WorkingCalendar([HolidayYear(UNKNOWN, "测试数据", holidays, workdays)])
    )
    window = [start + dt.timedelta(days=i) for i in range(1, (provisional - start).days)]
    weekday_holidays = sum(d in holidays and d.weekday() < 5 for d in window)
    make_up_weekends = sum(d in workdays for d in window)
    assert (real.date < provisional) == (make_up_weekends > weekday_holidays)


def test_a_make_up_saturday_before_its_holiday_makes_the_provisional_date_late() -> None:
    # The Spring Festival 2026 pattern moved to a year nobody knows: Saturday worked,
    # then the holiday. Counting Monday-Friday misses the Saturday.
    saturday = D(UNKNOWN, 2, 12)
    assert saturday.weekday() == 5
    holiday = frozenset(saturday + dt.timedelta(days=i) for i in range(1, 10))
    notice = HolidayYear(UNKNOWN, "测试数据", holiday, frozenset({saturday}))
    start = saturday - dt.timedelta(days=1)
    assert due_date(start, 1, CAL).date == D(UNKNOWN, 2, 14)  # Monday, but a holiday
    assert due_date(start, 1, WorkingCalendar([notice])).date == saturday


# ------------------------------------------------------------ overdue and due soon


@dataclass(frozen=True)
class Request:
    id: str
    due: dt.date | DueDate


def test_classify_overdue_due_today_and_on_time() -> None:
    today = D(2025, 10, 20)
    assert classify(D(2025, 10, 17), today) is DeadlineStatus.OVERDUE
    assert classify(today, today) is DeadlineStatus.DUE_SOON
    assert classify(D(2025, 10, 23), today) is DeadlineStatus.DUE_SOON
    assert classify(D(2025, 10, 24), today) is DeadlineStatus.ON_TIME
    assert classify(D(2025, 10, 24), today, due_soon_days=4) is DeadlineStatus.DUE_SOON
    assert classify(due_date(D(2025, 9, 26), 15, CAL), today) is DeadlineStatus.DUE_SOON


def test_due_soon_counts_working_days_with_a_calendar() -> None:
    # On Sep 30 a request due Oct 9 is 9 calendar days away but 1 working day.
    today, due = D(2025, 9, 30), D(2025, 10, 9)
    assert classify(due, today) is DeadlineStatus.ON_TIME
    assert classify(due, today, calendar=CAL) is DeadlineStatus.DUE_SOON
    with pytest.raises(ValueError, match="must not be negative"):
        classify(due, today, due_soon_days=-1)


def test_triage_lists_overdue_and_due_soon_earliest_first() -> None:
    items = [
        Request("later", D(2025, 11, 3)),
        Request("soon", due_date(D(2025, 10, 17), 1, CAL)),  # Oct 20
        Request("late", D(2025, 10, 17)),
        Request("very-late", D(2025, 10, 9)),
        Request("tomorrow", D(2025, 10, 21)),
    ]
    result = triage(items, D(2025, 10, 20))
    assert [r.id for r in result.overdue] == ["very-late", "late"]
    assert [r.id for r in result.due_soon] == ["soon", "tomorrow"]
    assert [r.id for r in result.on_time] == ["later"]
    assert [r.id for r in sort_by_due(items)][:2] == ["very-late", "late"]


def test_triage_with_a_key_function() -> None:
    rows = [{"id": "a", "due": "2025-10-30"}, {"id": "b", "due": "2025-10-01"}]
    result = triage(
        rows, D(2025, 10, 20), key=lambda row: D.fromisoformat(row["due"]), calendar=CAL
    )
    assert [r["id"] for r in result.overdue] == ["b"]
    assert [r["id"] for r in result.on_time] == ["a"]
    ordered = sort_by_due(rows, key=lambda row: D.fromisoformat(row["due"]))
    assert [r["id"] for r in ordered] == ["b", "a"]


def test_items_without_a_due_date_need_a_key() -> None:
    with pytest.raises(TypeError, match=r"has no `due` date; .* pass key="):
        sort_by_due([object()])
