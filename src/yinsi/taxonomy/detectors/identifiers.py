"""Letter-and-digit PI: travel documents, licence plates, MAC and IP addresses, e-mail, and
QQ numbers and WeChat ids after their name (``QQ号：``, ``微信号``)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from yinsi.taxonomy.detectors.context import CLOSE, OPEN, Hit, before, cue, has_cue

# Ordinary passports: E + 8 digits, or E + a letter (not I/O) + 7 digits for the newer
# e-passports; G + 8 digits for the older ones. Exit-entry permits for Hong Kong and
# Macau: C (card) or W (booklet) + 8 digits or a letter + 7 digits; the home-return
# permit of Hong Kong (H) and Macau (M) residents: 8 or 10 digits. Mainland residents'
# Taiwan permit: L + 8 digits; Taiwan residents' mainland permit (台胞证): 8 digits after
# its name.
_DOCUMENTS = re.compile(
    OPEN + r"(?:(?P<passport>E[A-HJ-NP-Z0-9][0-9]{7}|G[0-9]{8})"
    r"|(?P<hk_macau_permit>[CW][A-HJ-NP-Z0-9][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?)"
    r"|(?P<taiwan_permit>L[0-9]{8}))" + CLOSE
)
_TAIWAN_RESIDENT = re.compile(
    r"(?:台胞证|台湾居民来往大陆通行证)(?:号码|号)?[:：\s]*(?P<number>[0-9]{8})" + CLOSE
)
_DOCUMENT_CUES = {
    "passport": cue(r"护照|passport"),
    "hk_macau_permit": cue(r"港澳|通行证|回乡证"),
    "taiwan_permit": cue(r"台湾|台胞|通行证"),
}


def documents(text: str) -> Iterator[Hit]:
    for m in _DOCUMENTS.finditer(text):
        kind = m.lastgroup or "passport"
        confidence = 0.95 if has_cue(text, m.start(), _DOCUMENT_CUES[kind], 16) else 0.7
        yield (kind, m.start(), m.end(), confidence)
    for m in _TAIWAN_RESIDENT.finditer(text):
        yield ("taiwan_permit", m.start("number"), m.end("number"), 0.95)


# --- licence plates (GA 36-2018) -------------------------------------------------------

_PROVINCE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    f"[{_PROVINCE_ABBR}][A-HJ-NP-Z][·• ]?"
    r"(?P<tail>[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])"
    r"(?![0-9A-Za-z])"
)


def plates(text: str) -> Iterator[Hit]:
    for m in _PLATE.finditer(text):
        tail = m.group("tail")
        if len(tail) == 5 and sum(c.isdigit() for c in tail) < 3:
            continue
        yield ("plate", m.start(), m.end(), 0.9)


# --- network and device identifiers ----------------------------------------------------

_MAC = re.compile(
    r"(?<![0-9A-Za-z:-])(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Za-z:-])"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(
    r"(?<![0-9A-Za-z.])" + rf"(?:{_OCTET}\.){{3}}{_OCTET}" + r"(?![0-9A-Za-z]|\.[0-9])"
)
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}(?![0-9A-Za-z:])"
)
_VERSION_CUE = cue(r"版本|升级|version|build|ver\.?|v\s?$")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def macs(text: str) -> Iterator[Hit]:
    for m in _MAC.finditer(text):
        hexdigits = re.sub(r"[^0-9A-Fa-f]", "", m.group()).lower()
        if hexdigits not in ("000000000000", "ffffffffffff"):
            yield ("mac", m.start(), m.end(), 0.95)


def ipv4s(text: str) -> Iterator[Hit]:
    for m in _IPV4.finditer(text):
        first = m.group().split(".", 1)[0]
        if first in ("0", "127", "255") or _VERSION_CUE.search(before(text, m.start(), 8)):
            continue
        yield ("ipv4", m.start(), m.end(), 0.9)


def ipv6s(text: str) -> Iterator[Hit]:
    for m in _IPV6.finditer(text):
        try:
            address = ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            yield ("ipv6", m.start(), m.end(), 0.95)


def emails(text: str) -> Iterator[Hit]:
    for m in _EMAIL.finditer(text):
        local = m.group().split("@", 1)[0]
        if ".." not in local and not local.endswith("."):
            yield ("email", m.start(), m.end(), 0.98)


# --- instant-messaging accounts (a cue is required: the bare value is any number or word)

_QQ = re.compile(
    r"(?:QQ|qq|Qq)\s*(?:号码|号|账号|帐号)?\s*(?:[:：]|是|为)?\s*(?P<id>[1-9][0-9]{4,10})(?![0-9])"
)
_WECHAT = re.compile(
    r"(?:微信|weixin|WeChat|wechat|Wechat)\s*(?:号|账号|帐号|ID|id)?\s*(?:[:：]|是|为)?\s*"
    r"(?P<id>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
)


def messaging_ids(text: str) -> Iterator[Hit]:
    """A QQ number (5 to 11 digits) or a WeChat id (6 to 20 letters, digits, ``_`` or
    ``-``, starting with a letter) right after its name."""
    for m in _QQ.finditer(text):
        yield ("qq", m.start("id"), m.end("id"), 0.9)
    for m in _WECHAT.finditer(text):
        yield ("wechat", m.start("id"), m.end("id"), 0.9)
