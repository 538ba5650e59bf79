"""Judging each change by its effect: material (prominent notice and fresh consent) or not.

A change is material when it widens what is collected, why, for how long or who
receives it, or narrows the user's choice; narrowing processing and rewording are not.
The judgement of every field is one entry in :data:`yinsi.declaration.diff_rules.TABLE`;
a part or field the table does not know is judged material.
"""

from __future__ import annotations

from dataclasses import replace

from yinsi.declaration.diff_find import DiffContext, Found
from yinsi.declaration.diff_model import Change
from yinsi.declaration.diff_rules import TABLE, UNKNOWN, Rule, rule_for


def judge(found: Found, ctx: DiffContext) -> Change:
    """``found``'s change with its verdict and reason filled in."""
    change = found.change
    rule = _rule(found.part, change)
    detail = rule.effect(change, ctx)
    if detail is None:
        return replace(change, material=False, reason=rule.editorial)
    if rule is UNKNOWN:
        detail = change.field or change.key
    reason = f"{rule.reason}: {detail}" if detail else rule.reason
    return replace(change, material=True, reason=reason)


def _rule(part: str, change: Change) -> Rule:
    table = TABLE.get(part)
    if table is None:
        return UNKNOWN
    if change.kind == "added":
        return table.added
    if change.kind == "removed":
        return table.removed
    return rule_for(part, change.field or "")
