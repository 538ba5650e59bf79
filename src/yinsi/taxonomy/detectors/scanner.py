"""Run the detectors over a text and keep the best finding where spans overlap."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator

from yinsi.taxonomy.detectors import devices, identifiers, locations, numbers, text
from yinsi.taxonomy.detectors.context import Hit
from yinsi.taxonomy.detectors.finding import KINDS, Finding

_Detector = Callable[[str], Iterator[Hit]]

# Each detector and the kinds it may report, most specific first: where two findings
# overlap, the higher confidence wins, then the longer span, then this order.
_DETECTORS: tuple[tuple[_Detector, frozenset[str]], ...] = (
    (devices.device_ids, frozenset(devices.DEVICE_KINDS)),
    (numbers.digit_runs, frozenset({"id_number", "bank_card", "imei"})),
    (numbers.uscc, frozenset({"uscc"})),
    (numbers.mobiles, frozenset({"mobile"})),
    (numbers.landlines, frozenset({"landline"})),
    (identifiers.documents, frozenset({"passport", "hk_macau_permit", "taiwan_permit"})),
    (identifiers.plates, frozenset({"plate"})),
    (identifiers.macs, frozenset({"mac"})),
    (identifiers.ipv4s, frozenset({"ipv4"})),
    (identifiers.ipv6s, frozenset({"ipv6"})),
    (identifiers.emails, frozenset({"email"})),
    (identifiers.messaging_ids, frozenset({"qq", "wechat"})),
    (locations.coordinates, frozenset({"gps"})),
    (devices.bare_imsis, frozenset({"imsi"})),
    (text.birth_dates, frozenset({"birth_date"})),
    (text.names, frozenset({"person_name"})),
    (text.addresses, frozenset({"address"})),
)


def _check_kinds(kinds: Collection[str]) -> frozenset[str]:
    unknown = sorted(set(kinds) - KINDS.keys())
    if unknown:
        known = ", ".join(sorted(KINDS))
        raise ValueError(f"unknown detector kind(s) {', '.join(unknown)}; known kinds: {known}")
    return frozenset(kinds)


def detect(text: str, kinds: Collection[str] | None = None) -> list[Finding]:
    """Every piece of PI in ``text``, in order of position, without overlaps.

    ``kinds`` limits the search to those detector kinds (see :data:`KINDS`); an unknown
    kind raises ``ValueError``. ``text[f.start:f.end]`` is the value, exactly.
    """
    wanted = _check_kinds(kinds) if kinds is not None else frozenset(KINDS)
    hits: list[tuple[Hit, int]] = []
    for rank, (detector, reports) in enumerate(_DETECTORS):
        if reports & wanted:
            hits.extend((hit, rank) for hit in detector(text) if hit[0] in wanted)
    hits.sort(key=lambda item: (-item[0][3], item[0][1] - item[0][2], item[1]))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[Hit] = []
    for hit, _ in hits:
        _, start, end, _ = hit
        i = bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        kept.append(hit)
    kept.sort(key=lambda hit: hit[1])
    return [Finding(kind, KINDS[kind], start, end, conf) for kind, start, end, conf in kept]
