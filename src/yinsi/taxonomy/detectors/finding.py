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
        "mac": "mac_address",
        "ipv4": "ip_address",
        "ipv6": "ip_address",
        "email": "email",
        "qq": "third_party_account_id",
        "wechat": "third_party_account_id",
        "birth_date": "birth_date",
        "person_name": "name",
        "address": "address",
    }
)
"""Every detector kind and the taxonomy element it is evidence for.

A landline is evidence for ``landline_number`` (固定电话号码), a passport or permit number
for ``other_id_number`` (其他证件号码: never ``id_number``, whose label says 身份证号码), a
USCC for ``business_licence`` (the catalogue has no element of its own for it), a plate
for ``vehicle_info``, a QQ number or a WeChat id for ``third_party_account_id``
(第三方平台账号标识)."""
