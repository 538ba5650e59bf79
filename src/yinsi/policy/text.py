"""Markdown-safe text: declaration strings are escaped once, where they enter a template.

Declaration text becomes :class:`Md` through :func:`escape` (or :func:`join`, :func:`star`);
an :class:`Md` is printed as is. Templates print only statements (:mod:`.provenance`), which
are :class:`Md` built by this package, so a template cannot forget to escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "Md",
    "clause",
    "clean",
    "escape",
    "join",
    "link",
    "quoted",
    "sentence",
    "star",
]


class Md(str):
    """A string that is already Markdown."""

    __slots__ = ()


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACE = re.compile(r"\s+")
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")
_LEADING = re.compile(r"^([#>+=-])")
_END = "。！？；：，、.;:,!?"
_URL_UNSAFE = re.compile(r"[\s<>]")


def clean(text: str) -> str:
    """One line: whitespace collapsed, and no space left between two CJK characters.

    YAML's folded scalars (``>-``) join lines with a space, which is wrong in Chinese.
    """
    return _CJK_GAP.sub("", _SPACE.sub(" ", text).strip())


def escape(text: str) -> Md:
    """Declaration text as inline Markdown that renders literally, also in a table cell."""
    if isinstance(text, Md):
        return text
    out = _SPECIAL.sub(r"\\\1", clean(text))
    out = _ENTITY.sub(r"\\&", out)
    out = _ORDERED.sub(r"\1\\\2", out)
    return Md(_LEADING.sub(r"\\\1", out))


def join(parts: Iterable[str], sep: str = "、") -> Md:
    """Join plain or Markdown parts; plain parts are escaped."""
    return Md(escape(sep).join(escape(p) for p in parts))


def star(label: str) -> Md:
    """A sensitive element's label followed by a literal ``*`` (PIPL Art. 28, X05)."""
    return Md(escape(label) + "\\*")


def link(url: str) -> Md:
    """A URL as a CommonMark autolink, or as escaped text if it cannot be one."""
    if not url:
        return Md("")
    if _URL_UNSAFE.search(url) or "://" not in url:
        return escape(url)
    return Md("<" + url.replace("|", "%7C") + ">")


def clause(text: str) -> str:
    """Text without its closing punctuation, to be embedded in a longer sentence."""
    return clean(text).rstrip(_END).rstrip()


def sentence(text: str) -> str:
    """Text ending with a full stop (unless it already ends a sentence), or ``""``."""
    body = clean(text)
    if not body:
        return ""
    if body[-1] in "。！？" or body.endswith(("。”", "。）")):
        return body
    return body.rstrip(_END) + "。"


def quoted(label: str) -> str:
    """A consent's name in quotation marks, unless it is already a titled document."""
    text = clause(label)
    return text if text.startswith(("《", "“")) else f"“{text}”"
