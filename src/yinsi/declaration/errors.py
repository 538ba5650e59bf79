"""Errors of the declaration package.

    DeclarationError            a declaration cannot be used; carries every Problem found
    └── (raised by load / loads)

A :class:`Problem` says what is wrong and where: ``FILE:LINE:COL: path: message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Path = tuple[str | int, ...]
Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """A finding of the cross-reference checks, located by a path into the document."""

    path: Path
    message: str
    severity: Severity = "error"
    rule: str | None = None
    """The id of the lint rule behind it (``docs/rules.md``); waivers name it too."""
    subject: str | None = None
    """The id of the entity the issue is about, which a waiver names."""


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """An issue placed in a file, ready to show a person."""

    file: str
    line: int
    column: int
    path: Path
    message: str
    severity: Severity = "error"
    rule: str | None = None
    """The id of the lint rule behind it, shown last as ``[rule-id]`` (``docs/rules.md``)."""

    def __str__(self) -> str:
        where = format_path(self.path)
        place = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        prefix = "" if self.severity == "error" else "warning: "
        code = f" [{self.rule}]" if self.rule else ""
        return f"{place}: {prefix}{where + ': ' if where else ''}{self.message}{code}"


class DeclarationError(Exception):
    """The declaration has errors; ``problems`` lists all of them, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors) or "invalid declaration")
