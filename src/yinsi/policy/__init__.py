"""The policy documents rendered from a declaration, and what they must contain.

    render(declaration, doc, fmt)   doc: policy | summary | collected-list | sharing-list
                                    fmt: md | html
    completeness(declaration)       PIPL Art. 17 / 网络数据安全管理条例 Art. 21 gaps

Markdown is built by Jinja2 templates from a view-model (:mod:`.context`); HTML is that
Markdown in a self-contained, mobile-friendly page.
"""

from yinsi.policy.completeness import completeness
from yinsi.policy.documents import DOCS, FORMATS, render

__all__ = ["DOCS", "FORMATS", "completeness", "render"]
