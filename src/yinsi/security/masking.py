"""Display masking of PI on staff pages and in exports (GB/T 35273-2020 §7.2; W17).

GB/T 35273-2020 §7.2 requires display restriction ("展示限制") of PI shown on screens and
paper but fixes no pattern; JR/T 0171-2020 asks that C2 information be shown masked. The
patterns here are the common practice of Chinese financial apps:

=============  ========================  =============================================
kind           example                   rule
=============  ========================  =============================================
phone_cn       ``138****1234``           first 3 + ``****`` + last 4, same length
id_number      ``110105********1234``    first 6 (region) + last 4; birth date hidden
bank_card      ``**** **** **** 1234``   last 4 only; the length is hidden too
name_cn        ``张*``, ``欧阳**``        the surname (two characters for a compound one)
email          ``z***@example.com``      first character of the local part + ``***``
address        ``北京市朝阳区****``       province, city, district; the rest hidden
date           ``1990-**-**``            the year
device id      ``4600*******7890``       first 4 + last 4; a UUID's dashes stay
coordinates    ``39.******,116.******``  whole degrees (about 100 km); decimals hidden
integer/dec.   ``***``                   nothing (not even the order of magnitude)
text           ``我****好``               first and last character (all for ≤ 3)
=============  ========================  =============================================

Every function is total (a malformed value gets a conservative mask, never an error)
and idempotent: ``mask(k, mask(k, x)) == mask(k, x)``, so masking an export twice, or a
value already masked at the source, changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yinsi.taxonomy.formats import Format
from yinsi.taxonomy.formats import mask_id_number as _id_number_rule
from yinsi.taxonomy.regions import MUNICIPALITIES, PROVINCE_PREFIXES

STAR = "*"

# 复姓: the compound surnames common enough to be kept whole (百家姓 and current usage).
# fmt: off
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "澹台",
    "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "钟离", "闾丘", "东郭",
    "百里", "呼延", "万俟", "司空", "左丘", "拓跋", "赫连", "第五", "梁丘", "公羊",
    "谷梁", "漆雕", "乐正", "壤驷", "公良", "段干", "巫马", "东门", "仲孙", "叔孙",
})
# fmt: on
_NAME_SEPARATORS = frozenset("· ")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_PHONE_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=[0-9*]{11}$)")
_ADDRESS_TAIL = "****"
# A division below the province: a name of letters ending in a division word.
_SEGMENT = r"[^\W\d_]{1,9}?(?:自治州|自治县|自治旗|地区|林区|特区|新区|市|州|盟|区|县|旗)"


def _province_pattern(municipal: bool) -> str:
    names = (
        re.escape(text) for text, p in PROVINCE_PREFIXES if (p.code in MUNICIPALITIES) == municipal
    )
    return "(?:" + "|".join(names) + ")"


# Municipalities and SARs are followed by a district; provinces by a city, then a district.
_DISTRICT_LEVEL = re.compile(
    f"{_province_pattern(True)}(?:{_SEGMENT})?|{_province_pattern(False)}(?:{_SEGMENT}){{0,2}}"
)


def mask_text(value: str) -> str:
    """First and last character with stars between; all stars for 3 characters or fewer."""
    if len(value) <= 3:
        return STAR * len(value)
    return value[0] + STAR * (len(value) - 2) + value[-1]


def mask_phone(value: str) -> str:
    """``13812341234`` → ``138****1234``; separators and a +86 prefix are dropped first."""
    compact = _PHONE_PREFIX.sub("", _PHONE_SEPARATORS.sub("", value.strip()))
    if len(compact) == 11:
        return compact[:3] + STAR * 4 + compact[7:]
    return mask_text(compact)


def mask_id_number(value: str) -> str:
    """``110105********1234``: first 6 + last 4 of 18 characters; all stars if shorter.

    The rule of :func:`yinsi.taxonomy.formats.mask_id_number`, which error messages and
    ``IdNumber`` use too, so a number looks the same wherever it is shown.
    """
    return _id_number_rule(value.strip())


def mask_bank_card(value: str) -> str:
    """``6222021234567891234`` → ``**** **** **** 1234``; under 8 characters, all stars."""
    compact = _PHONE_SEPARATORS.sub("", value.strip())
    if len(compact) < 8:
        return STAR * len(compact)
    return "**** **** **** " + compact[-4:]


def mask_name(value: str) -> str:
    """Keep the surname: ``张三`` → ``张*``, ``欧阳娜娜`` → ``欧阳**``, ``欧阳`` → ``欧*``.

    A name of one character is hidden whole; ``·`` and spaces of transliterated names stay.
    """
    name = value.strip()
    if len(name) <= 1:
        return STAR * len(name)
    keep = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "".join(c if c in _NAME_SEPARATORS else STAR for c in name[keep:])


def mask_email(value: str) -> str:
    """``zhangsan@example.com`` → ``z***@example.com``: three stars whatever the length."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not (at and local and domain):
        return mask_text(address)
    return local[0] + "***@" + domain


