"""Where each piece of a rendered document comes from (issue 13, Build 1).

Every value a template prints is a :class:`Statement`: ready Markdown that carries its
*sources* and its *kind*. A source is either a path into the declaration, written as in
``scenarios[3].retention`` (see :func:`at`), or the id of a fixed text of this package,
starting with ``tpl.`` (``tpl.rights.statute.access``). The Jinja environment refuses to
print anything else (:func:`yinsi.policy.text.finalize`), so no sentence of a document
can lose track of its origin.

Kinds say what a statement does to the reader:

``fact``
    describes the app (what is collected, from whom, by whom);
``commitment``
    promises something (a retention bound, a deadline, a consent asked, a notice);
``negative``
    says something does *not* happen (no SDK, no transfer abroad);
``boilerplate``
    restates the law or frames the document; says nothing the declaration must state.

The rule the tests hold the renderer to: a fact, commitment or negative is written only
from fields that are *written in the declaration file*, never from a schema default
(:func:`stated`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from yinsi.policy.text import Md, escape

__all__ = [
    "KINDS",
    "Kind",
    "Statement",
    "at",
    "fixed",
    "merged",
    "parse_path",
    "said",
    "stated",
    "strongest",
]

Kind = Literal["fact", "commitment", "negative", "boilerplate"]
KINDS: tuple[Kind, ...] = ("negative", "commitment", "fact", "boilerplate")
"""From the strongest to the weakest: a sentence is as strong as its strongest part."""

TEMPLATE = "tpl."
"""Prefix of the id of a fixed text (as opposed to a declaration path)."""


class Statement(Md):
    """Markdown with its sources and kind; an empty statement says nothing (falsy)."""

    sources: tuple[str, ...]
    kind: Kind

    def __new__(cls, markdown: str, sources: Iterable[str] = (), kind: Kind = "fact") -> Statement:
        self = super().__new__(cls, markdown)
        self.sources = tuple(dict.fromkeys(sources))
        self.kind = kind
        return self

    def __repr__(self) -> str:
        return f"Statement({str(self)!r}, {self.sources!r}, {self.kind!r})"

    def with_source(self, *sources: str) -> Statement:
        """The same text and kind with ``sources`` added."""
        return Statement(self, (*self.sources, *sources), self.kind)

    def as_kind(self, kind: Kind) -> Statement:
        """The same text and sources, of another kind."""
        return Statement(self, self.sources, kind)

    @property
    def paths(self) -> tuple[str, ...]:
        """The declaration paths among the sources (fixed-text ids left out)."""
        return tuple(s for s in self.sources if not s.startswith(TEMPLATE))


def at(*parts: str | int) -> str:
    """A declaration path as text: ``at("scenarios", 3, "retention")`` is
    ``scenarios[3].retention``; the inverse of :func:`parse_path`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> tuple[str | int, ...]:
    """``scenarios[3].retention`` → ``("scenarios", 3, "retention")`` (the loader's keys)."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def said(text: str, *sources: str, kind: Kind = "fact") -> Statement:
    """Declaration text (plain, escaped here) or package Markdown, with its sources."""
    return Statement(escape(text), sources, kind)


def fixed(text: str, tid: str, *sources: str, kind: Kind = "boilerplate") -> Statement:
    """A fixed text of this package, id ``tpl.<tid>``, triggered by ``sources``."""
    return Statement(escape(text), (f"{TEMPLATE}{tid}", *sources), kind)


def strongest(kinds: Iterable[Kind]) -> Kind:
    """The strongest of ``kinds`` (``boilerplate`` when there are none)."""
    present = set(kinds)
    return next((k for k in KINDS if k in present), "boilerplate")


def merged(parts: Iterable[str], sep: str = "", kind: Kind | None = None) -> Statement:
    """Parts joined with ``sep``; sources of every :class:`Statement` among them kept.

    Empty parts are skipped; plain strings are escaped. The kind is ``kind`` if given,
    else the strongest of the parts'.
    """
    items = [p for p in parts if p]
    sources = [s for p in items if isinstance(p, Statement) for s in p.sources]
    kinds = [p.kind for p in items if isinstance(p, Statement)]
    text = Md(escape(sep).join(escape(p) for p in items))
    return Statement(text, sources, kind or strongest(kinds))


def stated(model: BaseModel, field: str) -> bool:
    """Whether ``field`` of ``model`` was written in the declaration (not a default)."""
    return field in model.model_fields_set and getattr(model, field) is not None
