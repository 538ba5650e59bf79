"""The highlighted difference between two versions of the policy text, line by line.

Both versions are rendered to Markdown by :func:`yinsi.policy.render` (the very text users
read), reduced to plain lines, and compared with :mod:`difflib`. A changed line is
compared again character by character, so the page can mark just the words that changed
(``<del>`` / ``<ins>``). Only the changed passages are kept, with a line of context.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Hunk", "Line", "Piece", "plain_lines", "text_diff"]

PieceKind = Literal["same", "ins", "del"]
LineKind = Literal["same", "ins", "del", "changed"]

_ESCAPE = re.compile(r"\\([\\`*_\[\]<>|~#&.)\-+!])")
_MARK = re.compile(r"^(#{1,6}\s+|>\s*|[-*+]\s+)")
_STRONG = re.compile(r"\*\*|__")
_RULE = re.compile(r"^\|?\s*:?-{3,}")
_LINK = re.compile(r"<(https?://[^>\s]+)>")
SIMILAR = 0.4
"""Two lines less alike than this are shown as one removed and one added, not word by word."""


@dataclass(frozen=True, slots=True)
class Piece:
    text: str
    kind: PieceKind


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Hunk:
    """One changed passage: its lines, with unchanged context around the changes."""

    lines: tuple[Line, ...]


def plain_lines(markdown: str) -> list[str]:
    """Markdown as the text a reader sees: marks, escapes and table rules removed."""
    out = []
    for raw in markdown.splitlines():
        line = raw.strip().removesuffix("\\").rstrip()  # a hard line break
        if not line or _RULE.match(line):
            continue
        if line.startswith("|"):
            line = "｜".join(cell.strip() for cell in line.strip("|").split("|"))
        line = _LINK.sub(r"\1", _STRONG.sub("", _MARK.sub("", line)))
        out.append(_ESCAPE.sub(r"\1", line))
    return out


def text_diff(old: str, new: str, *, context: int = 1) -> list[Hunk]:
    """The changed passages from Markdown ``old`` to ``new`` (empty when the text is the same)."""
    a, b = plain_lines(old), plain_lines(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(context):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("same", (Piece(t, "same"),)) for t in a[i1:i2]]
            elif tag == "delete":
                lines += [Line("del", (Piece(t, "del"),)) for t in a[i1:i2]]
            elif tag == "insert":
                lines += [Line("ins", (Piece(t, "ins"),)) for t in b[j1:j2]]
            else:
                lines += _replaced(a[i1:i2], b[j1:j2])
        hunks.append(Hunk(tuple(lines)))
    return hunks


def _replaced(old: list[str], new: list[str]) -> list[Line]:
    """Lines replaced by others: pairs are marked word by word, the rest whole."""
    lines: list[Line] = []
    for o, n in zip(old, new, strict=False):
        if difflib.SequenceMatcher(None, o, n, autojunk=False).ratio() >= SIMILAR:
            lines.append(Line("changed", _inline(o, n)))
        else:
            lines += [Line("del", (Piece(o, "del"),)), Line("ins", (Piece(n, "ins"),))]
    lines += [Line("del", (Piece(t, "del"),)) for t in old[len(new) :]]
    lines += [Line("ins", (Piece(t, "ins"),)) for t in new[len(old) :]]
    return lines


def _inline(old: str, new: str) -> tuple[Piece, ...]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece(old[i1:i2], "same"))
            continue
        if i2 > i1:
            pieces.append(Piece(old[i1:i2], "del"))
        if j2 > j1:
            pieces.append(Piece(new[j1:j2], "ins"))
    return tuple(pieces)