def mask_address(value: str) -> str:
    """Keep the address down to the district: ``北京市朝阳区建国路1号`` → ``北京市朝阳区****``.

    The district level is read from the province-level name (GB/T 2260) and up to two
    divisions after it (one for a municipality). An address that does not start with a
    province keeps its first 6 characters, which in practice reach about the same level.
    Only the part before the first ``*`` counts, so a masked address stays as it is.
    """
    shown = value.strip().split(STAR, 1)[0]
    match = _DISTRICT_LEVEL.match(shown)
    kept = match.group() if match else shown[:6]
    return kept + _ADDRESS_TAIL


def mask_date(value: str) -> str:
    """``1990-05-17`` → ``1990-**-**``: the year stays, every later digit is hidden."""
    text = value.strip()
    if len(text) >= 4 and text[:4].isascii() and text[:4].isdigit():
        return text[:4] + re.sub(r"[0-9]", STAR, text[4:])
    return mask_text(text)


def mask_device_id(value: str) -> str:
    """``460011234567890`` → ``4600*******7890``: the first 4 and last 4 characters (an
    IMSI's country and operator, as a phone's last 4), a UUID's dashes kept; a value of 8
    characters or fewer, all stars."""
    text = value.strip()
    if len(text) <= 8:
        return STAR * len(text)
    return text[:4] + re.sub(r"[^-]", STAR, text[4:-4]) + text[-4:]


def mask_coordinates(value: str) -> str:
    """``39.916527,116.397128`` → ``39.******,116.******``: whole degrees stay (a region of
    about 100 km), every decimal is hidden; separators, ``°`` and ``N``/``E`` stay."""
    return re.sub(r"(?<=[.．])[0-9*]+", lambda m: STAR * len(m.group()), value.strip())


def mask_number(value: str) -> str:
    """``***`` for any amount: the length would give away the order of magnitude."""
    return "***" if value.strip() else ""


_MASKS: dict[Format, Callable[[str], str]] = {
    Format.PHONE_CN: mask_phone,
    Format.ID_NUMBER: mask_id_number,
    Format.BANK_CARD: mask_bank_card,
    Format.NAME_CN: mask_name,
    Format.EMAIL: mask_email,
    Format.ADDRESS: mask_address,
    Format.DATE: mask_date,
    Format.INTEGER: mask_number,
    Format.DECIMAL: mask_number,
    Format.TEXT: mask_text,
    Format.RELATION: mask_text,
    Format.JSON: mask_text,  # a document: its first and last character, stars between
}


def mask(kind: Format | str, value: str) -> str:
    """``value`` masked for display as a value of format ``kind`` (see the module table).

    ``kind`` is a :class:`~yinsi.taxonomy.formats.Format` or its id; for an element, pass
    ``format_of(element_id)``.
    """
    try:
        fmt = Format(kind)
    except ValueError:
        known = ", ".join(f.value for f in Format)
        raise ValueError(f"unknown masking kind {kind!r}; use one of: {known}") from None
    return _MASKS[fmt](value)
