"""The audit log's clear-PI safety net: the fast scan finds what the path walk finds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.security import AuditRecordRejected, chain
from yinsi.security.clear_pi import clear_pi, first_clear_pi, may_hold_clear_pi, strings

PI = st.sampled_from(
    ["13812345678", "+86 13912345678", "11010119900307663X", "zhang.san@example.com"]
)
TEXT = st.one_of(PI, st.text(max_size=12), st.sampled_from(["bank_card", "u_3f9a8c7d", "v1.3"]))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _slow(value: object) -> tuple[str, str] | None:
    for path, text in strings(value, "entry"):
        kind = clear_pi(text)
        if kind is not None:
            return path, kind
    return None


@given(JSON)
def test_the_fast_scan_names_the_same_first_value_as_the_path_walk(value: object) -> None:
    assert first_clear_pi(value, "entry") == _slow(value)


def test_a_phone_number_in_a_list_is_named_by_its_path() -> None:
    details = {"elements": ["name", "id_number"], "notes": ["ok", "13812345678"]}
    assert first_clear_pi({"details": details}, "entry") == (
        "entry.details.notes[1]",
        "a mobile phone number",
    )
    assert first_clear_pi({"details": {"elements": ["bank_card"], "n": 3}}, "entry") is None


DIGITS = st.text("0123456789０１２３٣ @+-X", max_size=20)
JSON_DIGITS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), TEXT, DIGITS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(TEXT, DIGITS), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(JSON_DIGITS)
def test_json_text_without_an_at_or_eleven_digits_holds_no_clear_pi(value: object) -> None:
    """The audit chain skips the walk when the entry's JSON text cannot hold clear PI: that
    pre-check never hides a value the walk would find (Unicode digits, keys included)."""
    text = json.dumps(value, sort_keys=False, separators=(",", ":"), ensure_ascii=False)
    if first_clear_pi(value, "entry") is not None:
        assert may_hold_clear_pi(text)


def test_a_mobile_number_inside_details_is_still_refused_after_the_pre_check() -> None:
    for details in ({"note": "13812345678"}, {"to": ["a", "zhang.san@example.com"]}):
        with pytest.raises(AuditRecordRejected, match="in clear"):
            chain(
                None, at=datetime.now(UTC), actor="cli", action="x.y", app_id="a", details=details
            )
    assert may_hold_clear_pi('{"provision_id":12345678901}')  # a number: a closer look
    assert not may_hold_clear_pi('{"n":"u_1234567890","elements":["bank_card"]}')
