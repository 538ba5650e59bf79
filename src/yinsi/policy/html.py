"""Markdown to an HTML body: CommonMark plus tables, raw HTML off, tables scrollable.

Raw HTML is disabled, so nothing in a declaration can inject markup or scripts. Chapter
headings (``##``) get stable ids and are returned as the table of contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["Heading", "to_html"]


@dataclass(frozen=True)
class Heading:
    anchor: str
    text: str


def _table_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return '<div class="table-wrap">\n' + str(self.renderToken(tokens, idx, options, env))


def _table_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return str(self.renderToken(tokens, idx, options, env)) + "</div>\n"


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


def _plain(inline: Token) -> str:
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def to_html(markdown: str) -> tuple[str, list[Heading]]:
    """The HTML of ``markdown`` and its level-2 headings (id, text) in order."""
    md = _parser()
    tokens = md.parse(markdown)
    headings: list[Heading] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            anchor = f"s{len(headings) + 1}"
            token.attrSet("id", anchor)
            headings.append(Heading(anchor, _plain(tokens[i + 1])))
    return md.renderer.render(tokens, md.options, {}), headings
