"""Bounds on the YAML yinsi reads from people: bytes, characters, nodes, depth and aliases.

A YAML file can be small and still cost without bound: nine lines of aliases (a "billion
laughs", 342 bytes) expand to 10⁹ strings, and a 10 MB list of two million items builds
two million Python objects. yinsi refuses such input *before* building anything:

1. the size (:attr:`YamlLimits.max_bytes`), checked on the file's size before reading;
2. characters YAML forbids (NUL, BEL, ESC and the other C0/C1 controls, lone surrogates),
   found with one regular-expression search so each gets ``LINE:COL`` and its name;
3. one pass over the parser's events (:func:`scan`; libyaml's streaming parser, no node
   tree), counting the nodes *as if every alias were expanded*, the characters of their
   scalars, the nesting depth and the aliases. It stops at the first limit passed, so a
   bomb costs microseconds. Only then does the loader compose and walk the tree.

The defaults are constants here (documented in ``docs/operations.md``); the entry points
pass other values from :class:`yinsi.settings.inputs.InputSettings`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXPANDED_CHARS",
    "MAX_NODES",
    "YamlLimitError",
    "YamlLimits",
    "forbidden_character",
    "scan",
]

MAX_BYTES = 2_000_000
"""A file (or text) larger than this many bytes (UTF-8) is refused; the largest example
declaration is 120 kB."""
MAX_NODES = 100_000
"""Nodes (scalars, lists, mappings) after expanding every alias; the example has 4,600."""
MAX_DEPTH = 64
"""Lists and mappings nested deeper than this (aliases counted where they expand)."""
MAX_ALIASES = 1_000
"""Aliases (``*name``) in one document."""
MAX_EXPANDED_CHARS = 8_000_000
"""Characters of every scalar after expanding aliases (one long text aliased many times)."""


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """The bounds one read of YAML text is held to (see the module docstring)."""

    max_bytes: int = MAX_BYTES
    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_expanded_chars: int = MAX_EXPANDED_CHARS

    @classmethod
    def of(cls, inputs: Any) -> YamlLimits:
        """The limits of an ``inputs`` settings section
        (:class:`yinsi.settings.inputs.InputSettings`: ``yaml_max_bytes`` …)."""
        return cls(
            max_bytes=inputs.yaml_max_bytes,
            max_nodes=inputs.yaml_max_nodes,
            max_depth=inputs.yaml_max_depth,
            max_aliases=inputs.yaml_max_aliases,
            max_expanded_chars=inputs.yaml_max_expanded_chars,
        )


DEFAULT_LIMITS = YamlLimits()


class YamlLimitError(Exception):
    """The text passes a limit or holds a forbidden character; 1-based ``line``/``column``."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
"""What YAML 1.1 does not allow in a stream (tab, LF, CR and NEL are allowed)."""

_C0_NAMES = [
    "NUL",
    "SOH",
    "STX",
    "ETX",
    "EOT",
    "ENQ",
    "ACK",
    "BEL",
    "BS",
    "HT",
    "LF",
    "VT",
    "FF",
    "CR",
    "SO",
    "SI",
    "DLE",
    "DC1",
    "DC2",
    "DC3",
    "DC4",
    "NAK",
    "SYN",
    "ETB",
    "CAN",
    "EM",
    "SUB",
    "ESC",
    "FS",
    "GS",
    "RS",
    "US",
]


