"""Value formats of PI elements: validating a correction (PIPL Art. 46) without echoing PI."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.taxonomy import BUILTIN
from yinsi.taxonomy.formats import (
    ELEMENT_FORMATS,
    Format,
    InvalidValue,
    check_character,
    format_of,
    luhn_valid,
    mask_id_number,
    read_id_number,
    validate,
)
from yinsi.taxonomy.regions import PROVINCES, province_of

# The two examples printed in GB 11643-1999 itself.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


def id_for(birth: date, region: str = "110105", sequence: str = "123") -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + check_character(first17)


def card_for(payload: str) -> str:
    return next(payload + d for d in "0123456789" if luhn_valid(payload + d))


def problem(fmt: Format, value: str) -> str:
    with pytest.raises(InvalidValue) as caught:
        validate(fmt, value)
    return caught.value.problem


# --- phone_cn -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008619912345678", "19912345678"),
    ],
)
def test_phone_is_normalised(raw: str, normalised: str) -> None:
    assert validate(Format.PHONE_CN, raw) == normalised


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12800138000", "syntax"),  # second digit 2
        ("1380013800", "syntax"),  # 10 digits
        ("138001380001", "syntax"),  # 12 digits
        ("1380013800a", "syntax"),
        ("１３８００１３８０００", "syntax"),  # full-width digits
        ("138****8000", "masked"),  # the display copy pasted back
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_invalid_phones_say_why(raw: str, code: str) -> None:
    assert problem(Format.PHONE_CN, raw) == code


def test_invalid_value_message_is_chinese_and_masked() -> None:
    with pytest.raises(InvalidValue) as caught:
        validate(Format.PHONE_CN, "12800138000")
    error = caught.value
    assert str(error) == (
        "手机号码「1*********0」不是有效的中国大陆手机号码：应为以1开头的11位数字，第二位为3至9"
    )
    assert error.format is Format.PHONE_CN
    assert error.value_masked == "1*********0"
    assert "12800138000" not in str(error)
    assert isinstance(error, ValueError)


# --- id_number ------------------------------------------------------------------------


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_standard_id_examples_are_valid(number: str) -> None:
    assert validate(Format.ID_NUMBER, number) == number


def test_id_number_upper_cases_x_and_reads_the_birth_date() -> None:
    assert validate("id_number", " 11010519491231002x ") == "11010519491231002X"
    parsed = read_id_number("11010519491231002x")
    assert parsed.birth == date(1949, 12, 31)
    assert repr(parsed) == "IdNumber('110105********002X')"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100A2", "characters"),
        ("990105194912310021", "region"),
        ("110105194902300021", "birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_invalid_id_numbers_say_why_without_the_birth_date(number: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate(Format.ID_NUMBER, number)
    assert caught.value.problem == code
    assert number not in str(caught.value)
    assert number[6:14] not in str(caught.value)


def test_id_number_born_after_today_is_refused() -> None:
    with pytest.raises(InvalidValue, match="出生日期无效"):
        validate(Format.ID_NUMBER, id_for(date(2030, 1, 1)), today=date(2024, 1, 1))
    assert validate(Format.ID_NUMBER, id_for(date(2000, 1, 1)), today=date(2024, 1, 1))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(sorted(PROVINCES)),
    st.integers(0, 17),
    st.sampled_from("0123456789"),
)
def test_any_single_altered_id_character_is_caught(
    birth: date, province: str, position: int, digit: str
) -> None:
    number = id_for(birth, region=province + "0105")
    assert validate(Format.ID_NUMBER, number) == number
    altered = number[:position] + digit + number[position + 1 :]
    if altered != number:
        with pytest.raises(InvalidValue):
            validate(Format.ID_NUMBER, altered)


def test_id_number_mask_keeps_first_6_and_last_4() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("1101051949") == "*" * 10


# --- bank_card ------------------------------------------------------------------------


def test_bank_card_luhn_and_separators() -> None:
    card = card_for("622202123456789012")  # 19 digits
    spaced = " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    assert validate(Format.BANK_CARD, spaced) == card
    assert validate(Format.BANK_CARD, "4111-1111-1111-1111") == "4111111111111111"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("4111111111111112", "check_digit"),
        ("41111111111", "length"),  # 11 digits
        ("41111111111111111111", "length"),  # 20 digits
        ("4111 1111 1111 111a", "length"),
        ("**** **** **** 1111", "masked"),
    ],
)
def test_invalid_bank_cards(raw: str, code: str) -> None:
    assert problem(Format.BANK_CARD, raw) == code


@given(st.text(alphabet="0123456789", min_size=11, max_size=18), st.data())
def test_luhn_catches_every_single_digit_error(payload: str, data: st.DataObject) -> None:
    card = card_for(payload)
    assert validate(Format.BANK_CARD, card) == card
    position = data.draw(st.integers(0, len(card) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != card[position]))
    with pytest.raises(InvalidValue):
        validate(Format.BANK_CARD, card[:position] + digit + card[position + 1 :])


# --- email, date, name ----------------------------------------------------------------


def test_email_domain_is_lower_cased() -> None:
    assert validate(Format.EMAIL, " Zhang.San+loan@Example.COM ") == "Zhang.San+loan@example.com"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("zhangsan", "syntax"),
        ("zhangsan@", "syntax"),
        ("zhang san@example.com", "syntax"),
        ("zhangsan@example", "syntax"),
        ("z***@example.com", "masked"),
    ],
)
def test_invalid_emails(raw: str, code: str) -> None:
    assert problem(Format.EMAIL, raw) == code


def test_dates_are_iso() -> None:
    assert validate(Format.DATE, "2024-02-29") == "2024-02-29"
    assert validate(Format.DATE, "20240229") == "2024-02-29"
    assert problem(Format.DATE, "2023-02-29") == "syntax"
    assert problem(Format.DATE, "2024/02/29") == "syntax"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("张三", "张三"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("买买提·艾力", "买买提·艾力"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("John  Smith", "John Smith"),
    ],
)
def test_names(raw: str, normalised: str) -> None:
    assert validate(Format.NAME_CN, raw) == normalised


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("张", "length"),
        ("张" * 31, "length"),
        ("张3", "characters"),
        ("·张三", "characters"),
        ("张··三", "characters"),
        ("张三!", "characters"),
        ("张*", "masked"),
    ],
)
def test_invalid_names(raw: str, code: str) -> None:
    assert problem(Format.NAME_CN, raw) == code


# --- text, numbers, address -----------------------------------------------------------


def test_text_integer_decimal() -> None:
    assert validate(Format.TEXT, "  你好 ") == "你好"
    assert problem(Format.TEXT, " \n") == "empty"
    assert validate(Format.INTEGER, "+007") == "7"
    assert validate(Format.INTEGER, "-12") == "-12"
    assert problem(Format.INTEGER, "1.5") == "syntax"
    assert validate(Format.DECIMAL, "8000.50") == "8000.50"
    assert validate(Format.DECIMAL, "012") == "12"
    assert validate(Format.DECIMAL, ".5") == "0.5"
    for bad in ("NaN", "Infinity", "1e5", "8,000", "abc"):
        assert problem(Format.DECIMAL, bad) == "syntax"


def test_address() -> None:
    assert validate(Format.ADDRESS, " 北京市朝阳区  建国路88号 ") == "北京市朝阳区 建国路88号"
    assert problem(Format.ADDRESS, "北" * 201) == "too_long"
    assert validate(Format.ADDRESS, "北" * 200)
    assert problem(Format.ADDRESS, "北京市朝阳区****") == "masked"
    with pytest.raises(InvalidValue, match="共201个字，超过200个字的上限"):
        validate(Format.ADDRESS, "北" * 201)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid Format"):
        validate("phone", "13800138000")


# --- properties -----------------------------------------------------------------------


@given(
    st.sampled_from(list(Format)),
    st.text(alphabet="0123456789Xx@abc张三欧阳 ·", min_size=8, max_size=40),
)
def test_a_refused_value_is_never_echoed(fmt: Format, value: str) -> None:
    try:
        normalised = validate(fmt, value)
    except InvalidValue as error:
        assert value.strip() not in str(error)
        assert value.strip() not in error.value_masked
    else:
        assert validate(fmt, normalised) == normalised  # normalising is idempotent


# --- element formats ------------------------------------------------------------------


def test_format_of_builtin_elements() -> None:
    assert format_of("mobile_number") is Format.PHONE_CN
    assert format_of("id_number") is Format.ID_NUMBER
    assert format_of("bank_card") is Format.BANK_CARD
    assert format_of("name") is Format.NAME_CN
    assert format_of("email") is Format.EMAIL
    assert format_of("birth_date") is Format.DATE
    assert format_of("address") is Format.ADDRESS
    assert format_of("occupation") is Format.TEXT
    assert format_of("not_an_element") is Format.TEXT


def test_every_element_with_a_format_exists_in_the_catalogue() -> None:
    for element_id in BUILTIN.elements:
        format_of(element_id)
    typed = [e for e in BUILTIN.elements if format_of(e) is not Format.TEXT]
    assert len(typed) >= 10
    assert set(ELEMENT_FORMATS) <= set(BUILTIN.elements)


def test_formats_have_chinese_labels() -> None:
    assert {f.label for f in Format} >= {"手机号码", "身份证号码", "银行卡号", "姓名", "地址"}


def test_province_of() -> None:
    assert province_of("广东省深圳市南山区") == PROVINCES["44"]
    assert province_of(" 广西南宁市") == PROVINCES["45"]
    assert province_of("广西壮族自治区南宁市") == PROVINCES["45"]
    assert province_of("深圳市南山区") is None
