"""The value formats of PI elements, to validate a correction (PIPL Art. 46).

:func:`validate` returns the normalised value or raises :class:`InvalidValue`, whose
Chinese message says what is wrong and never repeats the full value (a rejected value is
still PI): it shows the value masked. :func:`format_of` gives the format of a built-in
element; an element it does not know is free text.

The GB 11643-1999 resident ID number lives here too (:func:`read_id_number`): its check
character (ISO 7064 MOD 11-2), its region code (GB/T 2260) and its birth date. The
consent package's age gate builds on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from yinsi.taxonomy.regions import PROVINCES


class Format(StrEnum):
    """The format of an element's values."""

    PHONE_CN = "phone_cn"
    ID_NUMBER = "id_number"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    DATE = "date"
    NAME_CN = "name_cn"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    ADDRESS = "address"
    RELATION = "relation"  # a contact's relation to the person: one of RELATIONS
    JSON = "json"
    """A JSON document holding the element among other keys: never written (refused)."""

    @property
    def label(self) -> str:
        """The Chinese name of the format, as a user reads it."""
        return _LABELS[self]


_LABELS = {
    Format.PHONE_CN: "手机号码",
    Format.ID_NUMBER: "身份证号码",
    Format.BANK_CARD: "银行卡号",
    Format.EMAIL: "电子邮箱",
    Format.DATE: "日期",
    Format.NAME_CN: "姓名",
    Format.TEXT: "内容",
    Format.INTEGER: "整数",
    Format.DECIMAL: "数值",
    Format.ADDRESS: "地址",
    Format.RELATION: "关系",
    Format.JSON: "JSON 文档",
}

ADDRESS_MAX = 200
TEXT_MAX = 200
"""Free text (an employer, an occupation) longer than this is refused: no column of a
person's details holds more, and a longer value would fail the write instead."""
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
"""Control characters but tab and line breaks (NUL breaks a PostgreSQL write), zero-width and bidirectional marks
(they make a value read otherwise than it is): never part of a person's details."""
NAME_MIN, NAME_MAX = 2, 30
MIDDLE_DOT = "·"
"""U+00B7, the separator of transliterated names (``买买提·艾力``)."""


class InvalidValue(ValueError):
    """A value that does not have its element's format; ``message_zh`` says why.

    ``problem`` is a stable code for programs (``empty``, ``length``, ``characters``,
    ``masked``, ``region``, ``birth_date``, ``check_digit``, ``syntax``, ``too_long``).
    """

    def __init__(
        self, format: Format, value_masked: str, message_zh: str, problem: str = "invalid"
    ) -> None:
        self.format = format
        self.value_masked = value_masked
        self.message_zh = message_zh
        self.problem = problem
        shown = f"「{value_masked}」" if value_masked else ""
        super().__init__(f"{format.label}{shown}{message_zh}")


# --- masking for error messages -------------------------------------------------------


def mask_id_number(text: str) -> str:
    """``110105********1234`` for 18 or more characters; all stars for anything shorter.

    The first 6 (the region of registration) and the last 4 stay; the birth date and the
    sequence code are hidden. Showing 6 + 4 only when at least 8 stay hidden keeps a
    mistyped, short number from being echoed almost whole. GB/T 35273-2020 §7.2 asks
    for display restriction without fixing a pattern; first 6 + last 4 is common practice.
    """
    if len(text) >= 18:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    return "*" * len(text)


def _conceal(text: str) -> str:
    """A value shown in an error: first and last character, at most 18 stars between."""
    if len(text) < 4:
        return "*" * len(text)
    return text[0] + "*" * min(len(text) - 2, 18) + text[-1]


# --- GB 11643-1999 resident ID numbers ------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2**(17-i) mod 11
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: check character for sum mod 11


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
        return mask_id_number(self.number)

    @property
    def is_male(self) -> bool:
        """GB 11643-1999 §4.3: an odd sequence code is assigned to men."""
        return int(self.sequence[-1]) % 2 == 1

    def __repr__(self) -> str:
        return f"IdNumber({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


