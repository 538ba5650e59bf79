"""PI written in words: dates of birth in context, person names and postal addresses.

Names need a cue (``姓名：``, ``联系人``, ``其哥哥``, ``先生``, ``的手机``…) and a surname
from the shipped dictionary, and must not read as words (:mod:`.names`); addresses start
at a province, a prefecture-level city or a known district and run to the most identifying
part written: a street number with its complex, building, unit and room, a district's
complex and building, or a village and its group (:mod:`.addresses`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from yinsi.taxonomy.detectors.addresses import addresses, is_address
from yinsi.taxonomy.detectors.context import Hit
from yinsi.taxonomy.detectors.names import is_name, names

__all__ = [
    "BARE_DATE",
    "addresses",
    "birth_dates",
    "date_valid",
    "is_address",
    "is_name",
    "names",
]

# --- dates of birth --------------------------------------------------------------------

_DATE = (
    r"(?P<y>(?:19|20)[0-9]{2})(?:(?P<s>[-/.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"
    r"|年(?P<m2>[0-9]{1,2})月(?:(?P<d2>[0-9]{1,2})[日号]?)?"
    r"|(?P<m3>0[1-9]|1[0-2])(?P<d3>0[1-9]|[12][0-9]|3[01]))(?![0-9])"
)
_BIRTH = re.compile(
    r"(?:出生日期|出生年月日?|出生于|生于|生日|出生|DOB|D\.O\.B\.?|date\s+of\s+birth"
    r"|birth\s*(?:day|date))[^0-9\n]{0,6}?" + f"(?P<date>{_DATE})",
    re.IGNORECASE,
)
_BORN_ON = re.compile(f"(?P<date>{_DATE})" + r"\s?(?:出生|生人)")
"""A date the words after say is a birth: 1990年5月6日出生."""
BARE_DATE = re.compile(_DATE)


def date_valid(m: re.Match[str]) -> bool:
    """A real calendar date (a year and month alone count) not after today."""
    year = int(m.group("y"))
    month = m.group("m") or m.group("m2") or m.group("m3")
    day = m.group("d") or m.group("d2") or m.group("d3") or "1"
    try:
        born = date(year, int(month), int(day))
    except (TypeError, ValueError):
        return False
    return born <= date.today()


def birth_dates(text: str) -> Iterator[Hit]:
    for m in _BIRTH.finditer(text):
        if date_valid(m):
            yield ("birth_date", m.start("date"), m.end("date"), 0.9)
    for m in _BORN_ON.finditer(text):
        if date_valid(m):
            yield ("birth_date", m.start("date"), m.end("date"), 0.85)
