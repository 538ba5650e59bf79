"""What a detector reports, and the kinds it knows with the element each is evidence for."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of PI found in a text: ``text[start:end]`` is the value, exactly.

    ``kind`` is the detector (``id_number``, ``mobile`` …), ``element`` the taxonomy
    element it is evidence for, ``confidence`` between 0 and 1. A finding holds no value,
    only its span, so it can be logged.
    """

    kind: str
    element: str
    start: int
    end: int
    confidence: float


KINDS: MappingProxyType[str, str] = MappingProxyType(
    {
        "id_number": "id_number",
        "mobile": "mobile_number",
        "landline": "landline_number",
        "bank_card": "bank_card",
        "uscc": "business_licence",
        "passport": "other_id_number",
        "hk_macau_permit": "other_id_number",
        "taiwan_permit": "other_id_number",
        "plate": "vehicle_info",
        "imei": "imei",
        "meid": "meid",
        "imsi": "imsi",
        "iccid": "iccid",
        "android_id": "android_id",
        "idfa": "idfa",
        "idfv": "idfv",
        "oaid": "oaid",
        "mac": "mac_address",
        "ipv4": "ip_address",
        "ipv6": "ip_address",
        "email": "email",
        "qq": "third_party_account_id",
        "wechat": "third_party_account_id",
        "birth_date": "birth_date",
        "person_name": "name",
        "address": "address",
        "gps": "precise_location",
    }
)
"""Every detector kind and the taxonomy element it is evidence for.

A landline is evidence for ``landline_number`` (固定电话号码), a passport or permit number
for ``other_id_number`` (其他证件号码: never ``id_number``, whose label says 身份证号码), a
USCC for ``business_licence`` (the catalogue has no element of its own for it), a plate
for ``vehicle_info``, a QQ number or a WeChat id for ``third_party_account_id``
(第三方平台账号标识), a pair of GPS coordinates for ``precise_location`` (精确位置信息,
sensitive); each device identifier for the element of the same id."""

KIND_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "id_number": "身份证号码",
        "mobile": "手机号码",
        "landline": "固定电话",
        "bank_card": "银行卡号",
        "uscc": "统一社会信用代码",
        "passport": "护照号码",
        "hk_macau_permit": "港澳通行证",
        "taiwan_permit": "台湾通行证",
        "plate": "车牌号码",
        "imei": "IMEI",
        "meid": "MEID",
        "imsi": "IMSI",
        "iccid": "ICCID",
        "android_id": "Android ID",
        "idfa": "IDFA",
        "idfv": "IDFV",
        "oaid": "OAID",
        "mac": "MAC地址",
        "ipv4": "IPv4地址",
        "ipv6": "IPv6地址",
        "email": "电子邮箱",
        "qq": "QQ号码",
        "wechat": "微信号",
        "birth_date": "出生日期",
        "person_name": "姓名",
        "address": "地址",
        "gps": "GPS经纬度",
    }
)
"""Every detector kind's short Chinese name, as ``yinsi scan`` prints it (one for each of
:data:`KINDS`: a test holds them to the same keys)."""
