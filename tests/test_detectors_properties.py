"""Properties of the detectors: a valid generated value is found with its exact span
inside random CJK text; the same value with a broken checksum is not."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from yinsi.taxonomy.detectors import detect
from yinsi.taxonomy.formats import check_character, luhn_valid

REGIONS = ("110105", "310104", "440305", "330106", "510107", "620102", "650102")
SEGMENTS = ("130", "135", "138", "139", "150", "166", "177", "186", "189", "199")
BINS = ("622202", "621700", "622848", "621661", "436742")

# Han characters and Chinese punctuation: never part of a number. Left out: the
# characters of the words that make a number an amount or an order number (元, 万, 单号…),
# tested on their own in test_detectors.py.
_NOT_PI_WORDS = frozenset("元块万亿号单水批序版券")
cjk = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(
            lambda c: c not in _NOT_PI_WORDS
        ),
        st.sampled_from("，。：；、 "),
    ),
    max_size=12,
)
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
    first = f"{draw(st.sampled_from(REGIONS))}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first + check_character(first)


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from((16, 19)))
    body = draw(st.sampled_from(BINS)) + draw(
        st.text(alphabet="0123456789", min_size=length - 7, max_size=length - 7)
    )
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    tail = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    return draw(st.sampled_from(SEGMENTS)) + tail


def _spans(text: str, kind: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in detect(text) if f.kind == kind]


@given(before=cjk, after=cjk, number=id_numbers())
def test_a_valid_id_number_is_found_with_its_exact_span(
    before: str, after: str, number: str
) -> None:
    text = before + number + after
    assert (len(before), len(before) + 18) in _spans(text, "id_number")


@given(before=cjk, after=cjk, number=id_numbers(), wrong=digits)
def test_an_id_number_with_a_wrong_check_character_is_not(
    before: str, after: str, number: str, wrong: str
) -> None:
    if wrong == number[17]:
        wrong = "X" if number[17] != "X" else "0"
    text = before + number[:17] + wrong + after
    assert _spans(text, "id_number") == []


@given(before=cjk, after=cjk, number=cards())
def test_a_valid_bank_card_is_found_with_its_exact_span(
    before: str, after: str, number: str
) -> None:
    text = before + number + after
    assert _spans(text, "bank_card") == [(len(before), len(before) + len(number))]


@given(before=cjk, after=cjk, number=cards(), shift=st.integers(1, 9))
def test_a_bank_card_failing_luhn_is_not(before: str, after: str, number: str, shift: int) -> None:
    broken = number[:-1] + str((int(number[-1]) + shift) % 10)
    assert _spans(before + broken + after, "bank_card") == []


@given(before=cjk, after=cjk, number=mobiles())
def test_a_mobile_number_is_found_with_its_exact_span(before: str, after: str, number: str) -> None:
    text = before + number + after
    assert _spans(text, "mobile") == [(len(before), len(before) + 11)]


@given(before=cjk, after=cjk, number=mobiles(), extra=digits)
def test_a_mobile_number_inside_a_longer_digit_run_is_not(
    before: str, after: str, number: str, extra: str
) -> None:
    assert _spans(before + number + extra + after, "mobile") == []
    assert _spans(before + extra + number + after, "mobile") == []
