"""Shared pieces of the detectors: hits, boundaries and the words around a span."""

from __future__ import annotations

import re

Hit = tuple[str, int, int, float]
"""A raw detection: (kind, start, end, confidence)."""

# ASCII letters and digits only: a CJK character or punctuation ends a value, so
# ``手机13812345678，`` matches while a run inside a longer run does not.
OPEN = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
CLOSE = r"(?![0-9A-Za-z])(?!\.[0-9])"

# Words that make a number something other than PI: an order, serial or ticket number.
_NOT_PI = re.compile(
    r"(?:订单|单号|流水|交易号|编号|工单|运单|批次|票号|券码|序号|版本|No\.?|order|txn)[^\n]{0,6}$",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"[¥￥$]\s*$")
_UNIT_AFTER = re.compile(r"\s*(?:元|块|万|亿|%|‰|美元|rmb|RMB|CNY)")


def before(text: str, start: int, width: int = 12) -> str:
    """Up to ``width`` characters before ``start``."""
    return text[max(0, start - width) : start]


def looks_like_other_number(text: str, start: int, end: int) -> bool:
    """True when the digits at ``start:end`` read as an order number, ID or amount."""
    head = before(text, start)
    return bool(
        _NOT_PI.search(head) or _CURRENCY_BEFORE.search(head) or _UNIT_AFTER.match(text, end)
    )


def cue(pattern: str) -> re.Pattern[str]:
    """A context cue: ``pattern`` somewhere in the text just before a value."""
    return re.compile(f"(?:{pattern})", re.IGNORECASE)


def has_cue(text: str, start: int, pattern: re.Pattern[str], width: int = 12) -> bool:
    return pattern.search(before(text, start, width)) is not None
