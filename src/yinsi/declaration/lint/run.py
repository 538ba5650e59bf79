"""Run the lint rules on a declaration (:mod:`.files` runs them on a file).

Rules of stage ``load`` run on every load (:func:`check`, called by the loader): their
errors make a declaration unusable, and waivers apply to them. Rules of stage ``lint``
run only for ``yinsi lint`` and ``yinsi validate`` (:func:`lint_checks`). Each finding
is stamped with its rule's id; a finding reported twice (same rule, place and message)
is kept once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from yinsi.declaration.check_context import CheckContext
from yinsi.declaration.errors import Issue
from yinsi.declaration.lint.catalogue import RULES
from yinsi.declaration.lint.registry import Rule
from yinsi.declaration.schema import Declaration
from yinsi.declaration.waivers import apply_waivers

__all__ = ["check", "lint", "lint_checks", "run"]


def run(d: Declaration, rules: Iterable[Rule]) -> list[Issue]:
    """The findings of ``rules`` on ``d``, stamped with their rule ids, duplicates merged."""
    ctx = CheckContext.of(d)
    seen: set[tuple[object, ...]] = set()
    out: list[Issue] = []
    for r in rules:
        if r.check is None:
            continue
        for issue in r.check(ctx):
            stamped = replace(issue, rule=issue.rule or r.id, severity=r.severity)
            key = (stamped.path, stamped.rule, stamped.message)
            if key not in seen:
                seen.add(key)
                out.append(stamped)
    return out


def check(d: Declaration) -> list[Issue]:
    """The rules run on every load, with the declaration's waivers applied."""
    return apply_waivers(d, run(d, (r for r in RULES if r.stage == "load")))


def lint_checks(d: Declaration) -> list[Issue]:
    """The rules run only by ``yinsi lint`` and ``yinsi validate`` (after :func:`check`)."""
    return run(d, (r for r in RULES if r.stage == "lint"))


def lint(d: Declaration) -> list[Issue]:
    """Every rule's findings on ``d``."""
    return [*check(d), *lint_checks(d)]
