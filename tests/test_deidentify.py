"""Erasure and de-identification strategies: every one idempotent, so a re-run is safe."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.lifecycle.deidentify import (
    ANONYMISED,
    DeidentificationError,
    DeidentificationProfile,
    KeyRequired,
    NotApplicable,
    Strategy,
    UnprofiledElement,
    apply,
    apply_profile,
    is_erased,
)
from yinsi.taxonomy.formats import Format, check_character
from yinsi.taxonomy.regions import PROVINCES

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
TOKEN = re.compile(r"h1:[0-9a-f]{32}")
VALUE_STRATEGIES = [s for s in Strategy if s is not Strategy.DELETE]
CHINA = timezone(timedelta(hours=8))


def twice(strategy: Strategy, value: object, element: str | None = None) -> None:
    """The idempotence law, and is_erased agreeing with the result."""
    once = apply(strategy, value, element=element, key=KEY)
    again = apply(strategy, once, element=element, key=KEY)
    assert again == once and type(again) is type(once)
    assert is_erased(strategy, once, element=element)


# --- examples -------------------------------------------------------------------------


def test_null() -> None:
    assert apply(Strategy.NULL, "13800138000") is None
    assert apply("null", 42) is None


def test_mask_uses_the_element_format() -> None:
    assert apply(Strategy.MASK, "13800138000", element="mobile_number") == "138****8000"
    assert apply(Strategy.MASK, "张三", element="name") == "张*"
    assert apply(Strategy.MASK, "11010519491231002X", element="id_number") == ("110105********002X")
    assert apply(Strategy.MASK, "我想注销账号") == "我****号"  # no element: text


def test_keyed_hash_is_a_stable_token() -> None:
    token = apply(Strategy.KEYED_HASH, "13800138000", element="mobile_number", key=KEY)
    assert isinstance(token, str) and TOKEN.fullmatch(token)
    assert apply(Strategy.KEYED_HASH, token, element="mobile_number", key=KEY) == token
    assert apply(Strategy.KEYED_HASH, "13800138000", element="mobile_number", key=KEY) == token
    assert apply(Strategy.KEYED_HASH, "13800138000", key=OTHER_KEY) != token


def test_keyed_hash_normalises_by_element_first() -> None:
    plain = apply(Strategy.KEYED_HASH, "13800138000", element="mobile_number", key=KEY)
    typed = apply(Strategy.KEYED_HASH, "+86 138-0013-8000", element="mobile_number", key=KEY)
    assert typed == plain
    lower = apply(Strategy.KEYED_HASH, "11010519491231002x", element="id_number", key=KEY)
    upper = apply(Strategy.KEYED_HASH, "11010519491231002X", element="id_number", key=KEY)
    assert lower == upper


@pytest.mark.parametrize("key", [None, b"", b"short", "a text key of 32 characters....."])
def test_keyed_hash_needs_a_key_of_16_bytes(key: Any) -> None:
    with pytest.raises(KeyRequired, match="at least 16 bytes"):
        apply(Strategy.KEYED_HASH, "13800138000", key=key)
    with pytest.raises(KeyRequired):
        apply(Strategy.KEYED_HASH, None, key=key)


def test_generalise_examples() -> None:
    assert apply(Strategy.GENERALISE, date(1990, 5, 17)) == date(1990, 1, 1)
    assert apply(Strategy.GENERALISE, "1990-05-17", element="birth_date") == "1990"
    assert apply(Strategy.GENERALISE, "1990-05-17") == "1990"
    assert apply(Strategy.GENERALISE, 35) == "30-39"
    assert apply(Strategy.GENERALISE, 5) == "0-9"
    assert apply(Strategy.GENERALISE, 149) == "140-149"
    assert apply(Strategy.GENERALISE, "广东省深圳市南山区科技园", element="address") == "广东省"
    assert apply(Strategy.GENERALISE, "广西南宁市青秀区", element="delivery_address") == (
        "广西壮族自治区"
    )
    assert apply(Strategy.GENERALISE, "北京市朝阳区建国路88号") == "北京市"
    moment = datetime(2024, 5, 17, 14, 30, 5, 123, tzinfo=CHINA)
    assert apply(Strategy.GENERALISE, moment) == datetime(2024, 5, 17, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("value", "element"),
    [
        (True, None),  # a bool is no age
        (150, None),
        (-1, None),
        (Decimal("8000.50"), "monthly_income"),
        (1.5, None),
        ("深圳市南山区", "address"),  # no province written
        ("张三", "name"),
        ("13800138000", "mobile_number"),
        ("hello", None),
        ("广东省深圳市", "birth_date"),  # a date element holding an address
        ("1990-05-17", "address"),  # an address element holding a date
    ],
)
def test_generalise_refuses_what_it_cannot_coarsen(value: object, element: str | None) -> None:
    with pytest.raises(NotApplicable, match="use ") as caught:
        apply(Strategy.GENERALISE, value, element=element)
    assert caught.value.strategy is Strategy.GENERALISE
    assert not is_erased(Strategy.GENERALISE, value, element=element)


def test_anonymise() -> None:
    assert apply(Strategy.ANONYMISE, "张三") == ANONYMISED == "已匿名"
    assert apply(Strategy.ANONYMISE, 35) is None
    assert apply(Strategy.ANONYMISE, date(1990, 5, 17)) is None


def test_delete_is_row_level() -> None:
    with pytest.raises(NotApplicable, match="removes the whole row"):
        apply(Strategy.DELETE, "13800138000")
    assert not is_erased(Strategy.DELETE, "13800138000")
    assert not is_erased(Strategy.DELETE, None)


@pytest.mark.parametrize("strategy", VALUE_STRATEGIES)
def test_none_stays_none(strategy: Strategy) -> None:
    assert apply(strategy, None, key=KEY) is None
    assert is_erased(strategy, None)


@pytest.mark.parametrize(
    ("strategy", "value", "element"),
    [
        (Strategy.MASK, 13800138000, "mobile_number"),
        (Strategy.MASK, b"bytes", None),
        (Strategy.KEYED_HASH, 13800138000, "mobile_number"),
    ],
)
def test_a_strategy_that_does_not_fit_the_type_says_what_to_use(
    strategy: Strategy, value: object, element: str | None
) -> None:
    with pytest.raises(NotApplicable, match=r"use null or generalise") as caught:
        apply(strategy, value, element=element, key=KEY)
    assert isinstance(caught.value, DeidentificationError)
    assert isinstance(caught.value, ValueError)


def test_is_erased_tells_raw_from_erased() -> None:
    assert not is_erased(Strategy.NULL, "x")
    assert not is_erased(Strategy.MASK, "13800138000", element="mobile_number")
    assert is_erased(Strategy.MASK, "138****8000", element="mobile_number")
    assert not is_erased(Strategy.KEYED_HASH, "13800138000")
    assert not is_erased(Strategy.KEYED_HASH, 42)
    assert not is_erased(Strategy.GENERALISE, date(1990, 5, 17))
    assert is_erased(Strategy.GENERALISE, date(1990, 1, 1))
    assert not is_erased(Strategy.GENERALISE, datetime(1990, 1, 1, 12))
    assert not is_erased(Strategy.ANONYMISE, "张三")
    assert not is_erased(Strategy.ANONYMISE, 35)


# --- idempotence, strategy by strategy (issue 5 item 7: a re-run after a crash) -------

any_value = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False),
    st.booleans(),
)
elements = st.sampled_from(
    [None, "mobile_number", "id_number", "bank_card", "name", "email", "birth_date", "address"]
)


@given(any_value)
def test_null_is_idempotent(value: object) -> None:
    twice(Strategy.NULL, value)


@given(st.text(), elements)
def test_mask_is_idempotent(value: str, element: str | None) -> None:
    twice(Strategy.MASK, value, element)


@given(st.text(), elements)
def test_keyed_hash_is_idempotent(value: str, element: str | None) -> None:
    twice(Strategy.KEYED_HASH, value, element)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 1, 1)))
    first17 = draw(st.sampled_from(sorted(PROVINCES))) + f"0105{birth:%Y%m%d}123"
    return first17 + check_character(first17)


@given(id_numbers())
def test_keyed_hash_gives_one_token_per_id_number(number: str) -> None:
    token = apply(Strategy.KEYED_HASH, number, element="id_number", key=KEY)
    assert apply(Strategy.KEYED_HASH, number.lower(), element="id_number", key=KEY) == token
    assert apply(Strategy.KEYED_HASH, f" {number} ", element="id_number", key=KEY) == token


province_names = st.sampled_from(
    [p.name for p in PROVINCES.values()] + [p.short for p in PROVINCES.values()]
)
generalisable = st.one_of(
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.just(CHINA)),
    st.integers(0, 149),
    st.dates().map(date.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.builds(lambda p, rest: p + rest, province_names, st.text(max_size=20)),
)


@given(generalisable)
def test_generalise_is_idempotent(value: object) -> None:
    twice(Strategy.GENERALISE, value)


@given(st.dates().map(date.isoformat))
def test_generalise_a_birth_date_element_to_its_year(value: str) -> None:
    assert apply(Strategy.GENERALISE, value, element="birth_date") == value[:4]
    twice(Strategy.GENERALISE, value, "birth_date")


@given(st.builds(lambda p, rest: p + rest, province_names, st.text(max_size=20)))
def test_generalise_an_address_element_to_its_province(value: str) -> None:
    result = apply(Strategy.GENERALISE, value, element="address")
    assert result in {p.name for p in PROVINCES.values()}
    twice(Strategy.GENERALISE, value, "address")


@given(st.one_of(any_value, elements.filter(bool)))
def test_generalise_is_idempotent_wherever_it_applies(value: object) -> None:
    try:
        apply(Strategy.GENERALISE, value)
    except NotApplicable:
        return
    twice(Strategy.GENERALISE, value)


@given(any_value)
def test_anonymise_is_idempotent(value: object) -> None:
    twice(Strategy.ANONYMISE, value)
    assert apply(Strategy.ANONYMISE, value) in (None, ANONYMISED)


# --- profiles -------------------------------------------------------------------------

COLLECTION_AGENCY = DeidentificationProfile(
    name="collection_agency",
    strategies={
        "id_number": Strategy.MASK,
        "mobile_number": Strategy.KEYED_HASH,
        "birth_date": Strategy.GENERALISE,
        "address": Strategy.GENERALISE,
        "face": Strategy.DELETE,
        "email": Strategy.NULL,
    },
    keep=frozenset({"name", "loan_records"}),
)
RECORD: dict[str, object] = {
    "name": "张三",
    "id_number": "11010519491231002X",
    "mobile_number": "13800138000",
    "birth_date": date(1990, 5, 17),
    "address": "广东省深圳市南山区科技园路1号",
    "face": b"\x89PNG",
    "email": "zhangsan@example.com",
    "loan_records": "借据 LN-2024-001",
}


def test_a_profile_deidentifies_a_record_for_a_recipient() -> None:
    out = apply_profile(COLLECTION_AGENCY, RECORD, key=KEY)
    assert out == {
        "name": "张三",
        "id_number": "110105********002X",
        "mobile_number": apply(Strategy.KEYED_HASH, "13800138000", key=KEY),
        "birth_date": date(1990, 1, 1),
        "address": "广东省",
        "email": None,
        "loan_records": "借据 LN-2024-001",
    }
    assert "face" not in out  # delete drops the field
    assert apply_profile(COLLECTION_AGENCY, out, key=KEY) == out  # idempotent
    assert COLLECTION_AGENCY.needs_key


def test_a_profile_refuses_fields_it_does_not_cover() -> None:
    record = {**RECORD, "bank_card": "6222021234567891234", "contacts": "李四"}
    with pytest.raises(UnprofiledElement, match=r"'bank_card', 'contacts'; add each") as caught:
        apply_profile(COLLECTION_AGENCY, record, key=KEY)
    assert caught.value.elements == ("bank_card", "contacts")


def test_a_profile_that_hashes_needs_the_key_before_anything() -> None:
    with pytest.raises(KeyRequired):
        apply_profile(COLLECTION_AGENCY, RECORD)
    plain = DeidentificationProfile("plain", {"email": Strategy.NULL})
    assert not plain.needs_key
    assert apply_profile(plain, {"email": "a@b.cn"}) == {"email": None}


def test_a_profile_cannot_both_keep_and_deidentify() -> None:
    with pytest.raises(ValueError, match="both keeps and de-identifies name"):
        DeidentificationProfile("bad", {"name": Strategy.MASK}, keep=frozenset({"name"}))
    ids: dict[str, Any] = {"name": "scramble"}
    with pytest.raises(ValueError, match="not a valid Strategy"):
        DeidentificationProfile("bad", ids)


def test_profile_strategies_are_read_only_and_may_be_given_as_ids() -> None:
    ids: dict[str, Any] = {"email": "null"}
    profile = DeidentificationProfile("ids", ids)
    assert profile.strategies["email"] is Strategy.NULL
    writable: Any = profile.strategies
    with pytest.raises(TypeError):
        writable["email"] = Strategy.MASK


@given(
    st.fixed_dictionaries(
        {
            "id_number": st.text(),
            "mobile_number": st.text() | st.none(),
            "birth_date": st.dates() | st.none(),
            "address": st.builds(lambda p, r: p + r, province_names, st.text(max_size=10)),
            "email": st.text(),
            "name": st.text(),
        }
    )
)
def test_applying_a_profile_is_idempotent(record: dict[str, object]) -> None:
    once = apply_profile(COLLECTION_AGENCY, record, key=KEY)
    assert apply_profile(COLLECTION_AGENCY, once, key=KEY) == once


def test_strategy_ids_are_stable() -> None:
    assert [s.value for s in Strategy] == [
        "delete",
        "null",
        "mask",
        "keyed_hash",
        "generalise",
        "anonymise",
    ]
    assert Format.TEXT  # masking without an element falls back to text
