"""Letter-and-digit PI: travel documents, licence plates, MAC and IP addresses, e-mail, and
QQ numbers and WeChat ids after their name (``QQ号：``, ``微信号``)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from yinsi.taxonomy.detectors.context import CLOSE, OPEN, Hit, before, cue, has_cue, narrow

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
    text = narrow(text)
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
    text = narrow(text)
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
    r"(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}"
    r"(?![0-9A-Za-z:]|\.[0-9])"
)
# An IPv6 address written with an IPv4 address as its last 32 bits (``::ffff:1.2.3.4``,
# the IPv4-mapped form a dual-stack server logs): reported whole, as the IPv4 address it is.
_IPV6_HEAD = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f:]{2,30}:$")
_VERSION_CUE = cue(r"版本|升级|version|build|(?<![a-z])ver\.?|(?<![a-z])v\s?$")
# A version, not an address: after a product and a slash (``Chrome/120.0.0.0`` in a user
# agent; not ``http://``), after a software word (``sdk 2.1.0.8``, ``APP 5.2.1.1``), or as
# the value of a key naming a version (``"osVersion": "12.0.0.180"``, ``sdk_ver=``).
_VERSION_BEFORE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9_.-]*/"
    r"|(?<![A-Za-z])(?:sdk|app|apk|os|ios|android|harmonyos|emui|miui|rom|firmware|kernel"
    r"|固件|系统|客户端|插件|内核)\s?v?)$",
    re.IGNORECASE,
)
_KEY = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9_-]{0,40})[\"']?\s*[:=]\s*[\"']?$")
_VERSION_WORDS = frozenset({"version", "ver", "sdk", "build", "rom", "fw", "firmware", "os"})
# Well-known public DNS resolvers: a network's configuration, never a person's address.
_PUBLIC_RESOLVERS = frozenset(
    {
        "1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "114.114.114.114",
        "114.114.115.115", "119.29.29.29", "180.76.76.76", "223.5.5.5", "223.6.6.6",
        "208.67.222.222", "208.67.220.220",
    }
)  # fmt: skip
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)


def macs(text: str) -> Iterator[Hit]:
    """A MAC address; not all zeros or all ones, nor 02:00:00:00:00:00, the fixed one
    Android (6 and later) and iOS give every app that asks for it."""
    text = narrow(text)
    for m in _MAC.finditer(text):
        hexdigits = re.sub(r"[^0-9A-Fa-f]", "", m.group()).lower()
        if hexdigits not in ("000000000000", "ffffffffffff", "020000000000"):
            yield ("mac", m.start(), m.end(), 0.95)


def _a_version(text: str, start: int) -> bool:
    """The dotted quad at ``start`` is a version number (:data:`_VERSION_BEFORE`)."""
    return bool(
        _VERSION_CUE.search(before(text, start, 8))
        or _VERSION_BEFORE.search(before(text, start, 24))
        or _version_key(before(text, start, 48))
    )


def _version_key(head: str) -> bool:
    """``head`` ends with a key (``osVersion":"``, ``sdk_ver=``) with a word naming a version."""
    m = _KEY.search(head)
    if m is None:
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", m.group("key")).lower()
    return "version" in words or not _VERSION_WORDS.isdisjoint(re.split(r"[^a-z]+", words))


def ipv4s(text: str) -> Iterator[Hit]:
    """An IPv4 address; not 0.*, 127.*, 255.*, a network's x.0.0.0, a public DNS resolver
    or a version number; with the IPv6 head of an IPv4-mapped address."""
    text = narrow(text)
    for m in _IPV4.finditer(text):
        value, start = m.group(), m.start()
        if (
            value.split(".", 1)[0] in ("0", "127", "255")
            or value.endswith(".0.0.0")
            or value in _PUBLIC_RESOLVERS
            or _a_version(text, start)
        ):
            continue
        head = (
            _IPV6_HEAD.search(text, max(0, start - 30), start)
            if text[start - 1 : start] == ":"
            else None
        )
        if head is not None and _an_ipv6(head.group() + value):
            start = head.start()
        yield ("ipv4", start, m.end(), 0.9)


def _an_ipv6(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def ipv6s(text: str) -> Iterator[Hit]:
    text = narrow(text)
    for m in _IPV6.finditer(text):
        try:
            address = ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            yield ("ipv6", m.start(), m.end(), 0.95)


def emails(text: str) -> Iterator[Hit]:
    text = narrow(text)
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
    text = narrow(text)
    for m in _QQ.finditer(text):
        yield ("qq", m.start("id"), m.end("id"), 0.9)
    for m in _WECHAT.finditer(text):
        yield ("wechat", m.start("id"), m.end("id"), 0.9)
