"""China's province-level divisions (GB/T 2260): codes, official names, short names.

Used to check the region code of a resident ID number (its first two digits) and to find
the first administrative level of a written address (``广东省深圳市…`` → ``广东省``).
The residence permits of Hong Kong, Macau and Taiwan residents (港澳台居民居住证, issued
since 2018) carry an ID number of the same form whose region code is 810000, 820000 or
830000: 81 and 82 are Hong Kong's and Macau's own codes, 83 is added for Taiwan's
residents (:data:`PROVINCES` holds it; :data:`PROVINCE_PREFIXES` names Taiwan once).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Province:
    """A province-level division: ``code`` is the first two digits of its GB/T 2260 code."""

    code: str
    name: str
    short: str


PROVINCES: MappingProxyType[str, Province] = MappingProxyType(
    {
        p.code: p
        for p in (
            Province("11", "北京市", "北京"),
            Province("12", "天津市", "天津"),
            Province("13", "河北省", "河北"),
            Province("14", "山西省", "山西"),
            Province("15", "内蒙古自治区", "内蒙古"),
            Province("21", "辽宁省", "辽宁"),
            Province("22", "吉林省", "吉林"),
            Province("23", "黑龙江省", "黑龙江"),
            Province("31", "上海市", "上海"),
            Province("32", "江苏省", "江苏"),
            Province("33", "浙江省", "浙江"),
            Province("34", "安徽省", "安徽"),
            Province("35", "福建省", "福建"),
            Province("36", "江西省", "江西"),
            Province("37", "山东省", "山东"),
            Province("41", "河南省", "河南"),
            Province("42", "湖北省", "湖北"),
            Province("43", "湖南省", "湖南"),
            Province("44", "广东省", "广东"),
            Province("45", "广西壮族自治区", "广西"),
            Province("46", "海南省", "海南"),
            Province("50", "重庆市", "重庆"),
            Province("51", "四川省", "四川"),
            Province("52", "贵州省", "贵州"),
            Province("53", "云南省", "云南"),
            Province("54", "西藏自治区", "西藏"),
            Province("61", "陕西省", "陕西"),
            Province("62", "甘肃省", "甘肃"),
            Province("63", "青海省", "青海"),
            Province("64", "宁夏回族自治区", "宁夏"),
            Province("65", "新疆维吾尔自治区", "新疆"),
            Province("71", "台湾省", "台湾"),
            Province("81", "香港特别行政区", "香港"),
            Province("82", "澳门特别行政区", "澳门"),
            # 830000: the region code of a Taiwan resident's residence permit (GB 11643 form)
            Province("83", "台湾省", "台湾"),
        )
    }
)
"""Province-level divisions by the first two digits of an ID number's region code."""

DIVISIONS = frozenset(code for code in PROVINCES if code != "83")
"""GB/T 2260's own province-level codes: a first-generation ID number's or a USCC's."""

MUNICIPALITIES = frozenset({"11", "12", "31", "50", "81", "82"})
"""Codes of the divisions with no prefecture level: a district follows the name directly."""


def _prefixes() -> tuple[tuple[str, Province], ...]:
    """Every way an address may begin with a province, longest first so that
    ``广西壮族自治区`` wins over ``广西`` and ``黑龙江省`` over ``黑龙江``; each name once, with
    its first division (台湾省 is 71's, not 83's)."""
    first: dict[str, Province] = {}
    for p in PROVINCES.values():
        for text in (p.name, p.short):
            first.setdefault(text, p)
    return tuple(sorted(first.items(), key=lambda item: -len(item[0])))


PROVINCE_PREFIXES: tuple[tuple[str, Province], ...] = _prefixes()


def province_of(address: str) -> Province | None:
    """The province-level division an address starts with, by official or short name.

    Only the start counts: ``广东深圳市南山区`` is 广东省; ``深圳市南山区`` (no province
    written) is None.
    """
    text = address.strip()
    for prefix, province in PROVINCE_PREFIXES:
        if text.startswith(prefix):
            return province
    return None
