"""The policy, its summary and the two lists of a published version, as HTML for a page.

Rendered by :func:`yinsi.policy.render` (Markdown, the same text as ``yinsi render``) and
:func:`yinsi.policy.html.to_html` (CommonMark with raw HTML off, so nothing in a
declaration becomes markup). A published version never changes (X01), so each document
is rendered once per declaration object the engine hands out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from yinsi.declaration import Declaration
from yinsi.policy import render
from yinsi.policy.html import Heading, to_html

__all__ = ["DOCS", "Document", "document", "markdown"]

DOCS: dict[str, str] = {
    "policy": "隐私政策",
    "summary": "政策摘要",
    "collected-list": "个人信息收集清单",
    "sharing-list": "第三方共享清单",
}
"""The documents by their ``yinsi render --doc`` name, with the title of their link."""


@dataclass(frozen=True, slots=True)
class Document:
    html: str
    headings: tuple[Heading, ...]


_CACHE_LIMIT = 64
_cache: dict[tuple[int, str], tuple[Declaration, str, Document]] = {}
_lock = threading.Lock()


def markdown(declaration: Declaration, doc: str) -> str:
    """The document ``doc`` (a key of :data:`DOCS`) as Markdown."""
    return _cached(declaration, doc)[0]


def document(declaration: Declaration, doc: str) -> Document:
    """The document ``doc`` as an HTML fragment and its chapter headings."""
    return _cached(declaration, doc)[1]


def _cached(declaration: Declaration, doc: str) -> tuple[str, Document]:
    key = (id(declaration), doc)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] is declaration:
        return hit[1], hit[2]
    text = render(declaration, doc, "md")
    body, headings = to_html(text)
    made = Document(body, tuple(headings))
    with _lock:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = (declaration, text, made)
    return text, made