def _name(char: str) -> str:
    code = ord(char)
    if code < 32:
        return f"U+{code:04X} ({_C0_NAMES[code]})"
    if code == 0x7F:
        return "U+007F (DEL)"
    name = unicodedata.name(char, "control character" if code < 0xA0 else "non-character")
    return f"U+{code:04X} ({name})"


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of the character at ``offset``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def forbidden_character(text: str) -> YamlLimitError | None:
    """The first character YAML does not allow in ``text``, as an error, or None."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    line, column = line_column(text, found.start())
    return YamlLimitError(
        line,
        column,
        f"control character {_name(found.group())} is not allowed in YAML; "
        "remove it (write \\t, \\n or \\u escapes inside double quotes for special characters)",
    )


def too_large(size: int, limits: YamlLimits) -> str | None:
    """Why ``size`` bytes are too many, or None."""
    if size <= limits.max_bytes:
        return None
    return (
        f"the file is {size:,} bytes; the limit is {limits.max_bytes:,} "
        "(setting inputs.yaml_max_bytes, YINSI_INPUTS__YAML_MAX_BYTES)"
    )


def text_too_large(text: str, limits: YamlLimits) -> str | None:
    """Like :func:`too_large` for text (counted in UTF-8 bytes)."""
    if len(text) * 4 <= limits.max_bytes:  # no need to encode: it cannot be too large
        return None
    return too_large(len(text.encode("utf-8", "surrogatepass")), limits)


class _Frame:
    """An open list or mapping: the expanded size of what it holds so far."""

    __slots__ = ("anchor", "chars", "height", "nodes")

    def __init__(self, anchor: str | None) -> None:
        self.anchor = anchor
        self.nodes = 1
        self.chars = 0
        self.height = 0


class _Counter:
    """The running totals of :func:`scan`, refusing at the first limit passed."""

    def __init__(self, limits: YamlLimits) -> None:
        self.limits = limits
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[int, int, int]] = {}
        self.nodes = 0
        self.chars = 0
        self.aliases = 0

    def add(self, mark: Any, nodes: int, chars: int, height: int, *, opens: bool = False) -> None:
        """Count a node (``nodes`` when an alias expands) where the parser is now;
        ``opens``: a list or mapping starts (its parent counts it when it ends)."""
        limits = self.limits
        self.nodes += nodes
        self.chars += chars
        if self.nodes > limits.max_nodes:
            raise _at(
                mark,
                f"more than {limits.max_nodes:,} YAML nodes (aliases expanded); split the "
                "file or raise inputs.yaml_max_nodes (YINSI_INPUTS__YAML_MAX_NODES)",
            )
        if self.chars > limits.max_expanded_chars:
            raise _at(
                mark,
                f"more than {limits.max_expanded_chars:,} characters of text (aliases "
                "expanded); raise inputs.yaml_max_expanded_chars if this is intended",
            )
        if len(self.stack) + height > limits.max_depth:
            raise _at(
                mark,
                f"lists and mappings nested more than {limits.max_depth} deep; flatten the "
                "structure (limit: inputs.yaml_max_depth)",
            )
        if self.stack and not opens:
            top = self.stack[-1]
            top.nodes += nodes
            top.chars += chars
            top.height = max(top.height, height)

    def alias(self, event: yaml.AliasEvent) -> None:
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            raise _at(
                event.start_mark,
                f"more than {self.limits.max_aliases:,} aliases (*name); write the values "
                "out or raise inputs.yaml_max_aliases (YINSI_INPUTS__YAML_MAX_ALIASES)",
            )
        name = event.anchor or ""
        if any(frame.anchor == name for frame in self.stack):
            raise _at(event.start_mark, f"alias *{name} refers to a list or mapping holding it")
        nodes, chars, height = self.anchors.get(name, (1, 0, 0))  # unknown: the composer says
        self.add(event.start_mark, nodes, chars, height)

    def scalar(self, event: yaml.ScalarEvent) -> None:
        length = len(event.value)
        if event.anchor is not None:
            self.anchors[event.anchor] = (1, length, 0)
        self.add(event.start_mark, 1, length, 0)

    def start(self, event: yaml.CollectionStartEvent) -> None:
        self.add(event.start_mark, 1, 0, 1, opens=True)
        self.stack.append(_Frame(event.anchor))

    def end(self, event: yaml.CollectionEndEvent) -> None:
        frame = self.stack.pop()
        height = frame.height + 1
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.nodes, frame.chars, height)
        if self.stack:  # the parent holds it (already counted in the totals)
            top = self.stack[-1]
            top.nodes += frame.nodes
            top.chars += frame.chars
            top.height = max(top.height, height)


def _at(mark: Any, message: str) -> YamlLimitError:
    return YamlLimitError(mark.line + 1, mark.column + 1, message)


def scan(loader: type[yaml.SafeLoader], text: str, limits: YamlLimits = DEFAULT_LIMITS) -> None:
    """Read ``text``'s events and raise :class:`YamlLimitError` at the first limit passed.

    YAML syntax errors are left to the composer that runs next (they raise
    ``yaml.YAMLError`` here as there).
    """
    parser = loader(text)
    counter = _Counter(limits)
    get_event: Callable[[], yaml.Event | None] = parser.get_event
    stack = counter.stack
    max_nodes, max_chars = limits.max_nodes, limits.max_expanded_chars
    try:
        while (event := get_event()) is not None:
            if isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    counter.scalar(event)
                    continue
                length = len(event.value)  # the common case, inlined
                counter.nodes += 1
                counter.chars += length
                if counter.nodes > max_nodes or counter.chars > max_chars:
                    counter.add(event.start_mark, 0, 0, 0)  # raises, saying which limit
                if stack:
                    top = stack[-1]
                    top.nodes += 1
                    top.chars += length
            elif isinstance(event, yaml.CollectionStartEvent):
                counter.start(event)
            elif isinstance(event, yaml.CollectionEndEvent):
                counter.end(event)
            elif isinstance(event, yaml.AliasEvent):
                counter.alias(event)
    finally:
        parser.dispose()
