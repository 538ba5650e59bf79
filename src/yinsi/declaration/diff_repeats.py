"""Lines of a diff that repeat another: a change counted once in the text report.

The elements, permissions and purposes sections are views over their uses
(:mod:`.diff_find`): a purpose that a scenario now pursues and that nothing pursued
before is both a new purpose (purposes section) and a new purpose of that scenario
(the scenario's ``purposes``); a permission added to the app's permission list is both
a new permission and a new row of the list. Both lines stay — one says what is new to
the declaration, the other where — but they are one change, and the report counts it
once (:func:`repeats`). A view line repeats only when *every* use it lists is reported
as a line of its own with at least its verdict; an entity added whole (a new SDK with a
new purpose) is another change, and the view line then counts on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from yinsi.declaration.diff_effects import minus
from yinsi.declaration.diff_model import SECTIONS, Change

__all__ = ["repeats"]

_USES = {"elements": "scenarios", "permissions": "scenarios", "purposes": "used_by"}
"""The view sections, with the field of their entity that lists its uses."""


def repeats(changes: Sequence[Change]) -> dict[int, Change]:
    """The index of every view line that repeats other lines, with the first it repeats."""
    out: dict[int, Change] = {}
    for index, change in enumerate(changes):
        if change.section not in _USES or change.kind == "changed":
            continue
        entity = change.new if change.kind == "added" else change.old
        uses = entity.get(_USES[change.section]) if isinstance(entity, dict) else None
        if not isinstance(uses, list) or not uses:
            continue
        found = [_use_line(change, str(use), changes) for use in uses]
        if all(u is not None and u.material >= change.material for u in found):
            out[index] = next(u for u in found if u is not None)
    return out


def place(change: Change) -> str:
    """The line's place for a reader: section heading and key (``业务场景 loan_apply``)."""
    return f"{SECTIONS.get(change.section, change.section).split(' ')[0]} {change.key}"


def _use_line(view: Change, use: str, changes: Sequence[Change]) -> Change | None:
    """The line that reports ``view``'s entity gained (or lost) by ``use``, if any."""
    section, _, key = use.rpartition(".")
    ident = view.key
    if view.section == "purposes":
        return _find(changes, section, key, "purposes", _listed(view, ident))
    if use == "app_permissions":
        return _find(changes, "app_permissions", ident, None, lambda c: c.kind == view.kind)
    if section == "pi_inventory":
        return _find(changes, section, key, "elements", _listed(view, ident))
    side = "old" if view.kind == "added" else "new"  # the side the scenario's item is missing on
    field = f"{view.section}.{ident}"
    return _find(changes, "scenarios", key, field, lambda c: getattr(c, side) is None)


def _listed(view: Change, ident: str) -> Callable[[Change], bool]:
    """A list field that gained ``ident`` (the view line added it) or lost it (removed)."""

    def check(c: Change) -> bool:
        gained, lost = (c.new, c.old) if view.kind == "added" else (c.old, c.new)
        return ident in minus(gained, lost)

    return check


def _find(
    changes: Sequence[Change],
    section: str,
    key: str,
    field: str | None,
    check: Callable[[Change], bool],
) -> Change | None:
    return next(
        (c for c in changes if (c.section, c.key, c.field) == (section, key, field) and check(c)),
        None,
    )
