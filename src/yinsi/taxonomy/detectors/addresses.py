"""Postal addresses: from a province, a prefecture-level city or a known district down to
the most identifying part written.

That is a street number (``路…号``, ``36号附3号``) with the complex, building, unit and room
after it (``1288号中茵皇冠国际5幢1702室``, ``17栋1803``); with no street number, a
district's complex and its building (``南山区科技园南区W1-A栋3楼``,
``保利花园3期12栋1单元502``); in the country, a town's village and its group
(``廉桥镇石株桥村7组``, ``西关村一社``). Autonomous prefectures and counties have long
names (``威宁彝族回族苗族自治县``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from yinsi.taxonomy.detectors.context import Hit
from yinsi.taxonomy.detectors.resources import cities, districts
from yinsi.taxonomy.regions import PROVINCE_PREFIXES

_CJK = "[\u4e00-\u9fa5]"
_NUM = r"(?:[0-9]+|[一二三四五六七八九十百零]+)"
# the characters of a place's own name: no particle or pronoun (的农村 is no village)
_PLACE = "[^\\x00-\\u4dff\\u9fa6-\\U0010ffff的了是在我你他她这个，。]"


@cache
def _address_pattern() -> re.Pattern[str]:
    provinces = "|".join(re.escape(text) for text, _ in PROVINCE_PREFIXES)
    city_names = "|".join(re.escape(c) for c in cities())
    city = f"(?:(?:{city_names})市?|{_CJK}{{2,10}}?自治州|{_CJK}{{2,5}}?(?:地区|盟|市))"
    district = f"(?:{_CJK}{{2,10}}?自治[县旗]|{_CJK}{{1,6}}?(?:新区|区|县|旗|市))"
    town = f"(?:{_CJK}{{1,6}}?(?:街道|镇|乡))"
    # a named area between the district and the town or road: 科技园南区, 经济技术开发区
    area = f"(?:{_CJK}{{1,6}}?(?:开发区|工业区|工业园|科技园|产业园|园区|片区|新城|南区|北区|东区|西区))"
    road = f"(?:[{_CJK[1:-1]}0-9]{{1,10}}?(?:大道|大街|路|街|巷|弄|胡同|村|里|道))"
    building = f"(?:{_NUM}(?:号楼|栋|幢|座)|[A-Za-z0-9]+(?:[-－][A-Za-z0-9]+)*(?:栋|幢|座))"
    unit = (
        f"(?:{_NUM}(?:号楼|号院|栋|幢|座|单元|门|楼|层|室|号|期|区)|附{_NUM}号"
        r"|[A-Za-z0-9]+(?:[-－][A-Za-z0-9]+)*(?:栋|幢|座|区|楼|层|室)|[-－][0-9]+"
        # a room written bare after its building or unit: 17栋1803, 1单元502, 3号楼1门301
        r"|(?<=[栋幢座元门楼层])[0-9]{3,5}(?![0-9A-Za-z年月日元万个人户次米平%.:：-]))"
    )
    detail = f"{unit}*"
    # a residential or office complex between the street number (or the town) and the
    # building: 现代城5号楼, 科技园南区W1-A栋; taken only when a building, unit or room follows
    complex_ = (
        f"(?:[{_CJK[1:-1]}A-Za-z0-9]{{1,12}}?(?:大厦|大楼|广场|中心|花园|小区|公寓|家园|"
        f"新村|科技园|产业园|园区|小镇|社区|苑|园|城|府|庭|阁|公馆|写字楼|南区|北区|东区|西区)"
        f"(?={unit}))"
    )
    # after a street number any name will do when a building follows: 1288号中茵皇冠国际5幢
    named = f"(?:{complex_}|[{_CJK[1:-1]}A-Za-z0-9]{{1,12}}?(?={building}))"
    known_city = f"(?:{city_names})市?"
    known_district = "(?:" + "|".join(re.escape(d) for d in districts()) + ")"
    head = f"(?:(?:{provinces}){city}?|{known_city}|(?={known_district}))"
    # A first-character class in front lets the engine skip most positions cheaply
    # instead of trying several hundred names at each.
    names = [text for text, _ in PROVINCE_PREFIXES] + list(cities()) + list(districts())
    firsts = {name[0] for name in names}
    first = "(?=[" + "".join(sorted(firsts)) + "])"
    section = "(?:[东南西北中一二三四五六七八九十0-9]{1,2}段)?"  # 天府大道北段, 人民南路三段
    street = f"{area}?{town}?{road}{section}{_NUM}号{named}?{detail}"
    # no street number: a district's complex and building, or a numbered zone's building
    # (和平街十一区12号楼)
    zone = f"{_PLACE}{{1,8}}?{_NUM}区{building}"
    campus = f"{town}?(?:{complex_}|{zone}){unit}*"
    # a village and its group: 廉桥镇石株桥村7组23号, 西关村一社
    village = f"{town}{_PLACE}{{1,8}}?[村屯](?:{_NUM}(?:组|社|队))?(?:{_NUM}号)?"
    return re.compile(f"{first}{head}(?:{district}?(?:{street}|{village})|{district}{campus})")


def addresses(text: str) -> Iterator[Hit]:
    for m in _address_pattern().finditer(text):
        yield ("address", m.start(), m.end(), 0.85)


def is_address(value: str) -> bool:
    """A bare value that reads as a postal address down to the street number."""
    m = _address_pattern().match(value)
    return m is not None and m.end() >= len(value) - 4
