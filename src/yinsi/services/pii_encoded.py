"""PI written percent-encoded, as access logs and URLs carry it (``yinsi scan``).

``?realName=%E5%BC%A0%E4%B8%89&address=%E5%8C%97…`` hides a name and an address from
every detector, which reads characters, not UTF-8 bytes spelled in hex. Each run of
percent-encoded text that holds a non-ASCII character is decoded (UTF-8, ``+`` a space),
read by the detectors and by the key before it (``realName=``: :func:`.pii_cues.key_finding`),
and each finding is placed back on the encoded characters it came from, so the masked
snippet hides them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from yinsi.services.pii_cues import decoded_findings
from yinsi.taxonomy.detectors import Finding

__all__ = ["encoded_findings"]

_ANCHOR = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")
"""An encoded byte of a non-ASCII character (UTF-8: 0x80 and above)."""
_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~+-])+")
"""Percent-encoded text read forward from its start: escapes and unreserved characters."""
_UNRESERVED = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._~+-")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_KEY = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,40})=$")
_PIECE = re.compile(r"(?P<bytes>(?:%[0-9A-Fa-f]{2})+)|(?P<plain>[^%])")


def encoded_findings(text: str, kinds: Collection[str] | None) -> list[Finding]:
    """Findings in the percent-encoded runs of ``text``, by their offsets in ``text``.
    Linear in the text: a run is found from each encoded byte not already in one, by
    walking back to where it starts (:func:`_run_start`)."""
    known: dict[str, str | None] = {}
    found: list[Finding] = []
    done = 0
    for anchor in _ANCHOR.finditer(text):
        if anchor.start() < done:
            continue
        start = _run_start(text, anchor.start(), done)
        run = _RUN.match(text, start)
        assert run is not None  # it starts with a whole escape or unreserved character
        done = run.end()
        decoded = _decoded(run.group(), start)
        if decoded is None:
            continue
        value, starts, ends = decoded
        key = _KEY.search(text, max(0, start - 42), start)
        found += decoded_findings(value, starts, ends, key and key.group("key"), kinds, known)
    return found


def _run_start(text: str, at: int, floor: int) -> int:
    """Where the run holding the escape at ``at`` starts: walked back a whole escape
    (``%XX``) or an unreserved character at a time, not below ``floor``. A lone ``%``
    before it (``50%%E5…``) is no part of it."""
    while at > floor:
        if at - 3 >= floor and _ESCAPE.fullmatch(text, at - 3, at):
            at -= 3
        elif text[at - 1] in _UNRESERVED:
            at -= 1
        else:
            break
    return at


def _decoded(run: str, offset: int) -> tuple[str, list[int], list[int]] | None:
    """``run`` decoded, with each decoded character's start and end in the text; None if
    its bytes are not UTF-8 (another encoding: GBK in hex is left alone)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for piece in _PIECE.finditer(run):
        at = offset + piece.start()
        if piece.group("plain") is not None:
            chars.append(" " if piece.group("plain") == "+" else piece.group("plain"))
            starts.append(at)
            ends.append(at + 1)
            continue
        try:
            block = bytes.fromhex(piece.group("bytes").replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return None
        for char in block:
            width = 3 * len(char.encode("utf-8"))  # %XX per byte
            chars.append(char)
            starts.append(at)
            ends.append(at + width)
            at += width
    return "".join(chars), starts, ends
