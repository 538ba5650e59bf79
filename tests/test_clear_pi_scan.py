"""The audit log's clear-PI safety net: the fast scan finds what the path walk finds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yinsi.security.clear_pi import clear_pi, first_clear_pi, strings

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
