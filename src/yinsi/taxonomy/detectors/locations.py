"""GPS coordinates in mainland China (精确位置信息, a sensitive element): a latitude and a
longitude written as a pair (``39.916527,116.397128`` in either order, ``POINT(116.3971
39.9165)``, ``39.9165°N, 116.3971°E``) or each after its name (``lat=39.9165&lng=116.3971``,
``"latitude": 39.916527``, ``经度：116.397128``, ``北纬39.9165°``).

A number is a coordinate only as one of a pair: a latitude in 3.8–53.6 and a longitude in
73.5–135.1 (mainland China's bounding box; the ranges do not overlap, so the number above
54 is the longitude whatever the order), each with 4 decimals or more (fewer is a city, not
a place). A pair with no cue before it (``GPS``, ``经纬度``, ``location``, ``POINT(``…) needs
5 decimals each, only a comma or spaces between, and no third such number beside it (a row
of measurements); named values need the other half of the pair near them. A single number
is never a coordinate; a version, an IP address or an amount (``39.9165元``) is none.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

from yinsi.taxonomy.detectors.context import Hit, before, lowered, narrow, word_start

__all__ = ["axis", "coordinates", "names_a_place", "pair_valid"]

_LATITUDES = (3.8, 53.6)
_LONGITUDES = (73.5, 135.1)
_NUM = r"(?<![-0-9A-Za-z.])[0-9]{1,3}\.[0-9]{4,15}(?![0-9]|\.[0-9])"
_PAIR = re.compile(
    rf"(?P<a>{_NUM})(?P<ha>°?[NE]?)"
    rf"(?=(?P<sep>[ \t]*[,，;；/|][ \t]*|[ \t]+)(?P<b>{_NUM})(?P<hb>°?[NE]?)(?![0-9A-Za-z]))"
)
_CUE = re.compile(
    r"gps|经纬度?|经度|纬度|坐标|定位|位置|地点|location|coord|lnglat|latlng|lonlat|latlon"
    r"|(?<![a-z])(?:lat|lng|lon|loc|geo|wgs|gcj|bd09)|point\s*\(",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(r"[ \t]*(?:%|‰|元|块|万|亿|米|秒)")
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:%|‰|元|块|万|亿|米|秒|(?:ms|s|m|km|g|kg|kb|mb|gb|hz)(?![A-Za-z0-9_=:]))",
    re.IGNORECASE,
)
_NEIGHBOUR_BEFORE = re.compile(r"[0-9]\.[0-9]{4,}[ \t]*[,，]?[ \t]*$")
_NEIGHBOUR_AFTER = re.compile(r"[ \t]*[,，]?[ \t]*[0-9]{1,3}\.[0-9]{4}")
_KEYED = re.compile(
    r"(?:(?:(?P<lat>(?:[Ll]at|LAT)(?:itude|ITUDE)?)"
    r"|(?P<lng>[Ll]ongitude|LONGITUDE|[Ll](?:ng|on)|L(?:NG|ON)))(?![A-Za-z0-9])"
    r"|(?P<clat>(?<!经)纬度|北纬)|(?P<clng>(?<!纬)经度|东经))"
    rf"[\"']?[ \t]*(?:[:=：]|为|是)?[ \t]*[\"']?(?P<value>{_NUM})"
)
_KEY_START = re.compile("lat|lng|lon|纬度|北纬|经度|东经")
"""Where a latitude's or a longitude's name may start, in lower case."""
_HEMISPHERES = {"N": "lat", "E": "lng"}
_WINDOW = 160
"""Characters at most between a named latitude and its longitude."""
_AXES = {"lat": "lat", "latitude": "lat", "lng": "lng", "lon": "lng", "longitude": "lng"}
_PLACE_WORDS = frozenset({
    "location", "loc", "coordinate", "coordinates", "coord", "coords", "lnglat", "latlng",
    "lonlat", "latlon", "gps", "point", "position", "geo",
})  # fmt: skip


def _decimals(value: str) -> int:
    return len(value.partition(".")[2])


def _in(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _axis_of(value: str) -> str | None:
    """``lat`` or ``lng`` by the range ``value`` is in, or None (outside both)."""
    number = float(value)
    return "lat" if _in(number, _LATITUDES) else "lng" if _in(number, _LONGITUDES) else None


def pair_valid(a: str, b: str, decimals: int = 4) -> bool:
    """``a`` and ``b`` (in either order) are a latitude and a longitude in mainland China,
    each with ``decimals`` decimals or more."""
    try:
        axes = {_axis_of(a), _axis_of(b)}
    except ValueError:
        return False
    return axes == {"lat", "lng"} and min(_decimals(a), _decimals(b)) >= decimals


def axis(name: str) -> str | None:
    """``lat`` or ``lng`` when a key or a column's header names one (``gps_lat``, ``userLng``,
    ``纬度``), else None (``经纬度`` names both)."""
    if "经纬" in name or "纬经" in name:
        return None
    if "纬度" in name or "北纬" in name:
        return "lat"
    if "经度" in name or "东经" in name:
        return "lng"
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    found = {_AXES[w] for w in re.split(r"[^a-z]+", spaced) if w in _AXES}
    return found.pop() if len(found) == 1 else None


def names_a_place(name: str) -> bool:
    """A key that holds a pair (``location``, ``coordinates``, ``lnglat``, ``经纬度``)."""
    if "经纬" in name or "坐标" in name or "位置" in name:
        return True
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return not _PLACE_WORDS.isdisjoint(re.split(r"[^a-z0-9]+", spaced))


def _hemispheres_agree(a: str, ha: str, b: str, hb: str) -> bool:
    """``N`` after the latitude and ``E`` after the longitude, where written."""
    return all(
        _HEMISPHERES[hemi.strip("°")] == _axis_of(value)
        for value, hemi in ((a, ha), (b, hb))
        if hemi.strip("°")
    )


def _pair(text: str, m: re.Match[str]) -> Hit | None:
    a, b, ha, hb = m.group("a"), m.group("b"), m.group("ha"), m.group("hb")
    end = m.end("hb")
    if _UNIT_AFTER.match(text, end) or not _hemispheres_agree(a, ha, b, hb):
        return None
    if ha or hb or _CUE.search(before(text, m.start(), 24).rpartition("\n")[2]):
        return ("gps", m.start(), end, 0.9) if pair_valid(a, b) else None
    if m.group("sep").strip() not in ("", ",") or not pair_valid(a, b, 5):
        return None
    if _NEIGHBOUR_BEFORE.search(before(text, m.start(), 24)) or _NEIGHBOUR_AFTER.match(text, end):
        return None  # a row of measurements, not a place
    return ("gps", m.start(), end, 0.85)


def _named(text: str) -> list[tuple[int, int, bool, str]]:
    """Each value in range after a latitude's or a longitude's name: (start, end, named a
    latitude?, ``lat`` or ``lng`` by its range)."""
    found = []
    for start in _KEY_START.finditer(lowered(text)):
        m = _KEYED.match(text, start.start())
        if m is None or not word_start(text, m.start()):
            continue
        value = m.group("value")
        by_range = _axis_of(value)
        if by_range and _decimals(value) >= 4 and not _AMOUNT_AFTER.match(text, m.end()):
            found.append((m.start("value"), m.end(), bool(m["lat"] or m["clat"]), by_range))
    return found


def _keyed(text: str) -> Iterator[Hit]:
    """Latitudes and longitudes each after its name, each with the other half near it (the
    nearest one not yet paired; a latitude and a longitude by their ranges, whichever name
    each has)."""
    named = _named(text)
    starts = [start for start, *_ in named]
    paired: set[int] = set()
    for i, (start, _, is_lat, by_range) in enumerate(named):
        if i in paired:
            continue
        window = range(bisect_left(starts, start - _WINDOW), bisect_right(starts, start + _WINDOW))
        near = [
            j
            for j in window
            if named[j][2] != is_lat and named[j][3] != by_range and j not in paired
        ]
        if near:
            paired.update((i, min(near, key=lambda j: abs(starts[j] - start))))
    for i in sorted(paired):
        yield ("gps", named[i][0], named[i][1], 0.95)


def coordinates(text: str) -> Iterator[Hit]:
    text = narrow(text)
    yield from _keyed(text)
    end = 0
    for m in _PAIR.finditer(text):
        if m.start() < end:
            continue
        hit = _pair(text, m)
        if hit is not None:
            end = hit[2]
            yield hit
