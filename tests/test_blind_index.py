"""Blind indexes: normalisation, key separation, length, rotation by recomputation."""

from __future__ import annotations

import base64
import hmac
import secrets
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.security.blind_index import INDEX_BYTES, BlindIndex, IndexKind, normalise
from yinsi.security.keys import Key, KeyPurpose, KeyRing, KeyState

B1 = secrets.token_bytes(32)
B2 = secrets.token_bytes(32)


def ring(*keys: tuple[str, bytes]) -> KeyRing:
    return KeyRing(
        [
            Key(kid, s, KeyState.ACTIVE if n == 0 else KeyState.RETIRED)
            for n, (kid, s) in enumerate(keys)
        ],
        purpose=KeyPurpose.BLIND_INDEX,
    )


@pytest.fixture
def index() -> BlindIndex:
    return BlindIndex(ring(("b1", B1)))


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "008613800138000",
        "8613800138000",
        "１３８００１３８０００",  # full-width digits from a Chinese IME
        "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
        " (138) 0013-8000 ",
    ],
)
def test_phone_written_any_way_has_one_index(index: BlindIndex, typed: str) -> None:
    assert normalise(typed, IndexKind.PHONE) == "13800138000"
    assert index.of(typed, kind=IndexKind.PHONE) == index.of("13800138000", kind=IndexKind.PHONE)


def test_86_is_kept_when_it_is_not_a_country_code() -> None:
    assert normalise("86123", IndexKind.PHONE) == "86123"
    assert normalise("8620123456789", IndexKind.PHONE) == "8620123456789"  # a landline


@pytest.mark.parametrize(
    "typed",
    ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２ｘ"],
)
def test_id_number_x_is_upper_case(index: BlindIndex, typed: str) -> None:
    assert normalise(typed, IndexKind.ID_NUMBER) == "11010519491231002X"
    assert index.of(typed, kind=IndexKind.ID_NUMBER) == index.of(
        "11010519491231002X", kind=IndexKind.ID_NUMBER
    )


@pytest.mark.parametrize(
    ("kind", "typed"), [(IndexKind.PHONE, " - "), (IndexKind.ID_NUMBER, " \t")]
)
def test_empty_value_is_refused(index: BlindIndex, kind: IndexKind, typed: str) -> None:
    with pytest.raises(ValueError, match="empty after normalisation"):
        index.of(typed, kind=kind)


def test_w17_index_is_keyed_truncated_hmac(index: BlindIndex) -> None:
    value = index.of("13800138000", kind=IndexKind.PHONE)
    kid, encoded = value.split(".")
    digest = base64.urlsafe_b64decode(encoded + "==")
    assert kid == "b1" and len(digest) == INDEX_BYTES == 16 and len(encoded) == 22
    expected = hmac.digest(B1, b"phone\x0013800138000", "sha256")[:INDEX_BYTES]
    assert digest == expected
    assert "13800138000" not in value


def test_kind_is_part_of_the_index(index: BlindIndex) -> None:
    assert index.of("110105194912310021", kind=IndexKind.PHONE) != index.of(
        "110105194912310021", kind=IndexKind.ID_NUMBER
    )


def test_a_plain_string_kind_keeps_its_meaning(index: BlindIndex) -> None:
    as_text = cast(IndexKind, "phone")  # e.g. read from a data map
    assert normalise("+86 138 0013 8000", as_text) == "13800138000"


def test_another_key_gives_another_index() -> None:
    a = BlindIndex(ring(("b1", B1))).of("13800138000", kind=IndexKind.PHONE)
    b = BlindIndex(ring(("b1", B2))).of("13800138000", kind=IndexKind.PHONE)
    assert a != b


@given(
    st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), min_size=2, max_size=50, unique=True)
)
def test_distinct_phones_get_distinct_indexes(phones: list[str]) -> None:
    index = BlindIndex(ring(("b1", B1)))
    assert len({index.of(p, kind=IndexKind.PHONE) for p in phones}) == len(phones)


def test_w17_rotation_by_recomputation() -> None:
    old = BlindIndex(ring(("b1", B1)))
    stored = old.of("13800138000", kind=IndexKind.PHONE)
    mid = BlindIndex(ring(("b1", B1)).add("b2", B2).activate("b2"))
    assert mid.active_kid == "b2" and mid.needs_recompute(stored)
    candidates = mid.candidates("+86 13800138000", kind=IndexKind.PHONE)
    assert candidates[0].startswith("b2.") and stored == candidates[1]  # found mid-rotation
    recomputed = mid.of("13800138000", kind=IndexKind.PHONE)
    assert recomputed == candidates[0] and not mid.needs_recompute(recomputed)


def test_encryption_ring_never_indexes() -> None:
    with pytest.raises(ValueError, match=r"KeySet\.blind_index"):
        BlindIndex(KeyRing([Key("k1", B1, KeyState.ACTIVE)], purpose=KeyPurpose.ENCRYPTION))
