"""Which PI element a column holds, judged from a sample of its values.

Used by data-map discovery: the result says how many values matched and as what, never
which values. A value matches a kind when a detector finds it whole (surrounding blanks
aside); names, addresses and dates of birth, which need a cue in running text, are read
from the bare value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from yinsi.taxonomy.detectors.context import narrow
from yinsi.taxonomy.detectors.finding import KINDS
from yinsi.taxonomy.detectors.scanner import detect
from yinsi.taxonomy.detectors.text import BARE_DATE, date_valid, is_address, is_name

LABELS = {
    "id_number": "有效的身份证号码（GB 11643 校验通过）",
    "mobile": "已分配号段的手机号码",
    "landline": "带区号的固定电话号码",
    "bank_card": "有效的银行卡号（Luhn 校验及发卡行标识）",
    "uscc": "有效的统一社会信用代码（GB 32100 校验通过）",
    "passport": "护照号码",
    "hk_macau_permit": "港澳通行证号码",
    "taiwan_permit": "台湾通行证号码",
    "plate": "机动车号牌",
    "imei": "有效的 IMEI（Luhn 校验通过）",
    "meid": "MEID（14 位十六进制）",
    "imsi": "中国运营商的 IMSI（460 开头）",
    "iccid": "中国的 SIM 卡 ICCID（8986 开头）",
    "android_id": "Android ID（16 位十六进制）",
    "idfa": "IDFA",
    "idfv": "IDFV",
    "oaid": "OAID",
    "mac": "MAC 地址",
    "ipv4": "IPv4 地址",
    "ipv6": "IPv6 地址",
    "email": "电子邮箱地址",
    "qq": "QQ 号码",
    "wechat": "微信号",
    "birth_date": "可能为出生日期的日期（1900 年至今）",
    "person_name": "以常见姓氏开头的中文姓名",
    "address": "写到门牌号的地址",
    "gps": "中国境内的经纬度坐标",
}
"""What a value of each kind is, in Chinese, for the evidence of a classification."""

_BIRTH_YEARS = range(1900, date.today().year - 5)


def _bare_kind(value: str) -> str | None:
    """The kind of a whole value with no context, or None."""
    findings = detect(value)
    if len(findings) == 1 and findings[0].start == 0 and findings[0].end == len(value):
        return findings[0].kind
    if is_name(value):
        return "person_name"
    if is_address(value):
        return "address"
    # A date alone, or at midnight (a DATETIME column holding dates): a time of day
    # makes it an event (created_at), not a birth. Full-width digits read as ASCII.
    value = narrow(value)
    day, _, time = value.partition(" ") if " " in value else value.partition("T")
    m = BARE_DATE.fullmatch(day) if time.rstrip("Z") in ("", "00:00:00", "00:00") else None
    if m is not None and date_valid(m) and int(m.group("y")) in _BIRTH_YEARS:
        return "birth_date"
    return None


def classify_values(values: Iterable[str]) -> list[tuple[str, float, str]]:
    """(element, share of non-empty values that matched, evidence), best first.

    The evidence reads like ``20 个非空值中 18 个是有效的身份证号码（GB 11643 校验通过）``;
    no value is returned, kept or logged. Elements no value matched are left out.
    """
    total = 0
    per_kind: Counter[str] = Counter()
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        total += 1
        kind = _bare_kind(value)
        if kind is not None:
            per_kind[kind] += 1
    per_element: dict[str, tuple[int, list[tuple[int, str]]]] = {}
    for kind, count in per_kind.items():
        element = KINDS[kind]
        matched, parts = per_element.get(element, (0, []))
        per_element[element] = (matched + count, [*parts, (count, kind)])
    result = []
    for element, (matched, parts) in per_element.items():
        evidence = "；".join(
            f"{total} 个非空值中 {count} 个是{LABELS[kind]}"
            for count, kind in sorted(parts, reverse=True)
        )
        result.append((element, matched / total, evidence))
    result.sort(key=lambda item: (-item[1], item[0]))
    return result