def read_id_number(text: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-character ID number; raise :class:`InvalidValue` saying what is wrong.

    Surrounding blanks are ignored and a lower-case ``x`` is accepted. With ``today``, a
    birth date after it is rejected too.
    """
    s = text.strip().upper()

    def invalid(problem: str, message: str) -> InvalidValue:
        return InvalidValue(Format.ID_NUMBER, mask_id_number(s), message, problem)

    if len(s) != 18:
        raise invalid("length", f"有{len(s)}位，居民身份证号码应为18位")
    if not (s[:17].isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise invalid("characters", "应为17位数字加1位数字或X")
    if s[:2] not in PROVINCES:
        raise invalid("region", "前两位不是省级行政区划代码（GB/T 2260），请核对")
    try:
        birth: date | None = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1800 or (today is not None and birth > today):
        raise invalid("birth_date", "第7至14位的出生日期无效，请核对")
    if check_character(s[:17]) != s[17]:
        raise invalid("check_digit", "校验码不符（GB 11643-1999），请核对后重新输入")
    return IdNumber(number=s, region=s[:6], birth=birth, sequence=s[14:17])


# --- the other formats ----------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=[0-9]{11}$)")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Dots used in place of U+00B7 in names typed on phones and PCs.
_DOT_VARIANTS = str.maketrans(dict.fromkeys("•‧・･⋅∙．.", MIDDLE_DOT))
_MASKED_LOOK = "**"


def _masked_copy(fmt: Format, s: str) -> InvalidValue:
    return InvalidValue(fmt, _conceal(s), "看起来是脱敏后的显示值，请填写完整的信息", "masked")


def _phone(s: str) -> str:
    compact = _PHONE_PREFIX.sub("", _SEPARATORS.sub("", s), count=1)
    if "*" in compact:
        raise _masked_copy(Format.PHONE_CN, compact)
    if not _PHONE.fullmatch(compact):
        raise InvalidValue(
            Format.PHONE_CN,
            _conceal(compact),
            "不是有效的中国大陆手机号码：应为以1开头的11位数字，第二位为3至9",
            "syntax",
        )
    return compact


def _id_number(s: str, today: date | None) -> str:
    return read_id_number(s, today=today).number


def luhn_valid(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812-1) check of a card number given as ASCII digits."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _bank_card(s: str) -> str:
    compact = _SEPARATORS.sub("", s)
    if "*" in compact:
        raise _masked_copy(Format.BANK_CARD, compact)
    if not (compact.isascii() and compact.isdigit() and 12 <= len(compact) <= 19):
        raise InvalidValue(Format.BANK_CARD, _conceal(compact), "应为12至19位数字", "length")
    if not luhn_valid(compact):
        raise InvalidValue(
            Format.BANK_CARD, _conceal(compact), "校验位不符（Luhn算法），请核对卡号", "check_digit"
        )
    return compact


def _email(s: str) -> str:
    if "*" in s:
        raise _masked_copy(Format.EMAIL, s)
    if len(s) > 254 or not _EMAIL.fullmatch(s):
        raise InvalidValue(
            Format.EMAIL, _conceal(s), "不是有效的电子邮箱地址（例如 name@example.com）", "syntax"
        )
    local, _, domain = s.rpartition("@")
    return f"{local}@{domain.lower()}"


def _date(s: str) -> str:
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError:
        raise InvalidValue(
            Format.DATE, _conceal(s), "不是有效的日期，请按 YYYY-MM-DD 格式填写", "syntax"
        ) from None


def _name(s: str) -> str:
    name = re.sub(r" +", " ", s.translate(_DOT_VARIANTS))
    if "*" in name:
        raise _masked_copy(Format.NAME_CN, name)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise InvalidValue(
            Format.NAME_CN, _conceal(name), f"应为{NAME_MIN}至{NAME_MAX}个字", "length"
        )
    if name in RELATIONS:  # 配偶 is how the contact relates, not what they are called
        raise InvalidValue(Format.NAME_CN, "", "是关系称谓（如配偶、父母），不是姓名", "relation")
    parts = re.split(r"[· ]", name)
    if not all(part and part.isalpha() for part in parts):
        raise InvalidValue(
            Format.NAME_CN,
            _conceal(name),
            "只能包含汉字、字母和间隔号“·”，间隔号不能在首尾或连用",
            "characters",
        )
    return name


RELATIONS = frozenset((
    "配偶", "爱人", "丈夫", "妻子", "父母", "父亲", "母亲", "子女", "儿子", "女儿", "兄弟",
    "姐妹", "兄弟姐妹", "兄妹", "姐弟", "祖父母", "爷爷", "奶奶", "外公", "外婆", "孙子女",
    "亲属", "亲戚", "朋友", "同事", "同学", "室友", "邻居", "领导", "监护人", "本人", "其他", "其它",
))  # fmt: skip
"""How a contact relates to the person, as apps list it: a relation, never a name."""


def _relation(s: str) -> str:
    if s not in RELATIONS:
        raise InvalidValue(Format.RELATION, "", "应为配偶、父母、子女、朋友等关系", "relation")
    return s


def _text(s: str) -> str:
    if len(s) > TEXT_MAX:
        raise InvalidValue(
            Format.TEXT, _conceal(s), f"共{len(s)}个字，超过{TEXT_MAX}个字的上限", "too_long"
        )
    return s


def _integer(s: str) -> str:
    if not _INTEGER.fullmatch(s):
        raise InvalidValue(Format.INTEGER, _conceal(s), "不是整数", "syntax")
    return str(int(s))


def _decimal(s: str) -> str:
    if not _DECIMAL.fullmatch(s):
        raise InvalidValue(
            Format.DECIMAL, _conceal(s), "不是数值（例如 8000 或 8000.50）", "syntax"
        )
    return str(Decimal(s))


def _address(s: str) -> str:
    address = re.sub(r"\s+", " ", s)
    if _MASKED_LOOK in address:
        raise _masked_copy(Format.ADDRESS, address)
    if len(address) > ADDRESS_MAX:
        raise InvalidValue(
            Format.ADDRESS,
            _conceal(address),
            f"共{len(address)}个字，超过{ADDRESS_MAX}个字的上限",
            "too_long",
        )
    return address


def _document(s: str) -> str:
    raise InvalidValue(
        Format.JSON, "", "中的个人信息需由工作人员核实后更正，不能直接写入新值", "document"
    )


_VALIDATORS: dict[Format, Callable[[str], str]] = {
    Format.PHONE_CN: _phone,
    Format.BANK_CARD: _bank_card,
    Format.EMAIL: _email,
    Format.DATE: _date,
    Format.NAME_CN: _name,
    Format.TEXT: _text,
    Format.INTEGER: _integer,
    Format.DECIMAL: _decimal,
    Format.ADDRESS: _address,
    Format.RELATION: _relation,
    Format.JSON: _document,
}


def validate(fmt: Format | str, value: str, *, today: date | None = None) -> str:
    """The normalised ``value`` if it has format ``fmt``; else :class:`InvalidValue`.

    Normalising strips surrounding blanks and, by format: drops separators and a +86
    prefix from phone numbers, separators from card numbers, upper-cases the ID number's
    ``x``, lower-cases an e-mail domain, writes dates as ``YYYY-MM-DD``, numbers without
    leading zeros or ``+``, and name dots as ``·``. ``today`` rejects an ID number whose
    birth date is later. A value that looks like a masked display copy (``138****1234``)
    is refused: the user must type the full value.
    """
    fmt = Format(fmt)
    s = value.strip()
    if not s:
        raise InvalidValue(fmt, "", "不能为空", "empty")
    if _CONTROL.search(s):
        raise InvalidValue(fmt, "", "含有控制字符或不可见字符，请重新输入", "characters")
    if fmt is Format.ID_NUMBER:
        return _id_number(s, today)
    return _VALIDATORS[fmt](s)


ELEMENT_FORMATS: MappingProxyType[str, Format] = MappingProxyType(
    {
        "mobile_number": Format.PHONE_CN,
        "bank_reserved_mobile": Format.PHONE_CN,
        "id_number": Format.ID_NUMBER,
        "bank_card": Format.BANK_CARD,
        "name": Format.NAME_CN,
        "recipient_name": Format.NAME_CN,
        "email": Format.EMAIL,
        "birth_date": Format.DATE,
        "address": Format.ADDRESS,
        "delivery_address": Format.ADDRESS,
        "residence_city": Format.ADDRESS,
        "monthly_income": Format.DECIMAL,
    }
)
"""The formats of built-in elements that are not free text."""


def format_of(element_id: str) -> Format:
    """The format of a built-in element's values; :attr:`Format.TEXT` for any other."""
    return ELEMENT_FORMATS.get(element_id, Format.TEXT)
