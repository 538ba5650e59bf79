"""The dictionaries the detectors ship with (``data/``), read once and cached.

Every file is UTF-8, ``#`` starts a comment line; nothing is downloaded at run time.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


def _lines(name: str) -> list[str]:
    text = (
        files(__package__ or "yinsi.taxonomy.detectors")
        .joinpath("data", name)
        .read_text(encoding="utf-8")
    )
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


@cache
def mobile_segments() -> frozenset[str]:
    """Allocated mobile segments: three digits (``138``) or four (``1349``)."""
    return frozenset(_lines("mobile_segments.txt"))


@cache
def bank_bins() -> frozenset[str]:
    """Bank card BIN prefixes of Chinese issuers (one to six digits)."""
    return frozenset(_lines("bank_bins.txt"))


@cache
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(single-character surnames, compound surnames).

    In ``surnames.txt`` a line of exactly two characters is a compound surname; a longer
    line lists single-character surnames, one per character.
    """
    single: set[str] = set()
    compound: set[str] = set()
    for line in _lines("surnames.txt"):
        if len(line) == 2:
            compound.add(line)
        else:
            single.update(line)
    return frozenset(single), frozenset(compound)


@cache
def common_words() -> frozenset[str]:
    """Two-character words of business text that are never a name (``信息``, ``支付``)."""
    return frozenset(word for line in _lines("common_words.txt") for word in line.split())


@cache
def cities() -> tuple[str, ...]:
    """Prefecture-level city names without 市, longest first."""
    names = {name for line in _lines("cities.txt") for name in line.split()}
    return tuple(sorted(names, key=len, reverse=True))


@cache
def districts() -> tuple[str, ...]:
    """District and county names with their suffix (``朝阳区``), longest first."""
    names = {name for line in _lines("districts.txt") for name in line.split()}
    return tuple(sorted(names, key=len, reverse=True))
