"""Shared pieces of the detectors: hits, boundaries and the words around a span."""

from __future__ import annotations

import re
from functools import lru_cache

Hit = tuple[str, int, int, float]
"""A raw detection: (kind, start, end, confidence)."""

# ASCII letters and digits only: a CJK character or punctuation ends a value, so
# ``手机13812345678，`` matches while a run inside a longer run does not.
OPEN = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
CLOSE = r"(?![0-9A-Za-z])(?!\.[0-9])"

# Words that make a number something other than PI: an order, serial or ticket number,
# when one ends at most 6 characters before it. ``No`` ends a key (``orderNo``,
# ``contract_no``, ``No.``); the key's word before it decides (:func:`_names_pi`).
_NOT_PI = re.compile(
    r"(?:订单|单号|流水|交易号|编号|工单|运单|批次|票号|券码|序号|版本|order|txn"
    r"|(?P<no>no)(?![a-z])\.?)(?=[^\n]{0,6}$)",
    re.IGNORECASE,
)
# Words that name PI: one closer to the value than a word of _NOT_PI wins (``序号3
# 手机138…``, ``订单联系电话``). Not 号码: 订单号码 is an order's number.
_OWN_CUE = re.compile(
    r"手机|电话|座机|联系方式|身份证|证件|卡号|银行卡|账号|帐号|mobile|phone|tel|msisdn"
    r"|cert|id[ _-]?(?:card|no)|account|acct|card|imei|meid|passport|sfz|sjh|yhk",
    re.IGNORECASE,
)
# The last word of a key that names PI whatever follows it (mobileNo, certNo, bank_card_no,
# acctNo, ID No.; not orderNo, contractNo, loanNo, serialNo, traceNo): ending with one of
# _PI_KEY (bankcard, mobilephone), or one of _PI_WORDS (tel, not hotel).
_PI_KEY = re.compile(
    r"(?:mobile|phone|msisdn|cert|certificate|card|account|acct|imei|meid|passport"
    r"|licen[cs]e)$"
)
_PI_WORDS = frozenset({"id", "tel", "cell", "sfz", "sfzh", "sjh", "yhk", "yhkh"})
_KEY_BEFORE = re.compile(r"([A-Za-z_-]{1,40}) ?$")
_CURRENCY_BEFORE = re.compile(r"[¥￥$]\s*$")
_UNIT_AFTER = re.compile(r"\s*(?:元|块|万|亿|%|‰|美元|rmb|RMB|CNY)")

# Full-width digits, Latin letters and ``＋－．＠＿`` (typed with a Chinese input method):
# read as their ASCII forms, one character for one, so every offset stays the same.
_WIDE = re.compile("[０-９Ａ-Ｚａ-ｚ＋－．＠＿]+")
_WIDE_TO_ASCII = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_ASCII_LOWER = {c: c + 32 for c in range(0x41, 0x5B)}


@lru_cache(maxsize=2)
def narrow(text: str) -> str:
    """``text`` with full-width digits, letters and ``＋－．＠＿`` as ASCII: the same length,
    so a span in it is the span in ``text`` (``１３８…`` is found where it is written)."""
    if _WIDE.search(text) is None:
        return text
    return _WIDE.sub(lambda m: m.group().translate(_WIDE_TO_ASCII), text)


@lru_cache(maxsize=2)
def lowered(text: str) -> str:
    """``text`` in lower case, the same length (ASCII letters only when ``str.lower`` would
    change a length): a fast case-blind search for the words a detector starts at."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def word_start(text: str, at: int) -> bool:
    """A key's word can start at ``at``: a CJK one anywhere, an ASCII one not inside an
    ASCII word, unless at a camelCase hump (``simImsi``); ``_``, ``.``, ``-`` end a word."""
    prev, first = (text[at - 1] if at else " "), text[at]
    if not first.isascii() or not (prev.isascii() and prev.isalnum()):
        return True
    return prev.islower() and first.isupper()


def before(text: str, start: int, width: int = 12) -> str:
    """Up to ``width`` characters before ``start``."""
    return text[max(0, start - width) : start]


def _names_pi(key: str) -> bool:
    """A key (``mobileNo`` without its ``No``) whose last word names PI."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", key).replace("_", " ").replace("-", " ")
    last = words.split()[-1].lower() if words.split() else ""
    return last in _PI_WORDS or _PI_KEY.search(last) is not None


def looks_like_other_number(text: str, start: int, end: int) -> bool:
    """True when the digits at ``start:end`` read as an order number, ID or amount: a word
    of :data:`_NOT_PI` just before them, unless a key naming PI ends with it
    (``mobileNo=``) or a word naming PI (``手机``) stands between it and the digits."""
    head = before(text, start)
    if _CURRENCY_BEFORE.search(head) or _UNIT_AFTER.match(text, end):
        return True
    for m in _NOT_PI.finditer(head):
        if m.group("no") is not None:
            at = start - len(head) + m.start()
            word = _KEY_BEFORE.search(text, max(0, at - 42), at)
            if word is not None and _names_pi(word.group(1)):
                continue
        if _OWN_CUE.search(head, m.end()) is None:
            return True
    return False


def cue(pattern: str) -> re.Pattern[str]:
    """A context cue: ``pattern`` somewhere in the text just before a value."""
    return re.compile(f"(?:{pattern})", re.IGNORECASE)


def has_cue(text: str, start: int, pattern: re.Pattern[str], width: int = 12) -> bool:
    return pattern.search(before(text, start, width)) is not None
