"""A request received on another channel and entered later keeps its true receipt time
(issue 17, point 5): the deadline of a right counted from receipt starts on that day, a
future or naive time is refused with what to give instead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from yinsi.declaration.loader import load
from yinsi.rights.answers import due_of
from yinsi.rights.calendar import WorkingCalendar
from yinsi.rights.requests import (
    InvalidRequest,
    Requester,
    RightsRequest,
    Status,
    check_received_at,
)
from yinsi.taxonomy import RightKind
from yinsi.taxonomy.timezone import CHINA

ROOT = Path(__file__).resolve().parent.parent
WOLAI = ROOT / "examples" / "declarations" / "wolai-shuke.yaml"
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def request(received_at: datetime) -> RightsRequest:
    return RightsRequest(
        id="req_1",
        app_id="wolai_shuke",
        subject_id="u1",
        kind=RightKind.CANCEL_ACCOUNT,
        status=Status.RECEIVED,
        received_at=received_at,
        requester=Requester(),
        channel="letter",
    )


def test_x35_a_deadline_counted_from_receipt_starts_on_the_stated_receipt_day() -> None:
    declaration = load(WOLAI)
    calendar = WorkingCalendar.default()
    letter = check_received_at(datetime(2026, 11, 20, 9, 30, tzinfo=CHINA), NOW)
    entered_today = due_of(request(NOW), declaration, calendar)
    stated = due_of(request(letter), declaration, calendar)
    assert stated is not None and entered_today is not None
    assert stated.counted_from == date(2026, 11, 20)
    assert stated.date < entered_today.date  # less time is left: the letter came earlier


def test_x35_a_receipt_time_must_be_aware_and_not_in_the_future() -> None:
    with pytest.raises(InvalidRequest, match="no time zone"):
        check_received_at(datetime(2026, 11, 20, 9, 30), NOW)
    with pytest.raises(InvalidRequest, match="in the future"):
        check_received_at(NOW + timedelta(hours=1), NOW)
    skewed = check_received_at(NOW + timedelta(minutes=2), NOW)  # another system's clock
    assert skewed == NOW
    assert check_received_at(datetime(2026, 11, 20, 9, 30, tzinfo=CHINA), NOW).tzinfo == UTC
