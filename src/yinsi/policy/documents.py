"""Render a declaration as the policy, its summary or one of the two lists (md or html).

Markdown is the source of every document; HTML is that Markdown in a self-contained page
(inline CSS, no scripts, no external resources). :func:`explain` renders the same Markdown
and returns each sentence, list item and table cell with its sources (:mod:`.units`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from yinsi.declaration.schema import Declaration
from yinsi.policy.context import build
from yinsi.policy.html import to_html
from yinsi.policy.record import Span, cell, finalize, recording, unmark
from yinsi.policy.units import Unit, units

__all__ = ["DOCS", "FORMATS", "Rendered", "explain", "render", "rendered"]

DOCS: dict[str, str] = {
    "policy": "policy.md.j2",
    "summary": "summary.md.j2",
    "collected-list": "collected_list.md.j2",
    "sharing-list": "sharing_list.md.j2",
}
FORMATS: tuple[str, ...] = ("md", "html")

_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@cache
def _markdown_env() -> Environment:
    env = Environment(
        loader=PackageLoader("yinsi.policy"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
    )
    env.filters["cell"] = cell
    return env


@cache
def _html_env() -> Environment:
    return Environment(
        loader=PackageLoader("yinsi.policy"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _choose(value: str, valid: list[str] | tuple[str, ...], what: str) -> str:
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}: choose one of {', '.join(sorted(valid))}")
    return value


@dataclass(frozen=True)
class Rendered:
    """A document's Markdown and where each statement printed in it sits."""

    doc: str
    markdown: str
    spans: list[Span]


def rendered(declaration: Declaration, doc: str, html: bool = False) -> Rendered:
    """The Markdown of ``doc`` with the span of every statement printed in it."""
    template = DOCS[_choose(doc, list(DOCS), "document")]
    context = build(declaration)
    with recording() as printed:
        marked = _markdown_env().get_template(template).render(ctx=context, html=html)
    marked = _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", marked)).strip() + "\n"
    markdown, spans = unmark(marked, printed)
    return Rendered(doc, markdown, spans)


def explain(declaration: Declaration, doc: str) -> list[Unit]:
    """Every sentence, list item and table cell of ``doc`` with its sources and kind."""
    out = rendered(declaration, doc)
    return units(out.markdown, out.spans, doc)


def render(declaration: Declaration, doc: str, fmt: str) -> str:
    """The document ``doc`` of ``declaration`` as Markdown (``md``) or a page (``html``)."""
    _choose(doc, list(DOCS), "document")
    _choose(fmt, FORMATS, "format")
    markdown = rendered(declaration, doc, html=fmt == "html").markdown
    if fmt == "md":
        return markdown
    body, headings = to_html(markdown)
    header, h2, rest = body.partition("<h2")
    page = _html_env().get_template("page.html.j2")
    return page.render(
        title=_title(markdown),
        header=Markup(header),
        body=Markup(h2 + rest),
        toc=headings if doc == "policy" else [],
    )


def _title(markdown: str) -> str:
    first = markdown.split("\n", 1)[0]
    return first.removeprefix("# ").replace("\\", "")
