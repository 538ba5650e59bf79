"""The age gate: GB 11643-1999 ID numbers, ages counted as 周岁, registration of minors (X04)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.consent import (
    InvalidIdNumber,
    Reason,
    age_on,
    check_registration,
    is_minor,
    is_under_14,
    parse_id_number,
)
from yinsi.consent.age import check_character, mask

# The two examples printed in GB 11643-1999 itself.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


def id_for(birth: date, region: str = "110105", sequence: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_standard_examples_are_valid(number: str) -> None:
    parsed = parse_id_number(number)
    assert parsed.number == number
    assert parsed.region == number[:6]


def test_parse_reads_birth_sex_and_accepts_lower_case_x() -> None:
    parsed = parse_id_number(" 11010519491231002x ")
    assert parsed.birth == date(1949, 12, 31)
    assert not parsed.is_male  # sequence 002: even


def test_repr_and_str_never_show_the_full_number() -> None:
    parsed = parse_id_number(STANDARD_EXAMPLES[0])
    assert repr(parsed) == "IdNumber('110105********002X')"
    assert str(parsed) == "110105********002X"
    assert STANDARD_EXAMPLES[0] not in f"{parsed} {parsed!r}"


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100211", "length"),
        ("1101051949123100A2", "characters"),
        ("X1010519491231002X", "characters"),
        ("990105194912310021", "region"),
        ("110105194902300021", "birth_date"),
        ("110105194913310021", "birth_date"),
        ("110105194912310021", "check_digit"),
        ("110105194912310022", "check_digit"),
    ],
)
def test_invalid_numbers_say_why_and_are_masked(number: str, problem: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(number)
    assert caught.value.problem == problem
    message = str(caught.value)
    assert number not in message
    assert number[6:14] not in message  # the birth date never leaks either
    assert caught.value.masked in message


def test_masked_error_text() -> None:
    with pytest.raises(InvalidIdNumber, match=r"^ID number 110105\*{8}0021: the check digit"):
        parse_id_number("110105194912310021")


def test_short_input_is_masked_whole() -> None:
    assert mask("1101051949") == "*" * 10
    with pytest.raises(InvalidIdNumber, match=r"ID number \*{10}: has 10 characters"):
        parse_id_number("1101051949")


def test_a_birth_date_after_today_is_refused() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(id_for(date(2030, 1, 1)), today=date(2024, 1, 1))
    assert caught.value.problem == "birth_date"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_any_altered_digit_fails_the_checksum(birth: date) -> None:
    number = id_for(birth)
    assert parse_id_number(number).birth == birth
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(InvalidIdNumber):
        parse_id_number(number[:-1] + wrong)


def test_an_age_is_reached_the_day_after_the_birthday() -> None:
    number = id_for(date(2006, 5, 20))
    assert age_on(number, date(2024, 5, 19)) == 17
    assert age_on(number, date(2024, 5, 20)) == 17  # 法释〔2006〕1号 第二条
    assert age_on(number, date(2024, 5, 21)) == 18


def test_leap_day_birthday() -> None:
    number = id_for(date(2004, 2, 29))
    assert age_on(number, date(2022, 2, 28)) == 17
    assert age_on(number, date(2022, 3, 1)) == 18


def test_age_before_birth_is_an_error_without_the_number() -> None:
    number = id_for(date(2006, 5, 20))
    with pytest.raises(ValueError) as caught:
        age_on(number, date(2000, 1, 1))
    assert number not in str(caught.value)


def test_x04_minor_registration_refused() -> None:
    today = date(2024, 6, 1)
    minor = id_for(date(2006, 6, 1))  # 18th birthday today: still 17 (周岁 from tomorrow)
    adult = id_for(date(2006, 5, 31))
    assert check_registration(minor, today) is Reason.MINOR
    assert check_registration(minor, today, minimum_age=18) == "minor"
    assert check_registration(adult, today) is None
    assert check_registration(parse_id_number(adult), today, minimum_age=18) is None
    assert is_minor(minor, today) and not is_minor(adult, today)
    with pytest.raises(InvalidIdNumber):
        check_registration(minor[:-1] + ("0" if minor[-1] != "0" else "1"), today)


def test_x04_under_14_is_sensitive_by_age() -> None:
    today = date(2024, 6, 1)
    assert is_under_14(id_for(date(2010, 6, 2)), today)
    assert not is_under_14(id_for(date(2010, 5, 31)), today)
    # The engine side of X04 (every element sensitive) is in test_consent_engine.py.
