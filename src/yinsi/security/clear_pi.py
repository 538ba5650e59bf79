"""A safety net against personal information in clear in the audit log (PIPL Art. 51).

The log must name people by opaque ids (``subj_7f3a9c``) and carry hashes, never a phone
number, an ID card number or an e-mail address. This catches a value that *is* one of
those, the common mistake; it is no proof that a value holds no personal information.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

_CLEAR_PI = {
    "a mobile phone number": re.compile(r"(?:\+?86[- ]?)?1[3-9]\d{9}"),
    "a resident ID card number": re.compile(r"\d{17}[\dXx]"),
    "an e-mail address": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
}
_MAY_BE_PI = re.compile(r"[\d@]")
"""Each pattern needs a digit (phone, ID number) or an ``@`` (e-mail): a value with neither
is none of them, found with one scan (most audited values are ids like ``bank_card``)."""
_ELEVEN_DIGITS = re.compile(r"\d{11}")
"""Each pattern needs an ``@`` (e-mail) or 11 digits in a row (a mobile number: ``1``,
``3``–``9`` and nine more; an ID number: 17)."""


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit_ok(value: str) -> bool:
    """Whether an 18-character resident ID number's last character is its GB 11643 check
    digit (so an 18-digit snowflake id is not taken for one, except by a 1-in-11 chance)."""
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def clear_pi(value: str) -> str | None:
    """What kind of personal information ``value`` is in clear, or None."""
    stripped = value.strip()
    if _MAY_BE_PI.search(stripped) is None:
        return None
    for kind, pattern in _CLEAR_PI.items():
        if pattern.fullmatch(stripped):
            if kind == "a resident ID card number" and not id_check_digit_ok(stripped):
                continue
            return kind
    return None


def may_hold_clear_pi(text: str) -> bool:
    """False when no string inside ``text`` can be personal information in clear: it has
    no ``@`` and no 11 digits in a row. ``text`` may be a plain string or the JSON text
    of a value (JSON never escapes a digit or an ``@``), so one scan of an audit entry's
    canonical JSON spares :func:`first_clear_pi`'s walk when it is False; True only
    means "look closer"."""
    return "@" in text or _ELEVEN_DIGITS.search(text) is not None


def first_clear_pi(value: object, path: str) -> tuple[str, str] | None:
    """The first string in a JSON value (keys too) that is personal information in clear,
    as (its path, what it is), or None.

    Most audited values hold no digit and no ``@``: one scan of each string without
    building any path; the paths are built (by :func:`strings`) only when one is found.
    """
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _MAY_BE_PI.search(item) is not None and clear_pi(item) is not None:
                break
        elif isinstance(item, Mapping):
            pending.extend(str(key) for key in item)
            pending.extend(item.values())
        elif isinstance(item, Sequence) and not isinstance(item, bytes | bytearray):
            pending.extend(item)
    else:
        return None
    for where, text in strings(value, path):
        kind = clear_pi(text)
        if kind is not None:
            return where, kind
    return None  # pragma: no cover - the scan above found one


def strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (keys too), with its path: ``details.a[2]``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")
