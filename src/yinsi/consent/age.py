"""The age gate: GB 11643-1999 resident ID numbers, ages, and the registration check (X04).

PIPL Art. 28 makes all PI of a child under 14 sensitive and Art. 31 requires a guardian's
consent for it; the seeds accept adults only (小赢卡贷 引言第1条, 第8节: 年满十八周岁).
Ages are counted as 周岁 by calendar date, an age being reached on the day *after* the
birthday — the rule of 法释〔2006〕1号 第二条 (juvenile criminal cases), applied here by
analogy as the conservative reading: a user is still a minor on their 18th birthday.

Nothing here logs, stores or echoes a full ID number; errors and ``repr`` show it masked
(GB/T 35273-2020 §7.2 display restriction). The GB 11643-1999 checks (check character,
region, birth date) live in :mod:`yinsi.taxonomy.formats`, shared with corrections.
"""

from __future__ import annotations

from datetime import date

from yinsi.consent.decision import Reason
from yinsi.consent.errors import InvalidIdNumber
from yinsi.taxonomy.formats import IdNumber, InvalidValue, check_character, read_id_number
from yinsi.taxonomy.formats import mask_id_number as mask

__all__ = [
    "ADULT_AGE",
    "CHILD_AGE",
    "IdNumber",
    "age_on",
    "check_character",
    "check_registration",
    "is_minor",
    "is_under_14",
    "mask",
    "parse_id_number",
]

ADULT_AGE = 18
"""The default minimum age; a declaration sets its own (``policy.minimum_age``)."""
CHILD_AGE = 14
"""PIPL Arts. 28, 31: PI of a child under this age is sensitive."""

# English details of the problem codes of :func:`yinsi.taxonomy.formats.read_id_number`.
_DETAILS = {
    "characters": "must be 17 digits followed by a digit or X",
    "region": "the region code starts with no province's code (GB/T 2260), nor with 81, 82 "
    "or 83 (the residence permit of a Hong Kong, Macau or Taiwan resident)",
    "birth_date": "the birth date (digits 7-14) is not valid",
    "check_digit": "the check digit does not match (GB 11643-1999, ISO 7064 MOD 11-2); "
    "ask the user to enter the number again",
}


def parse_id_number(text: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-digit ID number; raise :class:`InvalidIdNumber` saying what is wrong.

    With ``today``, a birth date after it is rejected too. The checks themselves are
    :func:`yinsi.taxonomy.formats.read_id_number`'s.
    """
    try:
        return read_id_number(text, today=today)
    except InvalidValue as invalid:
        if invalid.problem == "length":
            detail = f"has {len(text.strip())} characters; a resident ID number has 18"
        else:
            detail = _DETAILS[invalid.problem]
        raise InvalidIdNumber(invalid.value_masked, invalid.problem, detail) from None


def _id(value: IdNumber | str) -> IdNumber:
    return value if isinstance(value, IdNumber) else parse_id_number(value)


def age_on(id_number: IdNumber | str, day: date) -> int:
    """Full years (周岁) on ``day``; an age is reached the day after the birthday."""
    birth = _id(id_number).birth
    if day < birth:
        raise ValueError(f"{day} is before the birth date of ID number {mask(str(id_number))}")
    return day.year - birth.year - ((day.month, day.day) <= (birth.month, birth.day))


def is_minor(id_number: IdNumber | str, day: date, *, adult_age: int = ADULT_AGE) -> bool:
    return age_on(id_number, day) < adult_age


def is_under_14(id_number: IdNumber | str, day: date, *, child_age: int = CHILD_AGE) -> bool:
    """PIPL Art. 28: all PI of this person is sensitive (decide with ``under_14=True``)."""
    return age_on(id_number, day) < child_age


def check_registration(
    id_number: IdNumber | str, today: date, minimum_age: int = ADULT_AGE
) -> Reason | None:
    """``Reason.MINOR`` if registration must be refused (X04), else None.

    An invalid number raises :class:`InvalidIdNumber`; pass ``policy.minimum_age`` of the
    declaration (or ``Rules.minimum_age``) as ``minimum_age``.
    """
    parsed = parse_id_number(id_number, today=today) if isinstance(id_number, str) else id_number
    return Reason.MINOR if age_on(parsed, today) < minimum_age else None
