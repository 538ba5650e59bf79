"""The policy documents rendered from a declaration, and what they must contain.

    render(declaration, doc, fmt)   doc: policy | summary | collected-list | sharing-list
                                    fmt: md | html
    explain(declaration, doc)       every sentence, list item and table cell with its
                                    sources (declaration paths, fixed-text ids) and kind
    completeness(declaration)       PIPL Art. 17 / 网络数据安全管理条例 Art. 21 gaps

Markdown is built by Jinja2 templates from a view-model (:mod:`.context`); HTML is that
Markdown in a self-contained, mobile-friendly page. The renderer (Jinja2, markdown-it) is
imported on first use of :func:`render` (:mod:`yinsi._lazy`): ``yinsi validate`` needs only
:func:`completeness`.
"""

from typing import TYPE_CHECKING

from yinsi._lazy import attach

# eager: `completeness` is also the name of its submodule (see yinsi._lazy)
from yinsi.policy.completeness import completeness

if TYPE_CHECKING:
    from yinsi.policy.documents import DOCS, FORMATS, explain, render
else:
    __getattr__, __dir__ = attach(__name__, {"documents": ("DOCS", "FORMATS", "explain", "render")})

__all__ = ["DOCS", "FORMATS", "completeness", "explain", "render"]
