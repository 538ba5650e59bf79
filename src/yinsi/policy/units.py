"""``yinsi render --explain``: every sentence, list item and table cell with its sources.

A rendered document is cut into *units* — headings, list items, table cells, and the
sentences of a paragraph. Each unit lists the statements printed inside it (their
declaration paths and fixed-text ids) and, when the template itself wrote words around
them, the template's section (``tpl.policy:4.1``). A unit is as strong as its strongest
statement (:data:`~.provenance.KINDS`); a unit of template words only is boilerplate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yinsi.policy.provenance import TEMPLATE, Kind, parse_path, strongest
from yinsi.policy.record import Span

__all__ = ["Unit", "format_text", "report", "to_json", "units"]

_HEADING = re.compile(r"^(#{1,6}) (.*)$")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.? |^([一二三四五六七八九十]+)、")
_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")
_SENTENCE_END = "。！？"
_OPENERS, _CLOSERS = "（(“《「【", "）)”》」】"
_WORDS = re.compile(r"[\w\u2e80-\u9fff]")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Unit:
    """One sentence, list item, table cell or heading of a rendered document."""

    section: str
    text: str
    kind: Kind
    sources: tuple[str, ...]
    start: int
    end: int


def units(markdown: str, spans: Sequence[Span], doc: str) -> list[Unit]:
    """The units of ``markdown`` with the sources of the statements in ``spans``."""
    out: list[Unit] = []
    section = "title"
    offset = 0
    for line in markdown.split("\n"):
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) > 1:
            section = _section(heading.group(2))
        for start, end in _pieces(line):
            unit = _unit(markdown, offset + start, offset + end, spans, doc, section)
            if unit is not None:
                out.append(unit)
        offset += len(line) + 1
    return out


def _section(title: str) -> str:
    number = _NUMBER.match(title)
    if number:
        return number.group(1) or number.group(2)
    return title.strip()


def _pieces(line: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each unit of one line."""
    if not line.strip() or _RULE.match(line):
        return
    if line.startswith("|"):
        bars = [m.start() for m in _UNESCAPED_PIPE.finditer(line)]
        yield from zip([b + 1 for b in bars[:-1]], bars[1:], strict=True)
        return
    if _HEADING.match(line):
        yield 0, len(line)
        return
    yield from _sentences(line)


def _sentences(line: str) -> Iterator[tuple[int, int]]:
    depth, start = 0, 0
    for i, ch in enumerate(line):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif ch in _SENTENCE_END and depth == 0:
            yield start, i + 1
            start = i + 1
    if line[start:].strip():
        yield start, len(line)


def _unit(
    markdown: str, start: int, end: int, spans: Sequence[Span], doc: str, section: str
) -> Unit | None:
    text = markdown[start:end].strip()
    if not _WORDS.search(text):
        return None  # markup only: a rule (---), an empty cell
    inside = [s for s in spans if s.start < end and s.end > start]
    sources = [src for s in inside for src in s.statement.sources]
    covered = [(max(s.start, start), min(s.end, end)) for s in inside]
    if _WORDS.search(_outside(markdown, start, end, covered)):
        sources.append(f"{TEMPLATE}{doc}:{section}")
    kind = strongest(s.statement.kind for s in inside)
    return Unit(section, text, kind, tuple(dict.fromkeys(sources)), start, end)


def _outside(markdown: str, start: int, end: int, covered: list[tuple[int, int]]) -> str:
    """The text of ``markdown[start:end]`` not covered by any statement."""
    keep = [True] * (end - start)
    for a, b in covered:
        for i in range(a - start, b - start):
            keep[i] = False
    return "".join(ch for ch, k in zip(markdown[start:end], keep, strict=True) if k)


def _line(source: str, marks: Mapping[tuple[Any, ...], tuple[int, int]]) -> str:
    path = parse_path(source)
    for n in range(len(path), 0, -1):
        if path[:n] in marks:
            line = marks[path[:n]][0]
            return f"{source} (line {line})" if n == len(path) else f"{source} (≈ line {line})"
    return f"{source} (not written: a default)"


def _where(source: str, marks: Mapping[tuple[Any, ...], tuple[int, int]] | None) -> str:
    if source.startswith(TEMPLATE) or marks is None:
        return source
    return _line(source, marks)


def format_text(
    found: Sequence[Unit], marks: Mapping[tuple[Any, ...], tuple[int, int]] | None = None
) -> str:
    """One block per unit: ``[kind] §section text`` then ``  ← source`` lines."""
    lines: list[str] = []
    for unit in found:
        lines.append(f"[{unit.kind}] §{unit.section} {unit.text}")
        lines.extend(f"    ← {_where(s, marks)}" for s in unit.sources)
    return "\n".join(lines) + "\n"


def to_json(
    found: Sequence[Unit], marks: Mapping[tuple[Any, ...], tuple[int, int]] | None = None
) -> list[dict[str, Any]]:
    """The units as JSON-ready dicts; a declaration source carries its line when known."""
    out: list[dict[str, Any]] = []
    for unit in found:
        sources: list[dict[str, Any]] = []
        for source in unit.sources:
            entry: dict[str, Any] = {"source": source}
            if marks is not None and not source.startswith(TEMPLATE):
                path = parse_path(source)
                entry["line"] = marks[path][0] if path in marks else None
            sources.append(entry)
        out.append(
            {"section": unit.section, "kind": unit.kind, "text": unit.text, "sources": sources}
        )
    return out


def report(
    found: Sequence[Unit],
    marks: Mapping[tuple[Any, ...], tuple[int, int]] | None = None,
    as_json: bool = False,
) -> str:
    """``yinsi render --explain``: the units as text or JSON, with the lines of ``marks``
    (the loader's source map of the declaration file) when given."""
    if as_json:
        return json.dumps(to_json(found, marks), ensure_ascii=False, indent=2) + "\n"
    return format_text(found, marks)
