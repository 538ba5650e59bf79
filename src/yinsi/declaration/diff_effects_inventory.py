"""Effects for the sections of issue 13, Build 4 (A): the PI inventory, per-element retention.

Judged by effect, as everywhere in :mod:`.diff_rules`: listing PI the old declaration
did not collect anywhere widens what is processed (material); moving an element from a
scenario into the inventory does not. An element put under a retention rule may be kept
longer, unless that rule keeps nothing (``not_retained``).
"""

from __future__ import annotations

from yinsi.declaration.diff_effects import ids, minus
from yinsi.declaration.diff_find import DiffContext
from yinsi.declaration.diff_model import Change
from yinsi.declaration.schema import Declaration

__all__ = ["inventory_added", "inventory_elements", "permission_listed", "retention_elements"]


def collected(d: Declaration) -> set[str]:
    """Every element ``d`` says it collects: in a scenario or in its PI inventory."""
    out = {e for s in d.scenarios for e in s.element_ids}
    return out | {e for g in d.pi_inventory for e in g.elements}


def _purposes(d: Declaration) -> set[str]:
    out: set[str] = set()
    for items in (d.scenarios, d.recipients, d.sdks, d.tracking, d.pi_inventory):
        for item in items:
            out.update(item.purposes)
    return out


def inventory_added(change: Change, ctx: DiffContext) -> str | None:
    """A group added: material for the elements and purposes nowhere in the old declaration."""
    new = change.new if isinstance(change.new, dict) else {}
    fresh = [e for e in ids(new.get("elements")) if e not in collected(ctx.old)]
    fresh += [p for p in ids(new.get("purposes")) if p not in _purposes(ctx.old)]
    return ", ".join(fresh) if fresh else None


def inventory_elements(change: Change, ctx: DiffContext) -> str | None:
    """Elements added to a group: material when the old declaration collected none of them."""
    old = collected(ctx.old)
    fresh = [e for e in minus(change.new, change.old) if e not in old]
    return ", ".join(fresh) if fresh else None


def retention_elements(change: Change, ctx: DiffContext) -> str | None:
    """Elements put under a retention rule: material unless the rule keeps nothing."""
    rule = next((r for r in ctx.new.retention if r.id == change.key), None)
    if rule is not None and rule.not_retained:
        return None
    gained = minus(change.new, change.old)
    return ", ".join(gained) if gained else None


def permission_listed(change: Change, ctx: DiffContext) -> str | None:
    """A permission added to the app's list: material unless the old declaration already
    requested it (in a scenario or in the list)."""
    old = {p.permission for s in ctx.old.scenarios for p in s.permissions}
    if change.key in old | {p.permission for p in ctx.old.app_permissions}:
        return None
    perm = ctx.new_tax.permissions.get(change.key)
    return f"{change.key}（{perm.label}）" if perm else change.key
