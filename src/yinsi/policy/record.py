"""The Jinja side of provenance: print only statements, and remember where each went.

:func:`finalize` is the Markdown environment's ``finalize``: it lets a template print a
:class:`~.provenance.Statement` (or a loop counter) and nothing else, so declaration text
cannot reach a document without its sources, nor unescaped. While a document renders, each
statement printed is wrapped in invisible marks; :func:`unmark` removes them and returns
where every statement landed in the final Markdown (:class:`Span`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from yinsi.policy.provenance import Statement, fixed

__all__ = ["EMPTY_CELL", "Span", "cell", "finalize", "recording", "unmark"]

_OPEN, _MID, _CLOSE = "\x02", "\x03", "\x04"
_MARK = re.compile(f"{_OPEN}(\\d+){_MID}|{_CLOSE}")
_printed: ContextVar[list[Statement] | None] = ContextVar("printed", default=None)

EMPTY_CELL = fixed("—", "cell.empty")
"""What an empty table cell shows: the declaration states nothing for it."""


@dataclass(frozen=True)
class Span:
    """Where a printed statement sits in the Markdown: ``markdown[start:end]``."""

    start: int
    end: int
    statement: Statement


def finalize(value: object) -> str:
    """Jinja ``finalize``: a statement prints (marked while recording); a loop counter
    prints as is; anything else is a bug of the template or of the view-model."""
    if isinstance(value, Statement):
        printed = _printed.get()
        if printed is None or not value:
            return value
        printed.append(value)
        return f"{_OPEN}{len(printed) - 1}{_MID}{value}{_CLOSE}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(
        f"a template printed {value!r}, which has no source: build it as a Statement in the "
        "view-model (yinsi.policy.provenance), or guard an optional value with {% if %}"
    )


def cell(value: object) -> object:
    """Jinja filter for table cells: an em dash instead of nothing."""
    return value if value else EMPTY_CELL


@contextmanager
def recording() -> Iterator[list[Statement]]:
    """Mark every statement printed inside the block; yields the statements in order."""
    printed: list[Statement] = []
    token = _printed.set(printed)
    try:
        yield printed
    finally:
        _printed.reset(token)


def unmark(marked: str, printed: list[Statement]) -> tuple[str, list[Span]]:
    """The Markdown without marks, and the span of every statement in it."""
    out: list[str] = []
    spans: list[Span] = []
    open_at: list[tuple[int, int]] = []
    length, last = 0, 0
    for match in _MARK.finditer(marked):
        chunk = marked[last : match.start()]
        out.append(chunk)
        length += len(chunk)
        last = match.end()
        if match.group(1) is not None:
            open_at.append((int(match.group(1)), length))
        else:
            index, start = open_at.pop()
            spans.append(Span(start, length, printed[index]))
    out.append(marked[last:])
    return "".join(out), sorted(spans, key=lambda s: (s.start, -s.end))
