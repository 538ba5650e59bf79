"""The age gate: GB 11643-1999 resident ID numbers, ages, and the registration check (X04).

PIPL Art. 28 makes all PI of a child under 14 sensitive and Art. 31 requires a guardian's
consent for it; the seeds accept adults only (小赢卡贷 引言第1条, 第8节: 年满十八周岁).
Ages are counted as 周岁 by calendar date, an age being reached on the day *after* the
birthday — the rule of 法释〔2006〕1号 第二条 (juvenile criminal cases), applied here by
analogy as the conservative reading: a user is still a minor on their 18th birthday.

Nothing here logs, stores or echoes a full ID number; errors and ``repr`` show it masked
(GB/T 35273-2020 §7.2 display restriction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from yinsi.consent.decision import Reason
from yinsi.consent.errors import InvalidIdNumber

ADULT_AGE = 18
"""The default minimum age; a declaration sets its own (``policy.minimum_age``)."""
CHILD_AGE = 14
"""PIPL Arts. 28, 31: PI of a child under this age is sensitive."""

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: check character for sum mod 11
# GB/T 2260 province-level codes (the first two digits of the region code).
_PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)


def mask(text: str) -> str:
    """``110105********1234`` for an 18-character number; all stars for anything shorter.

    Showing 6 + 4 characters only when at least 8 stay hidden keeps a mistyped, short
    number from being echoed almost whole.
    """
    if len(text) >= 18:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return "*" * len(text)


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True, slots=True, repr=False)
class IdNumber:
    """A valid 18-digit resident ID number. ``repr`` and ``str`` are masked."""

    number: str
    region: str
    birth: date
    sequence: str

    @property
    def masked(self) -> str:
        return mask(self.number)

    @property
    def is_male(self) -> bool:
        """GB 11643-1999 §4.3: an odd sequence code is assigned to men."""
        return int(self.sequence[-1]) % 2 == 1

    def __repr__(self) -> str:
        return f"IdNumber({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def parse_id_number(text: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-digit ID number; raise :class:`InvalidIdNumber` saying what is wrong.

    With ``today``, a birth date after it is rejected too.
    """
    s = text.strip().upper()
    masked = mask(s)
    if len(s) != 18:
        raise InvalidIdNumber(
            masked, "length", f"has {len(s)} characters; a resident ID number has 18"
        )
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise InvalidIdNumber(masked, "characters", "must be 17 digits followed by a digit or X")
    if s[:2] not in _PROVINCES:
        raise InvalidIdNumber(
            masked, "region", "the region code does not start with a province code (GB/T 2260)"
        )
    try:
        birth = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1800 or (today is not None and birth > today):
        raise InvalidIdNumber(masked, "birth_date", "the birth date (digits 7-14) is not valid")
    if check_character(s[:17]) != s[17]:
        raise InvalidIdNumber(
            masked,
            "check_digit",
            "the check digit does not match (GB 11643-1999, ISO 7064 MOD 11-2); "
            "ask the user to enter the number again",
        )
    return IdNumber(number=s, region=s[:6], birth=birth, sequence=s[14:17])


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
