"""Device identifiers of a risk-control log, after their name (a bare UUID or run of hex
digits could be anything): IDFA and IDFV (a UUID, after ``idfa``, ``idfv``,
``广告标识符``), OAID (a UUID, or 16, 32 or 64 hex digits), Android ID (16 hex digits,
after ``androidId``, ``android_id``, ``ssaid``), IMSI (15 digits, MCC 460), ICCID (19 or 20
digits starting 8986; a 19-digit one passes the Luhn check, the 20th digit of a 20-digit one
may overwrite it, ITU-T E.118) and MEID (14 hex digits, regional code A0–FF or 99).

Placeholders are no one's identifier: all zeros (the IDFA of iOS with Limit Ad Tracking
on, an OAID switched off), one digit repeated, and Android 2.2's shared ``9774d56d682e549c``.
An IMSI is also taken bare, with less confidence, when its MCC is 460 and its MNC one of
China's operators' (00–09, 11, 15, 20).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from yinsi.taxonomy.detectors.context import (
    CLOSE,
    OPEN,
    Hit,
    looks_like_other_number,
    lowered,
    narrow,
    word_start,
)
from yinsi.taxonomy.formats import luhn_valid

__all__ = ["DEVICE_KINDS", "bare_imsis", "device_id_valid", "device_ids"]

DEVICE_KINDS = ("idfa", "idfv", "oaid", "android_id", "imsi", "iccid", "meid")
"""The detector kinds of device identifiers, each the taxonomy element of the same id."""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX = re.compile(r"[0-9a-f]+")
_NAMES = {
    "idfa": r"idfa|advertising_?identifier|广告标识符?",
    "idfv": r"idfv|identifier_?for_?vendor",
    "oaid": r"oaid|匿名设备标识符?",
    "android_id": r"android[ _-]?id|ssaid|安卓\s?id",
    "imsi": r"imsi|国际移动用户识别码",
    "iccid": r"iccid|集成电路卡识别码",
    "meid": r"meid|移动设备识别码",
}
_DEVICE_ID = re.compile(
    "(?:"
    + "|".join(f"(?P<{kind}>{names})" for kind, names in _NAMES.items())
    + r")(?:[_-]?[0-9])?(?:号码|号)?[\\\"')）]{0,3}[ \t]*(?:[:=：]|是|为)?[ \t]*[\\\"']{0,2}"
    r"(?P<value>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"|[0-9A-Fa-f]{14,64})(?![0-9A-Za-z-])",
    re.IGNORECASE,
)
_NAME_START = re.compile(
    "idf|oaid|android|ssaid|imsi|iccid|meid|advertising|identifier"
    "|广告标识|匿名设备|安卓|国际移动|集成电路|移动设备"
)
"""Where a name of :data:`_NAMES` may start, in lower case: found fast, then matched."""
_SHARED_ANDROID_ID = "9774d56d682e549c"
_CHINA_MNCS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "11", "15", "20")
_BARE_IMSI = re.compile(OPEN + "460(?:" + "|".join(_CHINA_MNCS) + ")[0-9]{10}" + CLOSE)


def _placeholder(value: str) -> bool:
    """All zeros, or one character repeated (``ffffffffffffffff``)."""
    return len(set(value.replace("-", ""))) <= 1


def _shape_valid(kind: str, value: str) -> bool:
    hexadecimal = _HEX.fullmatch(value) is not None
    if kind in ("idfa", "idfv"):
        return _UUID.fullmatch(value) is not None
    if kind == "oaid":
        return _UUID.fullmatch(value) is not None or (hexadecimal and len(value) in (16, 32, 64))
    if kind == "android_id":
        return hexadecimal and len(value) == 16 and value != _SHARED_ANDROID_ID
    if kind == "imsi":
        return value.isdigit() and len(value) == 15 and value.startswith("460")
    if kind == "iccid":
        digits = value.isdigit() and value.startswith("8986")
        return digits and (len(value) == 20 or (len(value) == 19 and luhn_valid(value)))
    if kind == "meid":
        return hexadecimal and len(value) == 14 and (value[0] in "abcdef" or value[:2] == "99")
    return False


def device_id_valid(kind: str, value: str) -> bool:
    """``value`` (surrounding blanks aside) has the shape of a device identifier of ``kind``
    (one of :data:`DEVICE_KINDS`) and is no placeholder."""
    value = value.strip().lower()
    return value.isascii() and not _placeholder(value) and _shape_valid(kind, value)


def device_ids(text: str) -> Iterator[Hit]:
    """A device identifier right after its name (``oaid=``, ``"android_id": "``, ``IMSI：``)."""
    text = narrow(text)
    for start in _NAME_START.finditer(lowered(text)):
        m = _DEVICE_ID.match(text, start.start())
        if m is None or not word_start(text, m.start()):
            continue
        kind = next(k for k in _NAMES if m.group(k))
        if device_id_valid(kind, m.group("value")):
            yield (kind, m.start("value"), m.end("value"), 0.98)


def bare_imsis(text: str) -> Iterator[Hit]:
    """An IMSI with no name before it: MCC 460 and a Chinese operator's MNC (an ID number
    or an IMEI that reads the same is found with more confidence, and wins)."""
    text = narrow(text)
    for m in _BARE_IMSI.finditer(text):
        if not looks_like_other_number(text, m.start(), m.end()):
            yield ("imsi", m.start(), m.end(), 0.7)
