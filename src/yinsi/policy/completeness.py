"""What a policy must tell, checked against the declaration before it is rendered.

These are the lint rules of the ``notice`` family (:mod:`yinsi.declaration.lint.notice`;
``docs/rules.md``). Errors: PIPL Art. 17 items without which the policy is unlawful — a
retention rule for each scenario, a way to exercise each right, how changes are told.
Warnings: what 网络数据安全管理条例 Art. 21 adds — a retention period and what happens
when it ends, every right it lists (reported once, citing PIPL too), and recipients set
out with name and contact (PIPL Art. 23). Pure: no I/O.
"""

from __future__ import annotations

from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.catalogue import family
from yinsi.declaration.lint.notice import ART21_RIGHTS
from yinsi.declaration.lint.run import run
from yinsi.declaration.schema import Declaration

__all__ = ["ART21_RIGHTS", "completeness"]


def completeness(declaration: Declaration) -> list[Issue]:
    """Items of PIPL Art. 17 and 网络数据安全管理条例 Art. 21 the declaration leaves out."""
    return run(declaration, family("notice"))
