"""Display masking for staff pages and exports (GB/T 35273-2020 §7.2; W17)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from yinsi.security.masking import (
    COMPOUND_SURNAMES,
    mask,
    mask_address,
    mask_bank_card,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)
from yinsi.taxonomy.formats import RELATIONS, Format, check_character, read_id_number
from yinsi.taxonomy.regions import PROVINCES

EXAMPLES = [
    (Format.PHONE_CN, "13812341234", "138****1234"),
    (Format.PHONE_CN, "+86 138-1234-1234", "138****1234"),
    (Format.ID_NUMBER, "11010519491231002X", "110105********002X"),
    (Format.BANK_CARD, "6222 0212 3456 7891 234", "**** **** **** 1234"),
    (Format.BANK_CARD, "4111111111111111", "**** **** **** 1111"),
    (Format.NAME_CN, "张三", "张*"),
    (Format.NAME_CN, "张三丰", "张**"),
    (Format.NAME_CN, "欧阳娜娜", "欧阳**"),
    (Format.NAME_CN, "欧阳", "欧*"),
    (Format.NAME_CN, "买买提·艾力", "买**·**"),
    (Format.EMAIL, "zhangsan@example.com", "z***@example.com"),
    (Format.EMAIL, "a@example.com", "a***@example.com"),
    (Format.ADDRESS, "北京市朝阳区建国路88号", "北京市朝阳区****"),
    (Format.ADDRESS, "广东省深圳市南山区科技园路1号", "广东省深圳市南山区****"),
    (Format.ADDRESS, "广西南宁市青秀区民族大道", "广西南宁市青秀区****"),
    (Format.ADDRESS, "内蒙古自治区呼和浩特市赛罕区大学西街", "内蒙古自治区呼和浩特市赛罕区****"),
    (Format.ADDRESS, "上海市浦东新区世纪大道100号", "上海市浦东新区****"),
    (Format.ADDRESS, "深圳市南山区科技园路1号", "深圳市南山区****"),  # no province: 6 chars
    (Format.DATE, "1990-05-17", "1990-**-**"),
    (Format.DECIMAL, "12000.50", "***"),
    (Format.INTEGER, "35", "***"),
    (Format.TEXT, "我想注销账号", "我****号"),
    (Format.TEXT, "好的", "**"),
]


@pytest.mark.parametrize(("kind", "value", "masked"), EXAMPLES)
def test_w17_display_masking_of_each_kind(kind: Format, value: str, masked: str) -> None:
    assert mask(kind, value) == masked
    assert mask(kind.value, value) == masked  # the format id works too
    assert mask(kind, masked) == masked


def test_named_helpers_match_mask() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number(" 11010519491231002X ") == "110105********002X"
    assert mask_bank_card("6222021234567891234") == "**** **** **** 1234"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_email("zhangsan@example.com") == "z***@example.com"
    assert mask_address("北京市朝阳区建国路88号") == "北京市朝阳区****"


def test_id_number_is_shown_as_the_age_gate_shows_it() -> None:
    number = "11010519491231002X"
    assert mask_id_number(number) == read_id_number(number).masked


def test_short_or_malformed_values_get_a_conservative_mask() -> None:
    assert mask_phone("12345") == "1***5"
    assert mask_id_number("1101051949") == "*" * 10
    assert mask_bank_card("1234567") == "*******"
    assert mask_name("李") == "*"
    assert mask_email("not-an-email") == "n**********l"
    assert mask_address("") == "****"
    assert mask(Format.DECIMAL, " ") == ""


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown masking kind 'phone'; use one of: phone_cn"):
        mask("phone", "13812341234")


def test_compound_surnames_are_two_characters() -> None:
    assert all(len(s) == 2 for s in COMPOUND_SURNAMES)


# --- properties -----------------------------------------------------------------------

phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    first17 = (
        draw(st.sampled_from(sorted(PROVINCES)))
        + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        + f"{draw(births):%Y%m%d}"
        + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    )
    return first17 + check_character(first17)


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
names = st.one_of(
    st.text(cjk, min_size=1, max_size=6),
    st.builds(lambda s, g: s + g, st.sampled_from(sorted(COMPOUND_SURNAMES)), st.text(cjk)),
    st.builds(lambda a, b: a + "·" + b, st.text(cjk, min_size=1), st.text(cjk, min_size=1)),
)
addresses = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from([p.name for p in PROVINCES.values()] + [p.short for p in PROVINCES.values()]),
    st.text(st.sampled_from("深圳市南山区县州盟旗自治路号1２ *"), max_size=30),
)
realistic = {
    Format.PHONE_CN: phones,
    Format.ID_NUMBER: id_numbers(),
    Format.BANK_CARD: st.from_regex(r"[0-9]{12,19}", fullmatch=True),
    Format.NAME_CN: names,
    Format.EMAIL: st.emails(),
    Format.ADDRESS: addresses,
    Format.DATE: st.dates().map(date.isoformat),
    Format.INTEGER: st.integers().map(str),
    Format.DECIMAL: st.decimals(allow_nan=False, allow_infinity=False).map(str),
    Format.TEXT: st.text(),
    Format.RELATION: st.sampled_from(sorted(RELATIONS)),
    Format.JSON: st.dictionaries(st.text(min_size=1), st.text()).map(json.dumps),
}


@given(st.sampled_from(list(Format)), st.text())
@example(Format.PHONE_CN, "86*1234567890")
@example(Format.EMAIL, "@a@b")
@example(Format.ADDRESS, " 北京市*朝阳区")
def test_masking_any_text_is_idempotent(kind: Format, value: str) -> None:
    once = mask(kind, value)
    assert mask(kind, once) == once


@given(st.data())
def test_masking_realistic_values_is_idempotent(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(list(Format)))
    value = data.draw(realistic[kind])
    once = mask(kind, value)
    assert mask(kind, once) == once
    if kind is not Format.TEXT and len(value) > 3 and "*" not in value:
        assert once != value, "a real value must not pass through unmasked"


@given(phones)
def test_a_masked_phone_keeps_its_length_and_hides_4_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == 11
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:]
    assert masked[3:7] == "****"


@given(id_numbers())
def test_a_masked_id_number_hides_the_birth_date(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[6:14] == "********"
    assert read_id_number(number).birth.isoformat().replace("-", "") not in masked


@given(names)
def test_a_masked_name_keeps_only_the_surname(name: str) -> None:
    masked = mask_name(name)
    shown = [c for c in masked if c not in "*·"]
    assert len(shown) <= 2
    assert masked.startswith(name[0]) or len(name) == 1
