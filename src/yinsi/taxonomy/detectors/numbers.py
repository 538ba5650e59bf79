"""Digit-only PI: ID numbers, bank cards, USCC, IMEI, mobile and landline numbers.

One pass over the runs of 15 to 19 digits (or 17 + ``X``) decides between an ID number
(GB 11643: region, birth date, check character), a bank card (Luhn and a Chinese BIN),
an IMEI (Luhn) and, for 15 digits, a first-generation ID number; a second pass finds
the 18-character USCC (GB 32100), a third the phone numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from yinsi.taxonomy.detectors.context import (
    CLOSE,
    OPEN,
    Hit,
    cue,
    has_cue,
    looks_like_other_number,
    narrow,
)
from yinsi.taxonomy.detectors.resources import bank_bins, mobile_segments
from yinsi.taxonomy.formats import InvalidValue, luhn_valid, read_id_number
from yinsi.taxonomy.regions import DIVISIONS

_DIGIT_RUN = re.compile(
    OPEN
    + r"(?:\d{6}(?P<sep>[ -])\d{8}(?P=sep)\d{3}[0-9Xx]"  # an ID number as written: 6-8-4
    + r"|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?|\d{6}[ -]\d{13}|\d{17}[Xx]|\d{15,19})"
    + CLOSE
)
_ID_CUE = cue(r"身份证|证件|公民身份|ID\s*(?:card|no)|sfz")
_CARD_CUE = cue(r"卡号|银行卡|借记卡|信用卡|储蓄卡|card")
_IMEI_CUE = cue(r"IMEI|MEID|串号|设备号|设备识别码")
_IMEI_TACS = frozenset(
    {"01", "10", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54", "86", "91", "99"}
)


def id15_valid(digits: str) -> bool:
    """A first-generation (15-digit) ID number: province code and a 19YYMMDD birth date."""
    if digits[:2] not in DIVISIONS:
        return False
    try:
        date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    except ValueError:
        return False
    return True


def id18_valid(text: str) -> bool:
    """An 18-character ID number that passes every GB 11643 check, born 1900 or later."""
    try:
        number = read_id_number(text, today=date.today())
    except InvalidValue:
        return False
    return number.birth.year >= 1900


# Debit cards issued before UnionPay's 62 prefix and still in use, 19 digits: ICBC's 9558
# (牡丹灵通卡) and ABC's 95599 (金穗借记卡).
_LEGACY_BINS = ("9558", "95599")


def bin_known(digits: str) -> bool:
    prefixes = bank_bins()
    return any(digits[:n] in prefixes for n in range(1, 7)) or digits.startswith(_LEGACY_BINS)


def card_valid(digits: str) -> bool:
    """16 to 19 digits, a Chinese BIN and the Luhn check."""
    return 16 <= len(digits) <= 19 and bin_known(digits) and luhn_valid(digits)


def _digit_run(text: str, m: re.Match[str]) -> Hit | None:
    raw = m.group()
    digits = raw.replace(" ", "").replace("-", "")
    start, end = m.span()
    named = any(has_cue(text, start, c, 8) for c in (_ID_CUE, _CARD_CUE, _IMEI_CUE))
    if not named and looks_like_other_number(text, start, end):
        return None
    grouped = len(digits) != len(raw)
    if len(digits) == 18 and (not grouped or m.group("sep")) and id18_valid(digits):
        if has_cue(text, start, _CARD_CUE) and card_valid(digits):
            return ("bank_card", start, end, 0.9)
        return ("id_number", start, end, 0.99)
    if not digits.isdigit():
        return None
    if len(digits) == 15 and not grouped:
        imei = luhn_valid(digits) and (digits[:2] in _IMEI_TACS or has_cue(text, start, _IMEI_CUE))
        if imei and not has_cue(text, start, _ID_CUE):
            return ("imei", start, end, 0.95 if has_cue(text, start, _IMEI_CUE) else 0.8)
        if id15_valid(digits):
            return ("id_number", start, end, 0.95 if has_cue(text, start, _ID_CUE) else 0.75)
        return None
    if card_valid(digits):
        return ("bank_card", start, end, 0.97 if digits.startswith("62") else 0.9)
    return None


def digit_runs(text: str) -> Iterator[Hit]:
    text = narrow(text)
    for m in _DIGIT_RUN.finditer(text):
        hit = _digit_run(text, m)
        if hit is not None:
            yield hit


# --- USCC, GB 32100-2015 ---------------------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(OPEN + r"[1-9ANY][1-59][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}" + CLOSE)


def uscc_valid(code: str) -> bool:
    """The GB 32100-2015 check character (MOD 31) and a province-level region code."""
    if len(code) != 18 or any(c not in _USCC_VALUE for c in code) or code[2:4] not in DIVISIONS:
        return False
    total = sum(_USCC_VALUE[c] * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def uscc(text: str) -> Iterator[Hit]:
    text = narrow(text)
    for m in _USCC.finditer(text):
        if uscc_valid(m.group()) and not looks_like_other_number(text, m.start(), m.end()):
            yield ("uscc", m.start(), m.end(), 0.97)


# --- phone numbers ---------------------------------------------------------------------

# A mobile number: 3-4-4 with spaces or dashes (or dots, both places), after +86, 0086,
# (+86) or a bare 86 (an SMS gateway's ``to=8613812345678``).
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?<![0-9]\.)"
    r"(?:(?P<code>(?:\+|00)86[ -]?|\(\+?86\)[ -]?)|(?P<bare>86[ -]?))?"
    r"1[3-9][0-9](?:(?:[ -]?[0-9]{4}){2}|\.[0-9]{4}\.[0-9]{4})" + CLOSE
)
_AREA = r"(?:[(（]0[0-9]{2,3}[)）]|0[0-9]{2,3})[ -]?"
# Area code and local number, the local number whole (``0731-84822319``) or split 3-4 or
# 4-4 (``(021)6432 1188``, ``0731 8482 2319``): not inside a longer run of digit groups.
_LANDLINE = re.compile(
    OPEN + rf"(?:{_AREA}[2-9][0-9]{{6,7}}"
    rf"|(?<![0-9][ -]){_AREA}[2-9][0-9]{{2,3}}[ -][0-9]{{4}}(?! [0-9]))"
    r"(?P<ext>\s?(?:转|分机|-|ext\.?|x|#)\s?[0-9]{1,5})?" + CLOSE,
    re.IGNORECASE,
)


def mobile_valid(number: str) -> bool:
    """An 11-digit number in an allocated segment (prefix and separators removed)."""
    segments = mobile_segments()
    return len(number) == 11 and (number[:3] in segments or number[:4] in segments)


def mobiles(text: str) -> Iterator[Hit]:
    text = narrow(text)
    for m in _MOBILE.finditer(text):
        digits = re.sub(r"[^0-9]", "", m.group())
        national = digits[-11:]
        if mobile_valid(national) and not looks_like_other_number(text, m.start(), m.end()):
            confidence = 0.9 if m.group("bare") else 0.99 if m.group("code") else 0.97
            yield ("mobile", m.start(), m.end(), confidence)


def landline_valid(number: str) -> bool:
    """Area code + local number: 010/02x + 8 digits, or 0[3-9]xx + 7 or 8 digits."""
    if number[:3] == "010" or number[:2] == "02":
        return len(number) == 11 and number[3] in "23456789"
    return number[1] in "3456789" and len(number) in (11, 12) and number[4] in "23456789"


def landlines(text: str) -> Iterator[Hit]:
    text = narrow(text)
    for m in _LANDLINE.finditer(text):
        main = text[m.start() : m.start("ext")] if m.group("ext") else m.group()
        if landline_valid(re.sub(r"[^0-9]", "", main)) and not looks_like_other_number(
            text, m.start(), m.end()
        ):
            yield ("landline", m.start(), m.end(), 0.9)
